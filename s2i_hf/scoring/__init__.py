"""Scoring: named scorers for the 14 dimensions, and the pipeline that turns a video into scores and levels."""

from .base import CallableScorer, Scorer, ScorerError, ScorerOutput
from .calibration import Calibration
from .pipeline import DimensionScores, VideoScorer
from .registry import (
    ScorerEntry,
    ScorerPluginError,
    create_scorer,
    default_scorer_names,
    list_scorers,
    load_scorer_plugins,
    register_scorer,
    register_scorer_prefix,
    scorer_entry,
)
from .runner import read_rows, score_videos


__all__ = [
    "Calibration",
    "DimensionScores",
    "VideoScorer",
    "read_rows",
    "score_videos",
    "CallableScorer",
    "Scorer",
    "ScorerEntry",
    "ScorerError",
    "ScorerOutput",
    "ScorerPluginError",
    "create_scorer",
    "default_scorer_names",
    "list_scorers",
    "load_scorer_plugins",
    "register_scorer",
    "register_scorer_prefix",
    "scorer_entry",
]
