"""Scoring: named scorers for the 14 dimensions, and the pipeline that turns a video into scores and levels."""

from .base import CallableScorer, Scorer, ScorerError, ScorerOutput
from .calibration import Calibration
from .pipeline import DimensionScores, VideoScorer
from .registry import create_scorer, default_scorer_names, list_scorers, register_scorer
from .runner import read_rows, score_videos

__all__ = [
    "Calibration",
    "DimensionScores",
    "VideoScorer",
    "read_rows",
    "score_videos",
    "CallableScorer",
    "Scorer",
    "ScorerError",
    "ScorerOutput",
    "create_scorer",
    "default_scorer_names",
    "list_scorers",
    "register_scorer",
]
