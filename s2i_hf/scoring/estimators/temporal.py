from __future__ import annotations
import numpy as np
from ..base import Scorer
from ..registry import register_scorer
from .common import cache, frame_diffs, small_luma


@register_scorer("frozen_frame_fluency", dimension="fluency")
class FrozenFrameFluency(Scorer):
    """Playback fluency: the share of consecutive frames that repeat the previous one (stutter, frozen
    frames; cf. FFmpeg's freezedetect), judged against the clip's own motion: a pair counts as a repeat when
    its mean absolute luma difference is below 20 % of the largest difference in its window (and
    below 1.5 grey levels), so a still scene is not mistaken for a frozen one. Irregular timestamps add the
    coefficient of variation of frame durations. Raw: a penalty in [0, ~1], 0 = fluent."""
    def measure(self, clip):
        d = frame_diffs(clip)
        if d.size == 0:
            return 0.0
        repeats = []
        k = 0
        for a, b in clip.windows:  # judged against the window's own motion: a slow scene is not a frozen one
            dw = d[k:k + max(0, b - a - 1)]
            k += len(dw)
            if len(dw):
                repeats.append((dw < 0.05) | ((dw < 0.2 * dw.max()) & (dw < 1.5)))
        repeats = np.concatenate(repeats)
        jitter = 0.0
        for a, b in clip.windows:
            ts = np.diff(clip.timestamps[a:b])
            if ts.size > 1 and ts.mean() > 0:
                jitter = max(jitter, float(ts.std() / ts.mean()))
        return float(repeats.mean() + min(jitter, 1.0))


@register_scorer("block_median_flicker", dimension="flicker")
class BlockMedianFlicker(Scorer):
    """Luminance flicker: per consecutive pair, the median over 8x8 blocks of the change of each block's
    mean log-luma (a global brightness change, robust to motion and frame drops), then the standard
    deviation of that change inside each window (a steady fade has a constant change, flicker oscillates).
    Raw: the RMS over windows, in log-luma units x 100; lower is better."""
    def measure(self, clip):
        y = small_luma(clip)
        t, h, w = y.shape
        bh, bw = max(1, h // 8), max(1, w // 8)
        blocks = np.log1p(y[:, : bh * 8, : bw * 8].reshape(t, 8, bh, 8, bw).mean(axis=(2, 4)))
        vals = []
        for a, b in clip.windows:
            if b - a < 3:
                continue
            g = np.median(np.diff(blocks[a:b], axis=0).reshape(b - a - 1, -1), axis=1)
            vals.append(g.std())
        return float(100.0 * np.sqrt(np.mean(np.square(vals)))) if vals else 0.0
