"""What the machine understands about an appeal (智能研判): category suggestions from the
active model, the place from the text, and other open orders about the same incident.

The model, gazetteer and matcher are loaded once per process and refreshed on a timer, so a
model activated by `cityloop model activate` or a re-imported gazetteer reaches every worker.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, select, true

from cityloop.domain.statuses import WITH_DEPARTMENT, OrderStatus
from cityloop.geo.gazetteer import Gazetteer, GazetteerEntry
from cityloop.nlp.classifier import AppealClassifier
from cityloop.nlp.incidents import IncidentAppeal, IncidentMatcher
from cityloop.nlp.places import PlaceResolution, resolve_place
from cityloop.nlp.registry import UNTUNED_THRESHOLD, ModelRegistry
from cityloop.services.context import CityLoop
from cityloop.services.reference import Reference
from cityloop.services.routing import Suggestion
from cityloop.store.db import single_read
from cityloop.store.models import AppealRow, GazetteerRow, WorkOrderRow
from cityloop.store.prefix import ESCAPE, like_pattern, upper_bound

PLACE_CONFIDENT = 0.7  # at or above: the text's place locates the appeal (1.000 hit rate, demo)
OPEN_FOR_LINKING = [s.value for s in (*WITH_DEPARTMENT, OrderStatus.PENDING_DISPATCH)]


class IncidentLink(NamedTuple):
    """The open order an appeal repeats, and why: ``reasons`` for the dispatcher's screen,
    ``evidence`` as data (distance, same address or place, category, text similarity)."""

    order_id: int
    score: float
    reasons: str
    evidence: dict[str, Any]


class ModelSuggester:
    """The classifier behind the routing port: labels mapped to category codes."""

    def __init__(self, model: AppealClassifier, version: str, threshold: float) -> None:
        self.model = model
        self.version = version
        self.threshold = threshold
        self._codes: dict[str, str] = {}

    def bind(self, ref: Reference) -> ModelSuggester:
        """Map the model's labels (name paths like 城乡建设/市政设施, or first-level names) to
        the city's category codes; labels the taxonomy lacks are never suggested."""
        by_path = {path: code for code, path in ref.category_paths.items()}
        self._codes = {
            str(label): by_path[str(label)]
            for label in self.model.classes_
            if str(label) in by_path
        }
        return self

    def suggest(self, text: str, k: int = 3) -> list[Suggestion]:
        return [
            Suggestion(self._codes[label], prob)
            for label, prob in self.model.top_k(text, k=k)
            if label in self._codes
        ]

    def explain(self, text: str, category_code: str, k: int = 8) -> list[tuple[str, float]]:
        label = next((lbl for lbl, code in self._codes.items() if code == category_code), None)
        return self.model.explain(text, label=label, k=k) if label else []


@dataclass
class _Loaded:
    at: float
    value: Any


