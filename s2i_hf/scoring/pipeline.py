"""From a video to 14 dimension scores, their levels, group levels and the overall score.

:class:`VideoScorer` holds one scorer per dimension (the weight-free defaults unless told otherwise), the
frame sampling and the level scale; :meth:`VideoScorer.score` returns :class:`DimensionScores`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..dimensions import AGGREGATION, DIMENSION_IDS, Aggregation
from ..display import sdr_picture
from ..frames import FrameSampling
from ..levels import DEFAULT_SCALE, LevelScale
from ..video import Clip, load_clip
from .active_area import crop_to_active_area
from .base import CallableScorer, Scorer, ScorerError
from .registry import create_scorer, default_scorer_names


__all__ = ["DimensionScores", "VideoScorer"]


@dataclass
class DimensionScores:
    """Scores of one video. ``scores``/``raw``/``levels``/``scorers`` are keyed by dimension id."""

    scores: dict[str, float]
    raw: dict[str, float]
    levels: dict[str, str]
    group_scores: dict[str, float]
    group_levels: dict[str, str]
    overall_score: float
    overall_level: str
    scorers: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": dict(self.scores),
            "levels": dict(self.levels),
            "group_scores": dict(self.group_scores),
            "group_levels": dict(self.group_levels),
            "overall_score": self.overall_score,
            "overall_level": self.overall_level,
            "raw": dict(self.raw),
            "scorers": dict(self.scorers),
        }

    @classmethod
    def from_scores(
        cls,
        scores: Mapping[str, float],
        *,
        scale: LevelScale = DEFAULT_SCALE,
        aggregation: Aggregation = AGGREGATION,
        raw: Mapping[str, float] | None = None,
        scorers: Mapping[str, str] | None = None,
    ) -> "DimensionScores":
        """Levels, group scores and the overall score derived from dimension scores by the catalogue rule."""
        missing = [d for d in DIMENSION_IDS if d not in scores]
        if missing:
            raise ValueError(f"scores missing for dimensions {missing}")
        clean = {d: float(scores[d]) for d in DIMENSION_IDS}
        bad = {d: v for d, v in clean.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"scores must lie in [0, 1]: {bad}")
        groups = aggregation.group_scores(clean)
        overall = aggregation.overall_score(groups)
        return cls(
            scores=clean,
            raw=dict(raw or clean),
            levels={d: scale.level(v) for d, v in clean.items()},
            group_scores=groups,
            group_levels={g: scale.level(v) for g, v in groups.items()},
            overall_score=overall,
            overall_level=scale.level(overall),
            scorers=dict(scorers or {}),
        )


ScorerSpec = str | Scorer | Callable[[Clip], float]


class VideoScorer:
    """Scores videos on the 14 dimensions.

    Args:
        scorers: dimension id -> a registry name, a :class:`Scorer`, or a callable ``clip -> [0, 1]``;
            dimensions not named use the weight-free default of the catalogue.
        sampling: how frames are taken: windows of consecutive frames (:class:`~s2i_hf.frames.FrameSampling`;
            default :meth:`FrameSampling.windows() <s2i_hf.frames.FrameSampling.windows>`).
        scale: the level scale (equal-width bins by default).
        num_threads: FFmpeg decoding threads for this process. Intact streams decode the same with any count; a damaged
            one may not (error concealment), so scores of damaged files are only repeatable at the same count.
        crop_bars: score the picture inside black letterbox or pillarbox bars
            (:func:`~s2i_hf.scoring.active_area.find_active_area`), not the bars; ``False`` scores whole frames.
    """

    def __init__(
        self,
        scorers: Mapping[str, ScorerSpec] | None = None,
        sampling: FrameSampling | None = None,
        scale: LevelScale = DEFAULT_SCALE,
        aggregation: Aggregation = AGGREGATION,
        num_threads: int = 1,
        crop_bars: bool = True,
    ):
        unknown = sorted(set(scorers or {}) - set(DIMENSION_IDS))
        if unknown:
            raise ValueError(f"unknown dimensions {unknown}; known: {', '.join(DIMENSION_IDS)}")
        chosen: dict[str, ScorerSpec] = {**default_scorer_names(), **(scorers or {})}
        self.scorers: dict[str, Scorer] = {d: self._resolve(d, chosen[d]) for d in DIMENSION_IDS}
        self.sampling = sampling or FrameSampling.windows()
        self.scale = scale
        self.aggregation = aggregation
        self.num_threads = num_threads
        self.crop_bars = crop_bars

    @staticmethod
    def _resolve(dimension: str, spec: ScorerSpec) -> Scorer:
        if isinstance(spec, Scorer):
            return spec
        if isinstance(spec, str):
            return create_scorer(spec)
        if callable(spec):
            return CallableScorer(spec, name=getattr(spec, "__name__", "callable"), dimension=dimension)
        raise TypeError(f"scorer for {dimension!r} must be a name, a Scorer or a callable, got {type(spec).__name__}")

    @property
    def provenance(self) -> dict[str, str]:
        """dimension id -> ``name@version`` of the scorer used."""
        return {d: s.id for d, s in self.scorers.items()}

    def setup(self) -> dict[str, Any]:
        """What determines this scorer's outputs (for caches and provenance)."""
        from dataclasses import asdict

        return {
            "scorers": self.provenance,
            "calibrations": {d: asdict(s.calibration) for d, s in self.scorers.items()},
            "sampling": self.sampling.to_dict(),
            "crop_bars": self.crop_bars,
            "hdr": "tone-mapped to SDR BT.709",
            "scale": self.scale.to_dict(),
            "aggregation": {
                "min_weight": self.aggregation.min_weight,
                "group_weights": dict(self.aggregation.group_weights),
            },
        }

    def load(self, video) -> Clip:
        """Decode ``video`` into the clip the scorers read (:meth:`picture`)."""
        return self.picture(load_clip(video, self.sampling, num_threads=self.num_threads))

    def picture(self, clip: Clip) -> Clip:
        """The clip as a viewer sees it: HDR (PQ, HLG) tone-mapped to SDR BT.709
        (:func:`~s2i_hf.display.sdr_picture`), then cut to its picture inside black bars
        (``metadata["active_area"]`` says where) unless ``crop_bars`` is off."""
        clip = sdr_picture(clip)
        return crop_to_active_area(clip) if self.crop_bars else clip

    def score_clip(self, clip: Clip) -> DimensionScores:
        """Score a decoded clip (its :meth:`picture`)."""
        clip = self.picture(clip)
        scores, raw, timings = {}, {}, {}
        for dim, scorer in self.scorers.items():
            start = time.perf_counter()
            try:
                out = scorer(clip)
            except ScorerError:
                raise
            except Exception as exc:
                raise ScorerError(
                    f"scorer {scorer.id} failed on dimension {dim}: {type(exc).__name__}: {exc}"
                ) from exc
            timings[dim] = time.perf_counter() - start
            if not 0.0 <= out.score <= 1.0:
                raise ScorerError(f"scorer {scorer.id} gave {out.score} for {dim}, outside [0, 1]")
            scores[dim], raw[dim] = out.score, out.raw
        result = DimensionScores.from_scores(
            scores, scale=self.scale, aggregation=self.aggregation, raw=raw, scorers=self.provenance
        )
        result.timings = timings
        return result

    def score(self, video) -> DimensionScores:
        """Decode ``video`` (path, bytes, datasets value, decoder) and score it."""
        return self.score_clip(self.load(video))
