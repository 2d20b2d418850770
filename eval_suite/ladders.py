"""The ladder metric: agreement of predicted scores with a quality order known only *within* ladders.

Clips made from one source at controlled distortions (:mod:`s2i_hf.distortions`) have a known order inside each
*ladder* (the source's pristine clip plus one family's variants, mildest to strongest) and no known order across
ladders (a strong flicker and a mild blur). :func:`ladder_metrics` scores a model's predictions on such clips: the
mean Spearman correlation within ladders, the share of correctly ordered pairs within ladders, per-family means.
``s2i demo`` reports it for the base model, the tuned model and the estimators; ``benchmarks/learning_signal.py``
uses it too.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence


__all__ = ["LadderClip", "ladder_metrics"]


class LadderClip(Protocol):
    """What :func:`ladder_metrics` reads of a clip (e.g. ``s2i_hf.demo.HeldOutClip``)."""

    @property
    def name(self) -> str: ...  # the key of the clip's prediction

    @property
    def source(self) -> str: ...  # clips of one source share the pristine clip

    @property
    def family(self) -> str | None: ...  # None: the pristine clip

    @property
    def quality(self) -> float: ...  # the known quality (higher is better)


def ladder_metrics(clips: Sequence[LadderClip], predicted: Mapping[str, float | None]) -> dict[str, Any]:
    """Agreement of predicted scores with the known order *within* each ladder.

    A ladder is a source's pristine clip plus one family's variants; its SRCC is Spearman's correlation of the
    predictions with the known quality (a ladder whose predictions are all equal counts 0). Clips without a
    prediction are left out. Returns the mean SRCC over ladders (``ladder_srcc``), the share of correctly ordered
    pairs within ladders (``pair_accuracy``), the number of ladders and the per-family means (``per_family_srcc``).
    """
    import numpy as np
    from scipy.stats import spearmanr

    by_source: dict[str, list[LadderClip]] = {}
    for c in clips:
        if c.name in predicted and predicted[c.name] is not None:
            by_source.setdefault(c.source, []).append(c)
    per_family: dict[str, list[float]] = {}
    pairs_ok = pairs = 0
    for members in by_source.values():
        pristine = [c for c in members if c.family is None]
        for family in sorted({c.family for c in members if c.family}):
            ladder = pristine + [c for c in members if c.family == family]
            if len(ladder) < 2:
                continue
            x = np.array([predicted[c.name] for c in ladder], dtype=float)
            y = np.array([c.quality for c in ladder], dtype=float)
            rho = 0.0 if np.ptp(x) == 0 else float(spearmanr(x, y)[0])
            per_family.setdefault(family, []).append(rho)
            for i in range(len(ladder)):
                for j in range(i + 1, len(ladder)):
                    if y[i] != y[j]:
                        pairs += 1
                        pairs_ok += int((x[i] - x[j]) * (y[i] - y[j]) > 0)
    all_rho = [r for v in per_family.values() for r in v]
    return {
        "ladder_srcc": float(np.mean(all_rho)) if all_rho else None,
        "pair_accuracy": pairs_ok / pairs if pairs else None,
        "ladders": len(all_rho),
        "per_family_srcc": {f: float(np.mean(v)) for f, v in sorted(per_family.items())},
    }
