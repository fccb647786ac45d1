"""Community configuration (thresholds, time limits, point rules) from YAML: the package ships
`community.yaml` (the Gulou garbage-sorting rules among it); a city may point
CITYLOOP_COMMUNITY_CONFIG at its own file. Plain dataclasses; nothing here does I/O but `load`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cityloop.settings import Settings

DEFAULT_PATH = Path(__file__).with_name("community.yaml")


@dataclass(frozen=True)
class WishPolicy:
    support_ratio: float = 0.8  # share of the voting households that must support
    min_turnout: float = 0.3  # share of the community's households that must have voted
    min_households: int = 3  # and never fewer voting households than this
    channel: str = "wechat"


@dataclass(frozen=True)
class SnapPolicy:
    radius_m: float = 80.0
    window_hours: float = 72.0
    min_similarity: float = 0.35
    escalate_at: int = 3  # distinct reporters
    channel: str = "wechat"


@dataclass(frozen=True)
class MediationPolicy:
    # working days a level has before the case goes up (小事不出社区、大事不出街道)
    limits: dict[str, str] = field(
        default_factory=lambda: {"community": "10d", "street": "15d", "district": "30d"}
    )
    follow_up: str = "10d"
    types: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CommunityConfig:
    wishes: WishPolicy
    snaps: SnapPolicy
    mediation: MediationPolicy
    points: dict[str, Any]
    care_tags: dict[str, str]


def parse(data: dict[str, Any]) -> CommunityConfig:
    med = data.get("mediation") or {}
    return CommunityConfig(
        wishes=WishPolicy(**(data.get("wishes") or {})),
        snaps=SnapPolicy(**(data.get("snaps") or {})),
        mediation=MediationPolicy(
            limits={**MediationPolicy().limits, **(med.get("limits") or {})},
            follow_up=str(med.get("follow_up", "10d")),
            types=dict(med.get("types") or {}),
        ),
        points=dict(data.get("points") or {}),
        care_tags=dict(data.get("care_tags") or {}),
    )


@lru_cache(maxsize=8)
def _load(path: str) -> CommunityConfig:
    with open(path, encoding="utf-8") as f:
        return parse(yaml.safe_load(f) or {})


def load(settings: Settings) -> CommunityConfig:
    configured = getattr(settings, "community_config", None) or os.environ.get(
        "CITYLOOP_COMMUNITY_CONFIG"
    )
    return _load(str(configured or DEFAULT_PATH))
