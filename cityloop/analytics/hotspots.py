"""Hot issues (热点问题): appeals clustered by topic and place within time windows, ranked by
a heat index.

1. Each appeal's text is normalised and segmented (`cityloop.nlp`); place names are extracted
   from the title, then the body (`nlp.places.extract_places`: estates, roads, schools …, with
   the district in front); the topic is the TF-IDF vector of the remaining words, the title
   counted twice.
2. Similarity of two appeals = cosine of the topic vectors, + `place_bonus` when they name the
   same place, × `far_factor` when they are more than `window_days` apart.
3. Average-linkage agglomerative clustering on 1 − similarity, cut at `threshold` (average
   linkage does not chain unrelated appeals together the way single linkage does).
4. Heat = ln(1+appeals) + ln(1+distinct reporters) + ½·ln(1+supports) + ½·ln(1+growth), where
   growth is the largest week-over-week rise of appeals in the cluster.
5. The name is the cluster's most common place plus the problem, read from its most central
   title with the place and filler words removed.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cityloop.geo.gazetteer import prepare
from cityloop.nlp.normalize import normalize
from cityloop.nlp.places import extract_places
from cityloop.nlp.segment import tokenize

_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
_PLACE_KINDS = ("estate", "poi", "road", "community", "street", "gazetteer")
_KIND_RANK = {"estate": 0, "poi": 1, "gazetteer": 1, "community": 2, "road": 3, "street": 4}
_ADMIN_RE = re.compile(
    r"^(?:关于|反映|投诉|举报|建议|咨询|请问|问问|请|对)*(?:[a-z]市)?(?:[a-z]\d*[区县]|经开区|高新区)?"
)
_NOISE_TOKEN_RE = re.compile(r"^(?:[a-z]+\d*|[市区县].*|.*[a-z]\d.*)$")
_DISTRICT_RE = re.compile(r"([A-Za-z]\d+[区县])")
_FILLER_RE = re.compile(
    r"^(?:关于|反映|投诉|举报|咨询|请问|建议|强烈要求|要求|恳请|请求|希望|请)+|"
    r"(?:的问题|问题|的情况|情况|的投诉|的建议|的咨询|的反映)$"
)
POPULATIONS = (
    "学生",
    "业主",
    "居民",
    "村民",
    "家长",
    "老师",
    "教师",
    "司机",
    "员工",
    "商户",
    "老人",
    "农民工",
    "购房者",
    "投资人",
    "受害人",
    "患者",
)
GENERIC = frozenset(
    {"问题", "反映", "领导", "希望", "请问", "小区", "关于", "投诉", "建议", "咨询", "市民", "我们"}
)


@dataclass
class Appeal:
    id: str
    user: str
    title: str
    content: str
    at: datetime
    supports: int = 0
    opposes: int = 0
    place: str = ""
    district: str = ""
    tokens: list[str] = field(default_factory=list)


@dataclass
class HotIssue:
    rank: int
    heat: float
    name: str
    place: str
    population: str
    problem: str
    start: datetime
    end: datetime
    appeals: list[str]
    reporters: int
    supports: int
    growth: int
    keywords: list[str]

    @property
    def period(self) -> str:
        return f"{self.start:%Y/%m/%d} 至 {self.end:%Y/%m/%d}"


def parse_time(text: str) -> datetime:
    t = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            continue
    raise ValueError(f"unknown time format {text!r}")


def read_messages(path: Path) -> list[Appeal]:
    """The Teddy 2020 hot-issue file: 留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 反对数,
    点赞数 (留言时间 in either of two formats)."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            out.append(
                Appeal(
                    id=r["留言编号"].strip(),
                    user=r["留言用户"].strip(),
                    title=r["留言主题"].strip(),
                    content=" ".join(r["留言详情"].split()),
                    at=parse_time(r["留言时间"]),
                    supports=int(r.get("点赞数") or 0),
                    opposes=int(r.get("反对数") or 0),
                )
            )
    return out


def _upper_latin(text: str) -> str:
    return re.sub(r"[a-z]", lambda m: m.group(0).upper(), text)


def place_of(title: str, content: str) -> tuple[str, str]:
    """(district, place name) from the title, else the first lines of the body."""
    district = ""
    for text in (title, content[:300]):
        m = _DISTRICT_RE.search(text)
        if m:
            district = m.group(1).upper()
            break
    for text in (title, content[:300]):
        norm = prepare(text)
        found = []
        for pm in extract_places(text):
            if pm.kind not in _PLACE_KINDS or norm[pm.end : pm.end + 1] == "道":  # 某某街道
                continue
            name = _ADMIN_RE.sub("", pm.text)
            if name.startswith("道") and len(name) > 3:  # the tail of 某某街道
                name = name[1:]
            if len(name) >= 3 and name not in ("小区", "该小区", "本小区"):
                found.append((_KIND_RANK.get(pm.kind, 9), pm.start, _upper_latin(name)))
        if found:
            return district, min(found)[2]
    return district, ""


