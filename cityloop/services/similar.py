"""相似工单: open orders that may be about the same incident as what the operator is typing, or
as an order in the dispatch queue, with what a person needs to decide a merge side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from cityloop.domain.jurisdiction import can_view, sees_personal_data
from cityloop.domain.orders import Actor
from cityloop.domain.privacy import mask_address, mask_text
from cityloop.nlp.keywords import KeywordSuggestion, keyword_categories
from cityloop.services.context import CityLoop
from cityloop.services.order_scope import NotFound, load_row, scope_of
from cityloop.services.reference import Reference
from cityloop.services.understanding import IncidentLink
from cityloop.store.models import WorkOrderRow

__all__ = ["describe", "keyword_suggestions", "similar_to_order"]


def keyword_suggestions(ref: Reference, text: str, limit: int = 3) -> list[KeywordSuggestion]:
    """Leaf categories whose names' words are in the text (no model needed)."""
    parents = {c.parent_code for c in ref.categories.values() if c.parent_code}
    leaves = {code for code in ref.categories if code not in parents}
    return keyword_categories(text, ref.category_paths, leaves, limit)


def describe(ctx: CityLoop, found: Sequence[IncidentLink], actor: Actor) -> list[dict[str, Any]]:
    """The matched orders the actor may see, best first, with score and reasons."""
    if not found:
        return []
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        session = uow.session
        rows = {
            r.id: r
            for r in session.execute(
                select(WorkOrderRow).where(WorkOrderRow.id.in_([f.order_id for f in found]))
            ).scalars()
        }
        out = []
        for order_id, score, reasons, evidence in found:
            row = rows.get(order_id)
            if row is None:
                continue
            scope = scope_of(session, row, ref)
            if not can_view(actor, scope):
                continue
            unmasked = sees_personal_data(actor, scope)
            out.append(
                {
                    "order_id": row.id,
                    "ticket_no": row.ticket_no,
                    "title": mask_text(row.title),
                    "content": row.content if unmasked else mask_text(row.content),
                    "status": row.status,
                    "received_at": row.received_at,
                    "category_path": ref.category_paths.get(row.category_code or ""),
                    "lead_department_name": ref.departments.get(row.lead_department or ""),
                    "region_name": ref.region_name(row.community_code)
                    or ref.region_name(row.street_code),
                    "lon": row.lon,
                    "lat": row.lat,
                    "urgency": row.urgency,
                    "score": round(score, 3),
                    # The shared address in the evidence is masked as the address field is.
                    "reasons": reasons if unmasked else mask_address(reasons),
                    "evidence": evidence
                    if unmasked or not evidence.get("same_address")
                    else {**evidence, "same_address": mask_address(evidence["same_address"])},
                }
            )
    return out


def similar_to_order(ctx: CityLoop, order_id: int, actor: Actor, limit: int = 5) -> dict[str, Any]:
    """Open orders that may repeat this one (for 合并 from a list): same category family,
    within the incident window, at the same place or near it."""
    ref = ctx.reference.get()
    with ctx.uow() as uow:
        row = load_row(uow.session, order_id)
        if not can_view(actor, scope_of(uow.session, row, ref)):
            raise NotFound(order_id)
        routing = row.routing or {}
        suggestions = routing.get("suggestions") or []
        category = row.category_code or (suggestions[0]["category_code"] if suggestions else None)
        place = (routing.get("place") or {}).get("name")
        text = f"{row.title} {row.content}".strip()
        lon, lat, at = row.lon, row.lat, row.received_at
    if not category:
        # Nothing chose or suggested one: the category names' own words (nlp/keywords.py).
        by_words = keyword_suggestions(ref, text, 1)
        category = by_words[0].category_code if by_words else None
    if not category:
        return {"order_id": order_id, "category_code": None, "items": []}
    found = ctx.understanding.similar_orders(
        text, lon, lat, place, category, at, limit, exclude=order_id, uncategorized=True
    )
    return {"order_id": order_id, "category_code": category, "items": describe(ctx, found, actor)}
