"""The five ITU-R quality levels: score <-> level, quantile calibration, Q-Align expected score.

A :class:`LevelScale` holds the level words (worst first), the four cut-offs between them and one anchor
score per level. The default scale comes from the catalogue: equal-width bins on [0, 1] and anchors
0, .25, .5, .75, 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from .dimensions import load_catalog


__all__ = [
    "LevelScale",
    "DEFAULT_SCALE",
    "LEVEL_WORDS",
    "score_to_level",
    "level_to_score",
    "expected_score",
    "level_token_ids",
]


def _default(key):
    return tuple(load_catalog()["levels"][key])


@dataclass(frozen=True)
class LevelScale:
    """Five ordered levels with cut-offs on [0, 1].

    ``words`` worst to best; ``cutoffs`` the four increasing boundaries (a score equal to a cut-off
    belongs to the upper level); ``anchors`` the score each level stands for (increasing, each inside its bin).
    """

    words: tuple[str, ...] = field(default_factory=lambda: _default("words"))
    cutoffs: tuple[float, ...] = field(default_factory=lambda: _default("cutoffs"))
    anchors: tuple[float, ...] = field(default_factory=lambda: _default("anchors"))

    def __post_init__(self):
        object.__setattr__(self, "words", tuple(str(w) for w in self.words))
        object.__setattr__(self, "cutoffs", tuple(float(c) for c in self.cutoffs))
        object.__setattr__(self, "anchors", tuple(float(a) for a in self.anchors))
        n = len(self.words)
        if n < 2 or len(set(self.words)) != n:
            raise ValueError(f"level words must be distinct and at least two, got {self.words}")
        if len(self.cutoffs) != n - 1:
            raise ValueError(f"{n} levels need {n - 1} cut-offs, got {len(self.cutoffs)}: {self.cutoffs}")
        if len(self.anchors) != n:
            raise ValueError(f"{n} levels need {n} anchors, got {len(self.anchors)}: {self.anchors}")
        if any(b <= a for a, b in zip(self.cutoffs, self.cutoffs[1:])):
            raise ValueError(f"cut-offs must increase strictly, got {self.cutoffs}")
        if any(b <= a for a, b in zip(self.anchors, self.anchors[1:])):
            raise ValueError(f"anchors must increase strictly, got {self.anchors}")

    # --- score <-> level -------------------------------------------------------------------------
    def index(self, score: float) -> int:
        """Level index (0 = worst) of a score."""
        s = float(score)
        if not np.isfinite(s):
            raise ValueError(f"score must be finite, got {score!r}")
        return int(np.searchsorted(self.cutoffs, s, side="right"))

    def indices(self, scores: Iterable[float]) -> np.ndarray:
        arr = np.asarray(list(scores) if not isinstance(scores, np.ndarray) else scores, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError("scores must be finite")
        return np.searchsorted(np.asarray(self.cutoffs), arr, side="right")

    def level(self, score: float) -> str:
        """The level word of a score."""
        return self.words[self.index(score)]

    def level_index(self, word: str) -> int:
        try:
            return self.words.index(word.strip().lower())
        except ValueError:
            raise ValueError(f"unknown level {word!r}; levels are {', '.join(self.words)}") from None

    def score(self, word: str) -> float:
        """The anchor score a level word stands for."""
        return self.anchors[self.level_index(word)]

    # --- Q-Align ---------------------------------------------------------------------------------
    def expected_score(self, probs: Sequence[float] | Mapping[str, float] | np.ndarray) -> float | np.ndarray:
        """sum_i p_i * anchor_i with p renormalised over the levels.

        ``probs`` is a mapping word -> probability, a sequence ordered like ``words`` (worst first), or an
        array whose last axis runs over the levels (a batch gives an array of scores).
        """
        if isinstance(probs, Mapping):
            missing = [w for w in self.words if w not in probs]
            if missing:
                raise ValueError(f"probabilities missing for levels {missing}")
            p = np.asarray([float(probs[w]) for w in self.words], dtype=np.float64)
        else:
            p = np.asarray(probs, dtype=np.float64)
        if p.shape[-1] != len(self.words):
            raise ValueError(f"expected {len(self.words)} probabilities on the last axis, got shape {p.shape}")
        if np.any(p < 0) or not np.all(np.isfinite(p)):
            raise ValueError("probabilities must be finite and non-negative")
        total = p.sum(axis=-1, keepdims=True)
        if np.any(total <= 0):
            raise ValueError("probabilities sum to zero")
        out = (p / total) @ np.asarray(self.anchors)
        return float(out) if out.ndim == 0 else out

    # --- calibration -----------------------------------------------------------------------------
    @classmethod
    def from_quantiles(
        cls, scores: Iterable[float], proportions: Sequence[float] | None = None, **kwargs
    ) -> "LevelScale":
        """A scale whose cut-offs put the given share of ``scores`` in each level (equal shares by default).

        Anchors become the median score inside each fitted bin, so the round trip level -> score -> level holds.
        """
        arr = np.sort(np.asarray(list(scores), dtype=np.float64))
        words = tuple(kwargs.pop("words", _default("words")))
        if kwargs:
            raise TypeError(f"unexpected arguments {sorted(kwargs)}")
        n = len(words)
        if arr.size < n:
            raise ValueError(f"need at least {n} scores to fit {n} levels, got {arr.size}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("scores must be finite")
        props = np.full(n, 1.0 / n) if proportions is None else np.asarray(proportions, dtype=np.float64)
        if props.shape != (n,) or np.any(props <= 0):
            raise ValueError(f"proportions must be {n} positive numbers, got {proportions}")
        edges = np.cumsum(props / props.sum())[:-1]
        cutoffs = np.quantile(arr, edges)
        if np.any(np.diff(cutoffs) <= 0):
            raise ValueError("scores are too concentrated to fit distinct quantile cut-offs")
        bounds = np.concatenate([[arr[0]], cutoffs, [arr[-1]]])
        anchors = []
        for i in range(n):
            lo, hi = bounds[i], bounds[i + 1]
            inside = arr[(arr >= lo) & (arr < hi)] if i < n - 1 else arr[arr >= lo]
            anchors.append(float(np.median(inside)) if inside.size else float((lo + hi) / 2))
        return cls(words=words, cutoffs=tuple(cutoffs), anchors=tuple(anchors))

    def to_dict(self) -> dict:
        return {"words": list(self.words), "cutoffs": list(self.cutoffs), "anchors": list(self.anchors)}


DEFAULT_SCALE = LevelScale()
LEVEL_WORDS: tuple[str, ...] = DEFAULT_SCALE.words


def score_to_level(score: float, scale: LevelScale = DEFAULT_SCALE) -> str:
    return scale.level(score)


def level_to_score(word: str, scale: LevelScale = DEFAULT_SCALE) -> float:
    return scale.score(word)


def expected_score(probs, scale: LevelScale = DEFAULT_SCALE):
    return scale.expected_score(probs)


def level_token_ids(
    tokenizer, answer_prefix: str, words: Sequence[str] = LEVEL_WORDS, separator: str = " "
) -> list[list[int]]:
    """Token ids that each level word adds after ``answer_prefix`` + ``separator`` (found by diffing tokenizations,
    so a leading space and multi-token words come out right): what Q-Align scoring reads and what score-aware
    training targets. Raises ``ValueError`` when the tokenizer merges a word into the prefix."""
    base = tokenizer(answer_prefix, add_special_tokens=False)["input_ids"]
    out = []
    for word in words:
        ids = tokenizer(f"{answer_prefix}{separator}{word}", add_special_tokens=False)["input_ids"]
        if ids[: len(base)] != base:
            raise ValueError(
                f"the tokenizer merges the level word {word!r} into the prompt {answer_prefix!r}; "
                "change the answer prefix"
            )
        out.append(ids[len(base) :])
    return out