def _prepare(appeals: Sequence[Appeal]) -> None:
    for a in appeals:
        a.district, a.place = place_of(a.title, a.content)
        title = normalize(a.title)
        body = normalize(a.content[:400])
        words = [w for w in tokenize(title) + tokenize(title) + tokenize(body) if len(w) > 1]
        place_words = set(tokenize(normalize(a.place))) if a.place else set()
        a.tokens = [
            w
            for w in words
            if w not in place_words and not w.isdigit() and not _NOISE_TOKEN_RE.match(w)
        ]


def _similarity(appeals: Sequence[Appeal], window_days: int, place_bonus: float, far: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=lambda toks: toks, min_df=2, sublinear_tf=True)
    x = vec.fit_transform([a.tokens for a in appeals])
    sim = (x @ x.T).toarray().astype(np.float32)
    places = np.array([a.place for a in appeals])
    same = (places[:, None] == places[None, :]) & (places[:, None] != "")
    sim = np.minimum(1.0, sim + place_bonus * same)
    t = np.array([a.at.timestamp() for a in appeals]) / 86400.0
    apart = np.abs(t[:, None] - t[None, :]) > window_days
    sim = np.where(apart, sim * far, sim)
    np.fill_diagonal(sim, 1.0)
    return sim, vec, x


