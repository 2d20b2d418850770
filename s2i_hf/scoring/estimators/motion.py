from __future__ import annotations
import numpy as np
from ..base import Scorer
from ..registry import register_scorer
from .common import diagonal, frame_diffs, global_motion, key_luma, small_luma


@register_scorer("phase_jitter_stability", dimension="stability")
class PhaseJitterStability(Scorer):
    """Camera shake: global translation between neighbouring frames by phase correlation (Kuglin & Hines
    1975); shake shows as rapid changes of that motion, so the raw value is the RMS of its first difference
    (the path's second difference), in thousandths of the frame diagonal, median over windows."""
    def measure(self, clip):
        diag = diagonal(clip)
        vals = []
        for m in global_motion(clip):
            if len(m) >= 2:
                vals.append(np.sqrt(np.mean(np.sum(np.diff(m, axis=0) ** 2, axis=1))))
        return float(1000.0 * np.median(vals) / diag) if vals else 0.0


@register_scorer("path_smoothness_trajectory", dimension="trajectory")
class PathSmoothnessTrajectory(Scorer):
    """Camera trajectory: how consistent and purposeful the global-motion path is across the whole video.
    Each window's mean motion vector is compared with the others: direction reversals and speed changes
    between windows (the path's shape at the scale of seconds) plus within-window jitter at half weight.
    A static camera is consistent. Raw: a penalty in thousandths of the frame diagonal; lower is better.
    Aesthetic: not validated by a synthetic distortion other than shake."""
    def measure(self, clip):
        diag = diagonal(clip)
        motions = [m for m in global_motion(clip) if len(m)]
        if not motions:
            return 0.0
        means = np.array([m.mean(axis=0) for m in motions])
        change = np.linalg.norm(np.diff(means, axis=0), axis=1).mean() if len(means) > 1 else 0.0
        jitter = np.median([np.sqrt(np.mean(np.sum(np.diff(m, axis=0) ** 2, axis=1))) for m in motions if len(m) > 1] or [0.0])
        return float(1000.0 * (change + 0.5 * jitter) / diag)


@register_scorer("moving_edge_motion_blur", dimension="motion_blur")
class MovingEdgeMotionBlur(Scorer):
    """Motion blur: sharpness of the moving parts relative to the whole frame. Pixels whose luma changes
    most between neighbouring frames (top 20 %) are 'moving'; the raw value is the mean gradient magnitude
    there divided by the mean over the frame, scaled by how much moves (a still video cannot smear).
    Raw: ratio, higher is clearer. A proxy: motion blur is not separable from focus blur without a model."""
    def measure(self, clip):
        y = small_luma(clip)
        d = frame_diffs(clip)
        if d.size == 0 or d.max() < 1.0:
            return 1.2
        ratios = []
        for a, b in clip.windows:
            i = (a + b - 1) // 2
            j = min(i + 1, b - 1) if i + 1 < b else i - 1
            diff = np.abs(y[j] - y[i])
            gy, gx = np.gradient(y[i])
            g = np.hypot(gx, gy)
            mask = diff >= np.percentile(diff, 80)
            if diff[mask].mean() < 2.0:
                ratios.append(1.2)
                continue
            ratios.append(g[mask].mean() / (g.mean() + 1e-6))
        return float(np.median(ratios))
