"""Load the demo city 云河市 into a CityLoop database.

Reference data goes through the same admin imports an administrator uses. The 180 days of
history are replayed through the intake draft and the work-order state machine, step by step at
the times the generator chose, so every timeline is a real sequence of legal transitions; rows
are then written in batches.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select

from cityloop.audit.guard import allow_purge
from cityloop.demo.appeals import DemoAppeal, generate_appeals
from cityloop.demo.geography import build_regions
from cityloop.demo.organisation import (
    build_departments,
    build_gazetteer,
    build_linkage,
    build_taxonomy,
)
from cityloop.domain.errors import DomainError
from cityloop.domain.orders import Actor, Command
from cityloop.domain.sla import TimeLimit
from cityloop.domain.statuses import Action, Channel, OrderStatus, Rating, Role, Urgency
from cityloop.geo.gazetteer import Gazetteer
from cityloop.services import admin
from cityloop.services.context import CityLoop
from cityloop.services.deadlines import deadline, extend
from cityloop.services.intake import AppealDraft, AppealInput, draft_appeal, save_draft
from cityloop.services.orders import ActionInput, dispatch_payload
from cityloop.services.step_sweeper import sweep_steps
from cityloop.store.models import Base, RegionRow, UserRow, utcnow
from cityloop.store.security_models import UserSecurityRow
from cityloop.store.sequences import advance_sequences

DEMO_PASSWORD = "cityloop-demo"
SUPERVISOR_STREET = "990102001"
HANDLER_DEPARTMENT = "D-CG"
# (username, role, what the account is for)
DEMO_USERS: list[tuple[str, str, str]] = [
    ("admin", "admin", "系统管理员"),
    ("operator", "operator", "12345话务员"),
    ("dispatcher", "dispatcher", "派单员"),
    ("handler", "department_handler", "市城市管理局 承办人"),
    ("grid", "grid_worker", "临江区第一个街道的网格员"),
    ("supervisor", "supervisor", "临江区第一个街道的督办人员"),
    ("leader", "leader", "指挥中心领导"),
    ("resident", "resident", "群众（有几条自己的诉求）"),
    ("security", "security_admin", "安全管理员（授权、解锁、双因素重置）"),
    ("auditor", "auditor", "安全审计员（只读审计日志）"),
]
_LEVELS = {1: "city", 2: "district", 3: "street", 4: "community", 5: "grid"}
# The demo's urgent matters that threaten life (生命安全): gas, fire, people trapped, live wires.
LIFE_SAFETY_PATHS = frozenset(
    {
        "水电气/燃气/燃气泄漏",
        "市场监管/特种设备/电梯困人",
        "公共安全/消防安全/火灾隐患",
        "水电气/供电/电力设施隐患",
    }
)
_BATCH = 200
MIN_TRAINING_ORDERS = 300


@dataclass
class ReplayStats:
    appeals: int = 0
    steps: int = 0
    skipped: list[str] = field(default_factory=list)


def build_demo(
    ctx: CityLoop,
    appeals: int = 3200,
    reset: bool = False,
    progress: Callable[[str], Any] = print,
    seed: int = 7,
    train_model: bool = True,
) -> str:
    with ctx.uow() as uow:
        present = uow.session.execute(select(func.count()).select_from(RegionRow)).scalar_one()
    if present and not reset:
        return "演示城市已存在 the demo city is already loaded (use --reset to rebuild)"
    if present:
        with ctx.engine.begin() as conn:
            allow_purge(conn)  # a rebuild starts the audit trail anew
            for table in reversed(Base.metadata.sorted_tables):
                if table.name != "alembic_version":
                    conn.execute(delete(table))
        ctx.reference.invalidate()

    regions = build_regions(seed)
    progress("导入区划、部门、分类、联动清单 regions, departments, taxonomy, linkage list …")
    n_rules = load_reference_city(ctx, regions)
    from cityloop.demo.basemap import build_basemap, write_basemap

    # The city's own base map, from the same outline and gazetteer as the reference data.
    write_basemap(ctx.settings.basemap_file, build_basemap(regions, build_gazetteer(regions), seed))
    user_ids = _create_users(ctx)
    taxonomy = build_taxonomy()

    progress(f"生成并回放 {appeals} 条历史诉求 replaying {appeals} historical appeals …")
    now = ctx.clock.now()
    history = generate_appeals(
        regions, build_gazetteer(regions, seed), taxonomy, now, count=appeals, seed=seed
    )
    stats = _replay(ctx, history, user_ids)
    # Mark the steps the history left open as warning/overdue as of now (the job runner does
    # it every minute afterwards).
    sweep_steps(ctx)
    from cityloop.demo.community import load_community

    progress("社区数据库、心愿墙、随手拍、积分、调解 community data …")
    community = load_community(ctx, seed)
    # The bulk loads wrote explicit ids: the API's next insert must not collide with them.
    advance_sequences(ctx.engine)
    from cityloop.demo.trust import load_trust

    trust = load_trust(ctx, DEMO_PASSWORD, seed)
    from cityloop.demo.groups import load_groups

    trust += "; " + load_groups(ctx)
    from cityloop.analytics.flash.service import write_due

    # The history's urgent orders get their reports as if the job had run all along.
    trust += f"; {len(write_due(ctx, window=timedelta(days=60)))} flash reports"
    model_note = ""
    if train_model:
        progress("用历史工单训练分类模型 training the category model on the history …")
        model_note = "; " + _train(ctx)
    return (
        f"演示城市 云河市 ready: {len(regions['features'])} regions, "
        f"{len(build_departments())} departments, {n_rules} linkage rules, "
        f"{stats.appeals} appeals replayed in {stats.steps} steps"
        + (f" ({len(stats.skipped)} steps not applicable)" if stats.skipped else "")
        + model_note
        + f"; {community}; {trust}"
    )


def _train(ctx: CityLoop) -> str:
    """The city's first model, learnt from its own closed orders (leaf categories).

    The figures it reports come from the hand-written appeals (real phrasings it never trained
    on), at the threshold stored in training: the templated hold-out is far too easy to say
    how the model will do on what residents actually write."""
    from cityloop.demo.real_appeals import check_on_real_appeals
    from cityloop.nlp.registry import ModelRegistry
    from cityloop.nlp.training import train_holdout_and_register
    from cityloop.services.learning import training_examples

    texts, labels = training_examples(ctx, level=3)
    if len(texts) < MIN_TRAINING_ORDERS:
        return f"no model: {len(texts)} closed orders are too few to learn from"
    version, _holdout = train_holdout_and_register(texts, labels, ctx.settings.models_dir)
    registry = ModelRegistry(ctx.settings.models_dir)
    model, threshold = registry.active(), registry.threshold(version)
    if model is None or threshold is None:  # pragma: no cover - just registered and activated
        return f"model {version} registered but not loadable"
    real = check_on_real_appeals(model, threshold)
    precision = "n/a" if real.accuracy_above is None else f"{real.accuracy_above:.3f}"
    return (
        f"model {version} from {len(texts)} closed orders; on {len(real.y_true)} hand-written "
        f"appeals it never saw: accuracy {real.accuracy:.3f}, macro-F1 {real.macro_f1:.3f}, "
        f"auto-dispatch threshold {threshold:.2f} (stored in training) covers "
        f"{real.coverage:.0%} at precision {precision}"
    )


def load_reference_city(ctx: CityLoop, regions: dict[str, Any] | None = None) -> int:
    """Regions, departments, taxonomy, linkage list and gazetteer of 云河市 (no users, no
    history)."""
    regions = regions or build_regions()
    admin.import_regions(ctx, _with_level_names(regions))
    names = {f["properties"]["code"]: f["properties"]["name"] for f in regions["features"]}
    admin.import_gazetteer(
        ctx, list(Gazetteer.from_records(build_gazetteer(regions), names).entries)
    )
    admin.import_departments(
        ctx, [(i, _strings(d)) for i, d in enumerate(build_departments(), start=2)]
    )
    cols = ("l1", "l2", "l3")
    admin.import_taxonomy(ctx, [(i, t) for i, t in enumerate(build_taxonomy(), start=2)], cols)
    rules = [
        (i, {**_strings(r), "co": "|".join(r["co"])})
        for i, r in enumerate(build_linkage(), start=2)
    ]
    admin.import_rules(ctx, rules, source="demo")
    return len(rules)


def _with_level_names(regions: dict[str, Any]) -> dict[str, Any]:
    """The generator numbers levels 1–5; the import takes their names."""
    features = [
        {**f, "properties": {**f["properties"], "level": _LEVELS[f["properties"]["level"]]}}
        for f in regions["features"]
    ]
    return {"type": "FeatureCollection", "features": features}


def _strings(d: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in d.items()}


def _create_users(ctx: CityLoop) -> dict[str, int]:
    hashed = PasswordHasher().hash(DEMO_PASSWORD)
    ref = ctx.reference.get()
    grid = min(
        c for c, r in ref.regions.items() if r.level == "grid" and c.startswith(SUPERVISOR_STREET)
    )
    scope = {
        "handler": (None, HANDLER_DEPARTMENT),
        "grid": (grid, None),
        "supervisor": (SUPERVISOR_STREET, None),
    }
    ids: dict[str, int] = {}
    with ctx.uow() as uow:
        for username, role, label in DEMO_USERS:
            region, dept = scope.get(username, (None, None))
            row = UserRow(
                username=username,
                password_hash=hashed,
                display_name=label,
                role=role,
                region_code=region,
                department_code=dept,
                phone="13800000000" if username == "resident" else None,
                active=True,
                created_at=utcnow(),
            )
            uow.session.add(row)
            uow.session.flush()
            # Demo accounts keep the printed password (it fails the policy on purpose) and
            # skip 2FA; a production deployment refuses to start while one exists.
            uow.session.add(
                UserSecurityRow(
                    user_id=row.id,
                    demo_account=True,
                    must_change_password=False,
                    totp_enabled=False,
                )
            )
            ids[username] = row.id
        uow.commit()
    return ids


def _replay(ctx: CityLoop, history: list[DemoAppeal], user_ids: dict[str, int]) -> ReplayStats:
    stats = ReplayStats()
    ref = ctx.reference.get()
    path_codes = {p: c for c, p in ref.category_paths.items()}
    actors = _Actors(ctx, user_ids)
    drafts: list[AppealDraft] = []
    for n, a in enumerate(history):
        # A few web/app appeals belong to the demo resident, so their portal is not empty.
        mine = a.channel in ("web", "app") and n % 97 == 0
        draft = _replay_one(ctx, a, path_codes[a.category_path], actors, mine, stats)
        drafts.append(draft)
        if len(drafts) >= _BATCH:
            _save(ctx, drafts)
            drafts = []
    _save(ctx, drafts)
    stats.appeals = len(history)
    return stats


def _save(ctx: CityLoop, drafts: list[AppealDraft]) -> None:
    with ctx.uow() as uow:
        for d in drafts:
            save_draft(uow.session, d)
        uow.commit()


class _Actors:
    def __init__(self, ctx: CityLoop, ids: dict[str, int]) -> None:
        self.operator = Actor(ids["operator"], "12345话务员", Role.OPERATOR)
        self.dispatcher = Actor(ids["dispatcher"], "派单员", Role.DISPATCHER)
        self.leader = Actor(ids["leader"], "指挥中心领导", Role.LEADER)
        self.resident_id = ids["resident"]
        self.names = ctx.reference.get().departments

    def handler(self, dept: str) -> Actor:
        return Actor(
            None,
            f"{self.names.get(dept, dept)}承办人",
            Role.DEPARTMENT_HANDLER,
            department_code=dept,
        )

    def caller(self, a: DemoAppeal) -> Actor:
        return Actor(None, a.reporter_name[:1] + "*", Role.RESIDENT)


def _replay_one(
    ctx: CityLoop,
    a: DemoAppeal,
    category: str,
    actors: _Actors,
    mine: bool,
    stats: ReplayStats,
) -> AppealDraft:
    o = a.outcome
    # Hotline operators choose the category while the caller is on the line; other channels
    # wait in the dispatch queue until a dispatcher routes them.
    at_once = a.channel == "hotline" and not o.returned
    submitter = actors.operator if a.channel in ("hotline", "sms") else actors.caller(a)
    data = AppealInput(
        channel=Channel(a.channel),
        content=a.content,
        title=a.title,
        address=a.address or "",
        lat=a.lat,
        lon=a.lon,
        reporter_name=a.reporter_name,
        reporter_phone="13800000000" if mine else a.reporter_phone,
        category_code=category if at_once else None,
        urgency=Urgency(a.urgency),
        life_safety=a.urgency == "urgent" and a.category_path in LIFE_SAFETY_PATHS,
        external_id=a.external_id,
        reporter_user_id=actors.resident_id if mine else None,
        received_at=a.received_at,
    )
    draft = draft_appeal(ctx, data, submitter, understand=False)
    order, row = draft.order, draft.row
    ref = ctx.reference.get()
    lead = order.lead_department

    def run(at: datetime | None, actor: Actor, action: Action, **kw: Any) -> None:
        if at is None:
            return
        # Generated times of neighbouring steps may cross by minutes; history never runs back.
        at = max(at, order.history[-1].at)
        try:
            order.execute(Command(action=action, at=at, **kw), actor)
            stats.steps += 1
        except DomainError as exc:
            stats.skipped.append(f"{a.external_id} {action}: {exc}")

    def dispatch(at: datetime | None, dept: str | None, with_category: bool) -> None:
        if at is None:
            return
        if with_category:
            row.category_code = category
        payload = dispatch_payload(
            ctx,
            ref,
            row,
            ActionInput(lead_department=dept, category_code=row.category_code),
            at,
        )
        run(at, actors.dispatcher, Action.DISPATCH, note="派单", **payload)

    if o.returned and o.returned_by:
        dispatch(o.dispatched_at, o.returned_by, with_category=False)
        run(
            o.returned_at,
            actors.handler(o.returned_by),
            Action.RETURN,
            note=o.return_reason or "非我单位职责",
        )
        dispatch(o.redispatched_at, None, with_category=True)
    elif not at_once:
        dispatch(o.dispatched_at, None, with_category=True)
    lead = order.lead_department or lead
    if lead is None:
        return draft
    handler = actors.handler(lead)
    run(o.accepted_at, handler, Action.ACCEPT, note="已签收")
    if o.accepted_at:
        run(o.accepted_at + timedelta(minutes=20), handler, Action.START, note="开始办理")
    if o.extension and o.extension_requested_at and o.extension_days:
        run(
            o.extension_requested_at,
            handler,
            Action.REQUEST_EXTENSION,
            note=o.extension_reason or "需要更多时间",
            extension=f"{o.extension_days}d",
        )
        approved = o.extension_requested_at + timedelta(hours=2)
        # Not answered yet: a request still waiting for the supervisor (待审批延期).
        undecided = o.replied_at is None
        if order.pending_extension and order.due_at and order.dispatched_at and not undecided:
            due, warn = extend(
                ctx, order.dispatched_at, order.due_at, TimeLimit.parse(order.pending_extension)
            )
            run(
                approved,
                actors.dispatcher,
                Action.APPROVE_EXTENSION,
                note="同意延期",
                due_at=due,
                warn_at=warn,
            )
    if o.urged and o.urged_at:
        run(o.urged_at, actors.leader, Action.URGE, note="请抓紧办理，按时答复群众")
    if o.accepted_at and o.replied_at and zlib.crc32(a.external_id.encode()) % 13:
        # Co-handlers give their feedback a third of the way to the reply; one order in
        # thirteen hears nothing from them (counted against them as 未反馈).
        feedback = o.accepted_at + (o.replied_at - o.accepted_at) / 3
        for co in [x.department_code for x in order.assignments if x.role == "co" and x.active]:
            co_handler = actors.handler(co)
            run(feedback, co_handler, Action.CO_REPLY, note="已配合核查", department_code=co)
    run(o.replied_at, handler, Action.REPLY, note=o.reply_text or "已处理")
    if o.rating and o.rated_at:
        rating = Rating(o.rating)
        extra: dict[str, Any] = {}
        if rating is Rating.UNSATISFIED:
            due, warn = deadline(ctx, o.rated_at, TimeLimit.parse(order.time_limit or "5d"))
            extra = {"due_at": due, "warn_at": warn}
        run(o.rated_at, actors.caller(a), Action.RATE, note="回访评价", rating=rating, **extra)
        if rating is Rating.UNSATISFIED:
            second = o.second_replied_at or o.rated_at + timedelta(hours=26)
            if second < ctx.clock.now():
                run(o.rated_at + timedelta(hours=1), handler, Action.ACCEPT, note="重办签收")
                run(
                    second,
                    handler,
                    Action.REPLY,
                    note=o.second_reply_text or "经复核，已按政策向来电人再次解释说明。",
                )
                run(
                    second + timedelta(hours=4),
                    actors.dispatcher,
                    Action.CLOSE,
                    note="重办答复后回访办结",
                )
    elif order.status is OrderStatus.REPLIED and o.replied_at:
        # Residents who never answer the callback: closed after three days (回访未接通).
        closing = o.replied_at + timedelta(days=3)
        if closing < ctx.clock.now():
            run(closing, actors.dispatcher, Action.CLOSE, note="多次回访未接通，按规定办结")
    if o.cancelled:
        run(o.cancelled_at, actors.dispatcher, Action.CANCEL, note=o.cancel_reason or "重复诉求")
    return draft
