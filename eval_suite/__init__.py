"""Evaluation: Q-Align scoring, correlation metrics against MOS, and S2I-Bench judging.

The metrics are `evaluate` modules shipped inside this package; :func:`load_metric` finds and loads them
offline (``evaluate.load`` on the module's folder).
"""

from __future__ import annotations

import os


__all__ = ["METRICS", "metric_path", "load_metric"]

METRICS = ("srcc_plcc", "s2i_bench")


def metric_path(name: str) -> str:
    """Folder of a metric module shipped in the package."""
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}; shipped: {', '.join(METRICS)}")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


def load_metric(name: str, **kwargs):
    """``evaluate.load`` of a shipped metric, offline."""
    import evaluate

    return evaluate.load(metric_path(name), **kwargs)
