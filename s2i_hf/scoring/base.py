"""The scorer interface: a clip in, a raw measurement out, calibrated to a score in [0, 1].

Write a scorer by subclassing :class:`Scorer` and implementing :meth:`Scorer.measure`, or hand any
callable ``clip -> float in [0, 1]`` to :func:`s2i_hf.scoring.register_scorer`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..video import Clip
from .calibration import Calibration


__all__ = ["Scorer", "ScorerOutput", "CallableScorer", "ScorerError"]


class ScorerError(Exception):
    """A scorer could not produce a value for a clip (the reason says why)."""


@dataclass(frozen=True)
class ScorerOutput:
    score: float
    raw: float


class Scorer:
    """Base class of all scorers.

    Class attributes: ``name`` (registry key), ``version`` (bumped when outputs change; recorded as
    provenance ``name@version``), ``dimension`` (the dimension it is meant for), ``calibration`` (raw -> [0, 1]).
    """

    name: str = "scorer"
    version: str = "1"
    dimension: str | None = None
    calibration: Calibration = Calibration()

    def __init__(self, calibration: Calibration | None = None):
        if calibration is not None:
            self.calibration = calibration

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def measure(self, clip: Clip) -> float:
        """The raw measurement on a clip. Subclasses implement this."""
        raise NotImplementedError

    def __call__(self, clip: Clip) -> ScorerOutput:
        raw = float(self.measure(clip))
        if not math.isfinite(raw):
            raise ScorerError(f"{self.id} produced a non-finite value ({raw})")
        score = float(self.calibration(raw))
        return ScorerOutput(score=score, raw=raw)

    def __repr__(self):
        return f"{type(self).__name__}({self.id}, dimension={self.dimension})"


class CallableScorer(Scorer):
    """Wraps a user callable ``clip -> float`` (already in [0, 1] unless a calibration is given)."""

    def __init__(
        self,
        fn: Callable[[Clip], float],
        name: str,
        dimension: str | None = None,
        version: str = "1",
        calibration: Calibration | None = None,
    ):
        super().__init__(calibration)
        self.fn = fn
        self.name = name
        self.version = version
        self.dimension = dimension

    def measure(self, clip: Clip) -> float:
        return float(self.fn(clip))

    def __call__(self, clip: Clip) -> ScorerOutput:
        out = super().__call__(clip)
        if self.calibration.kind == "identity" and not 0.0 <= out.raw <= 1.0:
            raise ScorerError(f"scorer {self.id} returned {out.raw}, outside [0, 1]; give it a calibration")
        return out
