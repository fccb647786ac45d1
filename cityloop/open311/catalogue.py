"""The Open311 service list: the leaf categories of the city's taxonomy, each with the
attributes open311.yaml gives it."""

from __future__ import annotations

from dataclasses import dataclass

from cityloop.open311.config import Attribute, Open311Config
from cityloop.services.reference import Reference


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: str
    attributes: tuple[Attribute, ...]

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


def _leaf_codes(ref: Reference) -> list[str]:
    parents = {c.parent_code for c in ref.categories.values() if c.parent_code}
    return sorted(code for code in ref.categories if code not in parents)


def _service(ref: Reference, config: Open311Config, code: str) -> Service:
    cat = ref.categories[code]
    path = ref.category_paths.get(code, cat.name)
    names = [n for n in path.split("/") if n]
    rule = config.rule_for(code, path)
    first = ref.categories.get(cat.ancestry[0]) if cat.ancestry else None
    return Service(
        code=code,
        name=cat.name,
        description=" / ".join(names),
        group=first.name if first else cat.name,
        keywords=(rule.keywords if rule and rule.keywords else ",".join(names)),
        attributes=tuple(sorted(rule.attributes, key=lambda a: a.order)) if rule else (),
    )


def list_services(ref: Reference, config: Open311Config) -> list[Service]:
    return [_service(ref, config, code) for code in _leaf_codes(ref)]


def is_leaf(ref: Reference, code: str) -> bool:
    return code in ref.categories and not any(
        c.parent_code == code for c in ref.categories.values()
    )


def get_service(ref: Reference, config: Open311Config, code: str) -> Service | None:
    """The service for a leaf category; None for an unknown code or an inner category."""
    return _service(ref, config, code) if is_leaf(ref, code) else None