def _growth(times: Sequence[datetime]) -> int:
    if not times:
        return 0
    start = min(times)
    weeks = Counter(int((t - start).days // 7) for t in times)
    last = max(weeks)
    return max((weeks.get(w, 0) - weeks.get(w - 1, 0) for w in range(last + 1)), default=0)


def heat_index(appeals: int, reporters: int, supports: int, growth: int) -> float:
    return round(
        math.log1p(appeals)
        + math.log1p(reporters)
        + 0.5 * math.log1p(max(supports, 0))
        + 0.5 * math.log1p(max(growth, 0)),
        3,
    )


def _problem(titles: Iterable[str], place: str, district: str) -> str:
    best = ""
    for title in titles:
        t = title
        for s in (place, district, "A市", "a市", "西地省"):
            if s:
                t = t.replace(s, "")
        t = re.sub(r"[？?！!。，,、“”\"《》\s]+", " ", t).strip()
        for _ in range(2):
            t = _FILLER_RE.sub("", t).strip()
        if len(t) >= 4:
            return t[:30]
        best = best or t
    return best[:30]


def cluster(
    appeals: Sequence[Appeal],
    threshold: float = 0.62,
    window_days: int = 60,
    place_bonus: float = 0.3,
    far_factor: float = 0.5,
    min_size: int = 2,
) -> list[HotIssue]:
    """Cluster and rank; returns every cluster of at least `min_size` appeals, hottest first."""
    if len(appeals) < 2:
        return []
    from sklearn.cluster import AgglomerativeClustering

    _prepare(appeals)
    sim, vec, x = _similarity(appeals, window_days, place_bonus, far_factor)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=threshold,
    )
    labels = model.fit_predict(1.0 - sim)
    vocab = np.array(vec.get_feature_names_out())
    issues: list[HotIssue] = []
    for label in set(labels.tolist()):
        idx = np.flatnonzero(labels == label)
        if len(idx) < min_size:
            continue
        members = [appeals[int(i)] for i in idx]
        places = Counter(a.place for a in members if a.place)
        place = places.most_common(1)[0][0] if places else ""
        districts = Counter(
            a.district for a in members if a.district and (not place or a.place == place)
        ) or Counter(a.district for a in members if a.district)
        district = districts.most_common(1)[0][0] if districts else ""
        centre = np.asarray(sim[np.ix_(idx, idx)].mean(axis=1)).ravel()
        order = [members[i] for i in np.argsort(-centre)]
        problem = _problem((a.title for a in order), place, district)
        weights = np.asarray(x[idx].sum(axis=0)).ravel()
        keywords = [w for w in vocab[np.argsort(-weights)[:12]] if w not in GENERIC][:6]
        text = " ".join(a.title + a.content[:200] for a in members)
        pops = Counter({p: text.count(p) for p in POPULATIONS if p in text})
        population = pops.most_common(1)[0][0] if pops else ""
        times = [a.at for a in members]
        growth = _growth(times)
        reporters = len({a.user for a in members})
        supports = sum(a.supports for a in members)
        label_place = f"{district}{place}" if place else (district or "A市")
        issues.append(
            HotIssue(
                rank=0,
                heat=heat_index(len(members), reporters, supports, growth),
                name=f"{label_place} {problem}".strip(),
                place=label_place,
                population=population,
                problem=problem,
                start=min(times),
                end=max(times),
                appeals=[a.id for a in sorted(members, key=lambda a: a.at)],
                reporters=reporters,
                supports=supports,
                growth=growth,
                keywords=keywords,
            )
        )
    issues.sort(key=lambda h: (-h.heat, h.start))
    for i, h in enumerate(issues, 1):
        h.rank = i
    return issues


def write_tables(
    issues: Sequence[HotIssue], appeals: Sequence[Appeal], out: Path, top: int = 5
) -> None:
    """热点问题表 (top N) and 热点问题留言明细表 (every appeal of the top N) as CSV."""
    out.mkdir(parents=True, exist_ok=True)
    by_id = {a.id: a for a in appeals}
    with (out / "hot_issues.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "热度排名",
                "问题ID",
                "热度指数",
                "时间范围",
                "地点/人群",
                "问题描述",
                "留言数",
                "用户数",
                "点赞数",
            ]
        )
        for h in issues[:top]:
            where = h.place + (f"（{h.population}）" if h.population else "")
            w.writerow(
                [
                    h.rank,
                    h.rank,
                    h.heat,
                    h.period,
                    where,
                    h.name,
                    len(h.appeals),
                    h.reporters,
                    h.supports,
                ]
            )
    with (out / "hot_issue_appeals.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "问题ID",
                "留言编号",
                "留言用户",
                "留言主题",
                "留言时间",
                "留言详情",
                "点赞数",
                "反对数",
            ]
        )
        for h in issues[:top]:
            for aid in h.appeals:
                a = by_id[aid]
                w.writerow(
                    [
                        h.rank,
                        a.id,
                        a.user,
                        a.title,
                        f"{a.at:%Y/%m/%d %H:%M:%S}",
                        a.content,
                        a.supports,
                        a.opposes,
                    ]
                )
    with (out / "appeal_clusters.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["留言编号", "问题ID", "热度排名", "问题描述"])
        for h in issues:
            for aid in h.appeals:
                w.writerow([aid, h.rank, h.rank, h.name])


def live_hot_issues(ctx: Any, actor: Any, days: int | None = None, top: int = 10) -> dict[str, Any]:
    """Current hot issues from the appeals of the last `days` days the actor may see."""
    from sqlalchemy import func, select

    from cityloop.analytics.config import AnalyticsConfig
    from cityloop.services.orders import visibility_clause
    from cityloop.store.models import AppealRow, WorkOrderRow

    days = days or AnalyticsConfig.of(ctx.settings).hot_window_days
    now = ctx.clock.now()
    since = now - timedelta(days=days)
    stmt = (
        select(
            AppealRow.id,
            AppealRow.ticket_no,
            AppealRow.title,
            AppealRow.content,
            AppealRow.address,
            AppealRow.received_at,
            func.coalesce(AppealRow.reporter_phone, AppealRow.reporter_name, AppealRow.ticket_no),
            WorkOrderRow.id,
        )
        .join(WorkOrderRow, WorkOrderRow.id == AppealRow.work_order_id)
        .where(AppealRow.received_at >= since)
        .order_by(AppealRow.received_at)
        .limit(20000)
    )
    clause = visibility_clause(actor)
    if clause is not None:
        stmt = stmt.where(clause)
    with ctx.uow() as uow:
        rows = uow.session.execute(stmt).all()
    appeals = [
        Appeal(
            id=r[1],
            user=str(r[6]),
            title=r[2] or "",
            content=((r[4] or "") + " " + (r[3] or "")).strip(),
            at=ctx.local(r[5]).replace(tzinfo=None),
        )
        for r in rows
    ]
    issues = cluster(appeals) if len(appeals) >= 2 else []
    return {
        "since": since,
        "appeals": len(appeals),
        "items": [
            {
                "rank": h.rank,
                "heat": h.heat,
                "name": h.name,
                "place": h.place,
                "problem": h.problem,
                "start": h.start.isoformat(),
                "end": h.end.isoformat(),
                "appeals": len(h.appeals),
                "reporters": h.reporters,
                "growth": h.growth,
                "keywords": h.keywords,
                "tickets": h.appeals,
            }
            for h in issues[:top]
        ],
    }
