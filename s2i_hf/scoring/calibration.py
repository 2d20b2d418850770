"""Monotone maps from a scorer's raw measurement to a score in [0, 1] (higher is better).

Parameters are data: each default estimator's map is declared in ``catalog/estimators.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


__all__ = ["Calibration", "calibration_from_dict"]


@dataclass(frozen=True)
class Calibration:
    """``kind``:

    - ``logistic``: 1 / (1 + exp(-(raw - center) / width)); ``higher_is_better=False`` flips it.
    - ``linear``: (raw - low) / (high - low), clipped to [0, 1]; ``higher_is_better=False`` flips it.
    - ``exp``: exp(-max(raw, 0) / scale), for a raw *penalty* that is 0 on a flawless video.
    - ``identity``: the raw value, clipped to [0, 1].
    """

    kind: str = "identity"
    center: float = 0.0
    width: float = 1.0
    low: float = 0.0
    high: float = 1.0
    scale: float = 1.0
    higher_is_better: bool = True

    def __post_init__(self):
        if self.kind not in ("logistic", "linear", "exp", "identity"):
            raise ValueError(f"unknown calibration kind {self.kind!r}; use logistic, linear, exp or identity")
        if self.kind == "logistic" and self.width <= 0:
            raise ValueError("logistic calibration needs width > 0")
        if self.kind == "linear" and self.high <= self.low:
            raise ValueError("linear calibration needs high > low")
        if self.kind == "exp" and self.scale <= 0:
            raise ValueError("exp calibration needs scale > 0")

    def __call__(self, raw: float) -> float:
        x = float(raw)
        if math.isnan(x):
            raise ValueError("raw value is NaN")
        if self.kind == "logistic":
            z = (x - self.center) / self.width
            z = max(min(z, 60.0), -60.0)
            s = 1.0 / (1.0 + math.exp(-z))
        elif self.kind == "linear":
            s = (x - self.low) / (self.high - self.low)
        elif self.kind == "exp":
            return min(1.0, max(0.0, math.exp(-max(x, 0.0) / self.scale)))
        else:
            s = x
        s = min(1.0, max(0.0, s))
        return s if self.higher_is_better else 1.0 - s


def calibration_from_dict(spec: dict | None) -> Calibration:
    return Calibration(**(spec or {}))