class Understanding:
    """Per-process holder of the model, gazetteer and incident matcher."""

    def __init__(self, ctx: CityLoop, ttl_seconds: float = 30.0) -> None:
        self.ctx = ctx
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._model: _Loaded | None = None
        self._model_version: str | None = None
        self._gazetteer: _Loaded | None = None
        self._matcher: _Loaded | None = None

    def _fresh(self, item: _Loaded | None, ttl: float) -> bool:
        return item is not None and time.monotonic() - item.at < ttl

    def suggester(self) -> ModelSuggester | None:
        if self._model is not None and self._fresh(self._model, self.ttl):
            cached: ModelSuggester | None = self._model.value
            return cached
        with self._lock:
            registry = ModelRegistry(self.ctx.settings.models_dir)
            version = registry.active_version()
            if version != self._model_version or self._model is None:
                model = registry.active()
                value = None
                if model is not None and version is not None:
                    chosen = self.ctx.settings.auto_dispatch_threshold
                    stored = registry.threshold(version) or UNTUNED_THRESHOLD
                    threshold = chosen if chosen is not None else stored
                    value = ModelSuggester(model, version, threshold).bind(self.ctx.reference.get())
                self._model = _Loaded(time.monotonic(), value)
                self._model_version = version
            else:
                self._model = _Loaded(time.monotonic(), self._model.value)
            return self._model.value  # type: ignore[no-any-return]

    def gazetteer(self) -> Gazetteer:
        if self._fresh(self._gazetteer, self.ttl):
            return self._gazetteer.value  # type: ignore[union-attr,no-any-return]
        with self._lock, self.ctx.uow() as uow:
            entries = [
                GazetteerEntry(
                    r.name,
                    r.kind,
                    r.lon,
                    r.lat,
                    r.grid_code,
                    tuple(r.aliases or ()),
                    r.district,
                    r.street,
                )
                for r in uow.session.execute(select(GazetteerRow)).scalars()
            ]
            self._gazetteer = _Loaded(time.monotonic(), Gazetteer(entries))
            return self._gazetteer.value  # type: ignore[no-any-return]

    def matcher(self) -> IncidentMatcher:
        # Word rarity drifts slowly: refit on recent appeals once an hour.
        if self._fresh(self._matcher, 3600):
            return self._matcher.value  # type: ignore[union-attr,no-any-return]
        with self._lock, self.ctx.uow() as uow:
            texts = uow.session.execute(
                select(AppealRow.title, AppealRow.content)
                .order_by(AppealRow.id.desc())
                .limit(20000)
            ).all()
            settings = self.ctx.settings
            matcher = IncidentMatcher(
                max_distance_m=settings.incident_radius_m,
                near_m=settings.incident_near_m,
                window_hours=settings.incident_window_hours,
            ).fit(f"{t}。{c}" for t, c in texts)
            self._matcher = _Loaded(time.monotonic(), matcher)
            return matcher

    def threshold(self, category_code: str, suggester: ModelSuggester) -> float:
        return self.ctx.settings.category_thresholds.get(category_code, suggester.threshold)

    def place(self, title: str, content: str, address: str) -> PlaceResolution:
        return resolve_place(
            title, content, address, self.gazetteer(), self.ctx.reference.get().grids
        )

    def same_incident(
        self,
        text: str,
        lon: float | None,
        lat: float | None,
        place_name: str | None,
        category_code: str,
        received_at: datetime,
        address: str = "",
        sensing_rule: str | None = None,
    ) -> IncidentLink | None:
        """The open order this appeal most likely repeats, with the evidence for it."""
        found = self.similar_orders(
            text, lon, lat, place_name, category_code, received_at, 1, address, sensing_rule
        )
        return found[0] if found else None

    def similar_orders(
        self,
        text: str,
        lon: float | None,
        lat: float | None,
        place_name: str | None,
        category_code: str,
        received_at: datetime,
        limit: int = 5,
        address: str = "",
        sensing_rule: str | None = None,
        exclude: int | None = None,
        uncategorized: bool = False,
    ) -> list[IncidentLink]:
        """Open orders that may be about the same incident, best first, each with its
        evidence. ``uncategorized`` also weighs open orders nobody has categorised yet (the
        dispatch queue of a city without a model), on place and text alone."""
        ref = self.ctx.reference.get()
        matcher = self.matcher()
        since = received_at - timedelta(hours=self.ctx.settings.incident_window_hours)
        # The candidates' statement has a few shapes, each built once (`_candidates`).
        broader = ref.category_ancestry(category_code)[1:-1]  # levels 2 .. own - 1
        params: dict[str, Any] = {"since": since, "broader": broader}
        upper = upper_bound(category_code)
        if upper is not None:
            params |= {"prefix": category_code, "upper": upper}
        else:
            params["pattern"] = like_pattern(category_code)
        pinned = False
        if lon is not None and lat is not None:
            pinned = True
            reach = max(matcher.rules.radius_m, matcher.rules.same_place_m)
            dlat = reach / 111_320
            dlon = reach / (111_320 * max(math.cos(math.radians(lat)), 0.01))
            params |= {
                "lon0": lon - dlon,
                "lon1": lon + dlon,
                "lat0": lat - dlat,
                "lat1": lat + dlat,
            }
        query = _candidates(pinned, bool(broader), uncategorized, upper is not None)
        with single_read(self.ctx.engine) as conn:
            rows = conn.execute(query, params).all()
        rows = [r for r in rows if r.id != exclude]
        if not rows:
            return []
        paths = ref.category_paths
        candidates = [
            IncidentAppeal(
                str(r.id),
                f"{r.title}。{r.content}",
                r.lon,
                r.lat,
                r.place_name,
                paths.get(r.category_code or category_code, ""),
                r.received_at,
                r.address or "",
                r.rule or None,
            )
            for r in rows
        ]
        new = IncidentAppeal(
            "new",
            text,
            lon,
            lat,
            place_name,
            paths.get(category_code, ""),
            received_at,
            address,
            sensing_rule,
        )
        matches = matcher.find_matches(new, candidates)
        return [
            IncidentLink(int(i), float(score), why.describe(), why.as_record())
            for i, score, why in matches[:limit]
        ]


@lru_cache(maxsize=16)
def _candidates(pinned: bool, broader: bool, uncategorized: bool, ranged: bool) -> Any:
    """The open orders an appeal may repeat, as one statement per shape, built once: building
    it for every appeal was a tenth of an appeal's time with linking on. Only orders the
    matcher could accept: this category or one below it, or a broader one of at least two
    levels (the full path is compared where both have it); and with a pin, only orders
    without one or within reach (long texts of far orders cost most)."""
    code_col = WorkOrderRow.category_code
    same_kind: ColumnElement[bool] = (
        and_(code_col >= bindparam("prefix"), code_col < bindparam("upper"))
        if ranged
        else code_col.like(bindparam("pattern"), escape=ESCAPE)
    )
    if broader:
        same_kind = or_(same_kind, code_col.in_(bindparam("broader", expanding=True)))
    near: ColumnElement[bool] = true()
    if pinned:
        near = or_(
            WorkOrderRow.lon.is_(None),
            WorkOrderRow.lat.is_(None),
            and_(
                WorkOrderRow.lon.between(bindparam("lon0"), bindparam("lon1")),
                WorkOrderRow.lat.between(bindparam("lat0"), bindparam("lat1")),
            ),
        )
    first_appeal = AppealRow.ticket_no == WorkOrderRow.ticket_no  # the order's own caller
    return (
        select(
            WorkOrderRow.id,
            WorkOrderRow.title,
            WorkOrderRow.content,
            WorkOrderRow.lon,
            WorkOrderRow.lat,
            WorkOrderRow.category_code,
            WorkOrderRow.received_at,
            # Only the place's name, not the whole routing record: decoding 300 of those for
            # every new appeal was a fifth of linking's cost.
            WorkOrderRow.routing["place"]["name"].as_string().label("place_name"),
            WorkOrderRow.routing["sensing"]["rule"].as_string().label("rule"),
            AppealRow.address,
        )
        .outerjoin(AppealRow, first_appeal)
        .where(
            WorkOrderRow.received_at >= bindparam("since"),
            or_(same_kind, code_col.is_(None) if uncategorized else false()),
            near,
            WorkOrderRow.status.in_(OPEN_FOR_LINKING),
        )
        .order_by(WorkOrderRow.received_at.desc())
        .limit(300)
    )
