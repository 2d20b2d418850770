"""The pictures s2i-hf draws for people to look at: one module, matplotlib with the Agg backend (no display
needed), imported only when a plot is drawn.

* :func:`plot_prediction_scatter`: predicted score against MOS on a VQA set, with the 4-parameter logistic fit
  (``s2i eval``);
* :func:`plot_training_loss`: training loss against step, the stages in sequence (the model card);
* :func:`plot_level_distribution`: videos per level word for each quality dimension (the dataset card);
* :func:`plot_comparison`: grouped bars, one group per metric column and one bar per model (the leaderboard).

Each writes a PNG to ``path`` and returns the path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence


__all__ = ["plot_comparison", "plot_level_distribution", "plot_prediction_scatter", "plot_training_loss"]

LEVEL_COLOURS = ("#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac")  # bad .. excellent


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_prediction_scatter(
    predicted: Sequence[float],
    mos: Sequence[float],
    path: str,
    *,
    logistic_params: Sequence[float] | None = None,
    metrics: Mapping[str, float] | None = None,
    dataset: str = "",
    model: str = "",
) -> str:
    """Predicted score (x) against MOS (y), with the 4-parameter logistic ``(b1 - b2) * sigmoid((x - b3) / |b4|) +
    b2`` drawn when its parameters are given; the title names the model, the set, SRCC, PLCC and n."""
    import numpy as np

    plt = _pyplot()
    metrics = metrics or {}
    fig, ax = plt.subplots(figsize=(5, 4.2), dpi=120)
    ax.scatter(predicted, mos, s=12, alpha=0.7, edgecolors="none")
    if logistic_params:
        from scipy.special import expit

        b1, b2, b3, b4 = logistic_params
        grid = np.linspace(min(predicted), max(predicted), 200)
        ax.plot(
            grid,
            (b1 - b2) * expit((grid - b3) / (abs(b4) + 1e-12)) + b2,
            color="C3",
            lw=1.5,
            label="4-parameter logistic fit",
        )
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("predicted score (Q-Align expected level, 0-1)")
    ax.set_ylabel("MOS")
    short = os.path.basename(model.rstrip("/")) or model
    srcc, plcc = metrics.get("srcc", float("nan")), metrics.get("plcc", float("nan"))
    ax.set_title(f"{short} on {dataset}\nSRCC {srcc:.3f}  PLCC {plcc:.3f}  n={len(predicted)}", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_training_loss(
    summary: Mapping,
    path: str,
    *,
    stages: Sequence[str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> str | None:
    """Loss against optimizer step from a training summary (:mod:`s2i_hf.artifacts`: ``summary["stages"][name]
    ["losses"]`` as ``[step, loss]`` pairs), one line per stage that logged losses, each stage's steps counted on
    from the previous one. ``stages`` picks the stages and their order (default: all, in the summary's order);
    ``titles`` names the lines (default: the stage names). ``None`` when no stage logged."""
    recorded = (summary or {}).get("stages") or {}
    stages = {
        name: recorded[name]
        for name in (recorded if stages is None else stages)
        if isinstance(recorded.get(name), Mapping) and recorded[name].get("losses")
    }
    if not stages:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    offset = 0
    for name, stage in stages.items():
        steps = [offset + float(p[0]) for p in stage["losses"]]
        ax.plot(steps, [float(p[1]) for p in stage["losses"]], marker=".", label=(titles or {}).get(name, name))
        offset = max(steps) if steps else offset
    ax.set_xlabel("optimizer step (stages in sequence)")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_level_distribution(records: Sequence[Mapping], path: str, words: Sequence[str]) -> str:
    """Stacked horizontal bars: for each quality dimension, how many of ``records`` (rows of the ``scores`` view,
    ``levels`` mapping dimension id -> level word) sit at each of ``words``."""
    from .dimensions import DIMENSIONS

    plt = _pyplot()
    counts = [[sum(1 for r in records if r["levels"][d.id] == w) for w in words] for d in DIMENSIONS]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    left = [0] * len(DIMENSIONS)
    for j, w in enumerate(words):
        vals = [c[j] for c in counts]
        ax.barh(
            [d.name for d in DIMENSIONS],
            vals,
            left=left,
            color=LEVEL_COLOURS[j % len(LEVEL_COLOURS)],
            edgecolor="#555555",
            linewidth=0.4,
            label=w,
        )
        left = [a + b for a, b in zip(left, vals)]
    ax.invert_yaxis()
    ax.set_xlabel("videos")
    ax.set_title("Level distribution per quality dimension")
    ax.legend(ncol=len(words), loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_comparison(panels: Sequence[Mapping], models: Sequence[str], path: str) -> str:
    """Grouped bars in panels side by side, one bar per model in each group, the legend on the first panel.

    Each panel is a mapping: ``title``, ``ylabel``, ``labels`` (one x tick label per group), ``values`` (model ->
    one value per group; NaN or absent: no bar) and optionally ``ylim`` (``(low, high)``)."""
    plt = _pyplot()
    groups = sum(len(p["labels"]) for p in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(max(5.0, 1.3 * groups + 2), 4), squeeze=False)
    width = 0.8 / max(1, len(models))
    for ax, panel in zip(axes[0], panels):
        n = len(panel["labels"])
        for i, model in enumerate(models):
            xs = [j + (i - (len(models) - 1) / 2) * width for j in range(n)]
            ax.bar(xs, panel["values"].get(model, [float("nan")] * n), width=width, label=model)
        ax.set_xticks(range(n))
        ax.set_xticklabels(panel["labels"], fontsize=8)
        ax.set_title(panel["title"], fontsize=10)
        ax.set_ylabel(panel["ylabel"])
        if panel.get("ylim"):
            ax.set_ylim(*panel["ylim"])
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
