"""The 14 quality dimensions, their groups and the aggregation rule, read from ``catalog/dimensions.yaml``.

The catalogue is data; this module only gives it types. Use :data:`DIMENSIONS` (ordered as in the
catalogue), :func:`get_dimension` and :data:`GROUPS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from .catalog import load_yaml


__all__ = [
    "Dimension",
    "DIMENSIONS",
    "DIMENSION_IDS",
    "GROUPS",
    "Aggregation",
    "AGGREGATION",
    "get_dimension",
    "dimensions_in_group",
    "load_catalog",
]


@dataclass(frozen=True)
class Dimension:
    """One quality dimension. ``definition`` is the text shown in prose instead of the bare id."""

    id: str
    name: str
    group: str
    stage: str
    maxwell: str | None
    definition: str


@dataclass(frozen=True)
class Aggregation:
    """How dimension scores combine into group scores and group scores into the overall score.

    group score   = (1 - min_weight) * mean(scores) + min_weight * min(scores)
    overall score = sum_g group_weights[g] * group score[g]
    """

    min_weight: float
    group_weights: Mapping[str, float]

    def __post_init__(self):
        if not 0.0 <= self.min_weight <= 1.0:
            raise ValueError(f"aggregation.min_weight must lie in [0, 1], got {self.min_weight}")
        total = sum(self.group_weights.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"aggregation.group_weights must sum to 1, got {dict(self.group_weights)} (sum {total})")

    def group_score(self, scores: Mapping[str, float], group: str) -> float:
        values = [float(scores[d.id]) for d in dimensions_in_group(group) if d.id in scores]
        if not values:
            raise ValueError(f"no scores for any dimension of group {group!r}")
        mean = sum(values) / len(values)
        return (1.0 - self.min_weight) * mean + self.min_weight * min(values)

    def group_scores(self, scores: Mapping[str, float]) -> dict[str, float]:
        return {group: self.group_score(scores, group) for group in self.group_weights}

    def overall_score(self, group_scores: Mapping[str, float]) -> float:
        return float(sum(w * group_scores[g] for g, w in self.group_weights.items()))


@lru_cache(maxsize=None)
def load_catalog() -> dict:
    """The raw catalogue (a dict parsed from the packaged YAML)."""
    return load_yaml("dimensions.yaml")


def _build():
    raw = load_catalog()
    groups = dict(raw["groups"])
    dims = tuple(Dimension(**entry) for entry in raw["dimensions"])
    for d in dims:
        if d.group not in groups:
            raise ValueError(f"dimension {d.id!r} names unknown group {d.group!r}")
    agg = raw["aggregation"]
    return dims, groups, Aggregation(min_weight=float(agg["min_weight"]), group_weights=dict(agg["group_weights"]))


DIMENSIONS, GROUPS, AGGREGATION = _build()
DIMENSION_IDS: tuple[str, ...] = tuple(d.id for d in DIMENSIONS)
_BY_ID = {d.id: d for d in DIMENSIONS}


def get_dimension(dimension_id: str) -> Dimension:
    try:
        return _BY_ID[dimension_id]
    except KeyError:
        raise KeyError(f"unknown dimension {dimension_id!r}; known: {', '.join(DIMENSION_IDS)}") from None


def dimensions_in_group(group: str) -> tuple[Dimension, ...]:
    if group not in GROUPS:
        raise KeyError(f"unknown group {group!r}; known: {', '.join(GROUPS)}")
    return tuple(d for d in DIMENSIONS if d.group == group)
