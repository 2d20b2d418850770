"""Playback: fluency (repeated frames, irregular timing) and luminance flicker."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import cached, cut_pairs, frame_diffs, pair_index, temporal_stack, window_slices


__all__ = [
    "within_shot_diffs",
    "motion_level",
    "repeat_flags",
    "stream_fps",
    "frame_rate_shortfall",
    "timing_irregularity",
    "flicker_residual",
    "FrozenFrameFluency",
    "BlockMedianFlicker",
]

# A pair repeats its first frame when its mean absolute difference (0-255, small stack) is under
# REPEAT_RATIO of the clip's motion level and under REPEAT_MAX grey levels; the motion level must reach
# MIN_MOTION for any pair to count (a still scene has no motion to freeze).
REPEAT_RATIO = 0.12
REPEAT_MAX = 0.5
MIN_MOTION = 0.5


def within_shot_diffs(clip) -> np.ndarray:
    """:func:`~.common.frame_diffs` with the pairs across a scene cut set to 0: a cut is no measure of the motion that
    could freeze."""
    return cached(clip, "within_shot_diffs", lambda: np.where(cut_pairs(clip), 0.0, frame_diffs(clip)))


def motion_level(clip) -> float:
    """The clip's motion level: the 90th percentile of the consecutive pairs' mean absolute difference (0-255, small
    stack), scene cuts left out; 0 without pairs."""
    within = within_shot_diffs(clip)
    return float(np.percentile(within, 90)) if within.size else 0.0


def repeat_flags(clip) -> np.ndarray:
    """Boolean per consecutive pair: the second frame repeats the first (a duplicated or frozen frame)."""

    def build():
        d = frame_diffs(clip)
        if d.size == 0:
            return np.zeros(0, dtype=bool)
        within = within_shot_diffs(clip)
        clip_level = motion_level(clip)
        ref = np.zeros_like(d)
        for sl in window_slices(clip):
            if sl.stop > sl.start:
                ref[sl] = max(float(within[sl].max()), clip_level)
        thresh = np.minimum(REPEAT_MAX, REPEAT_RATIO * ref)
        return (d < thresh) & (ref >= MIN_MOTION) & ~cut_pairs(clip)

    return cached(clip, "repeat_flags", build)


def _pair_intervals(clip) -> np.ndarray | None:
    """Seconds between the frames of each consecutive pair inside a window (layout of :func:`~.common.pair_index`);
    None when the clip's timestamps do not match its frames."""
    ts = np.asarray(clip.timestamps, dtype=np.float64)
    if ts.size != clip.frames.shape[0]:
        return None
    first, _ = pair_index(clip)
    return ts[first + 1] - ts[first]


def stream_fps(clip) -> float:
    """Frames per second of the stream: one over the median interval between consecutive sampled frames (the
    container's average rate when the timestamps say nothing)."""
    dt = _pair_intervals(clip)
    if dt is not None and dt.size:
        med = float(np.median(dt))
        if np.isfinite(med) and med > 0:
            return 1.0 / med
    return float(clip.fps)


# Fluency is calibrated on 25-fps streams (the label-calibration corpus): its bands are effective frame rates, 25 x
# (1 - repeat share). A stream at any rate is read on that scale: its effective rate is its frame rate x (1 - repeat
# share), and the penalty is the share by which that falls short of FLUENT_FPS, the stream's own rate clipped to
# 24-25 fps (film's 24 fps is fluent; so is 25-fps content doubled into a 50- or 60-fps stream, which repeats every
# other frame yet moves exactly as the original). A stream below 24 fps falls short however few frames repeat, when
# anything moves.
FLUENT_FPS = (24.0, 25.0)


def frame_rate_shortfall(clip) -> float:
    """1 - the effective frame rate (stream rate x (1 - repeat share)) / the fluent rate (FLUENT_FPS), at least 0; at
    25 fps exactly the repeat share. A still clip (motion level under MIN_MOTION) reads its repeat share whatever its
    rate: nothing moves that could judder."""
    flags = repeat_flags(clip)
    share = float(flags.mean()) if flags.size else 0.0
    if motion_level(clip) < MIN_MOTION:
        return share
    fps = stream_fps(clip)
    fluent = min(max(fps, FLUENT_FPS[0]), FLUENT_FPS[1])
    return max(0.0, 1.0 - fps * (1.0 - share) / fluent)


def timing_irregularity(clip) -> float:
    """Share of frame intervals inside the windows that are irregular: longer than 1.5x or shorter than half
    the clip's median interval (a gap of dropped frames, or a burst, in a variable-frame-rate stream)."""
    dt = _pair_intervals(clip)
    if dt is None or dt.size < 2:
        return 0.0
    med = float(np.median(dt))
    if not np.isfinite(med) or med <= 0:
        return 0.0
    return float(np.mean((dt > 1.5 * med) | (dt < 0.5 * med)))


@register_scorer("frozen_frame_fluency", dimension="fluency")
class FrozenFrameFluency(Scorer):
    """Playback fluency: the share of consecutive frames that repeat the previous one (duplicated frames from a
    frame-rate conversion, stutter, freezes: the signal FFmpeg's ``freezedetect`` filter thresholds) plus the
    share of irregular frame intervals in the timestamps (dropped frames in variable-frame-rate streams).

    A pair is a repeat when its mean absolute difference (green channel at about 96 x 72 px, 0-255) is below
    12 % of the clip's motion level (the larger of its window's largest difference and the clip's 90th
    percentile) and below 0.5 grey levels. The threshold is relative to the clip's own motion, so sensor
    noise on a still scene, a slow scene or strong compression of a static shot (all differences tiny alike)
    are not taken for freezes, and a clip with no motion at all (under 0.5 grey levels everywhere) cannot
    stutter visibly and is not penalised.

    Frame rates are read on the 25-fps scale of the calibration (:func:`frame_rate_shortfall`): a 50- or 60-fps
    stream that shows each frame of 25-fps content twice is as fluent as the content (it read "bad", 0.21-0.30, on
    three real clips, where the 25-fps original reads 0.94), and a stream below 24 fps with motion reads as
    choppy as 25-fps footage with as few distinct frames per second.

    Raw: frame-rate shortfall (the repeat share at 25 fps) + irregular-interval share, a penalty in [0, 2]; 0 is
    fluent. Lower is better. Frames dropped without duplication and with regular timestamps (a time-compressed
    stream) are not seen.
    """

    version = "4"

    def measure(self, clip) -> float:
        return frame_rate_shortfall(clip) + timing_irregularity(clip)


def flicker_residual(clip, grid: int = 12, tiers: int = 3) -> float:
    """Median over windows of the RMS (over luminance tiers) of the detrended block-median log-luma change."""

    def build():
        y = temporal_stack(clip)
        t, h, w = y.shape
        first, _ = pair_index(clip)
        if first.size == 0:
            return 0.0
        g = min(grid, h, w)
        bh, bw = h // g, w // g
        blocks = y[:, : bh * g, : bw * g].reshape(t, g, bh, g, bw).sum(axis=4).sum(axis=2).reshape(t, -1)
        blocks *= np.float32(1.0 / (bh * bw))
        logb = np.log(blocks + 16.0)  # Weber-like; the +16 keeps dark-block noise from dominating
        delta = logb[first + 1] - logb[first]  # (pairs, blocks)
        order = np.argsort(blocks[first], axis=1)
        n = order.shape[1]
        cuts = np.linspace(0, n, tiers + 1).round().astype(int)
        sorted_delta = np.take_along_axis(delta, order, axis=1)
        change = np.stack([np.median(sorted_delta[:, cuts[k] : cuts[k + 1]], axis=1) for k in range(tiers)], axis=1)
        cuts = cut_pairs(clip)
        vals = []
        for sl in window_slices(clip):
            c = change[sl][~cuts[sl]]  # a scene cut changes the brightness once: not flicker
            if c.shape[0] < 2:
                continue
            resid = c - c.mean(axis=0, keepdims=True)  # a steady fade (linear trend in log-luma) is not flicker
            vals.append(float(np.sqrt(np.mean(resid**2))))
        return float(np.median(vals)) if vals else 0.0

    return cached(clip, ("flicker", grid, tiers), build)


@register_scorer("block_median_flicker", dimension="flicker")
class BlockMedianFlicker(Scorer):
    """Luminance flicker: frame-to-frame brightness changes that are not a steady trend.

    Each frame (green channel at about 96 x 72 px) is divided into a 12 x 12 grid of blocks; for every
    consecutive pair the change of each block's log mean level is taken, and its median over the blocks of
    each third of the brightness range (dark, mid, bright): a per-tier global change that ignores the blocks
    where objects move (motion changes some blocks, flicker changes all), and that also sees contrast or gamma
    flicker, where dark and bright blocks move in opposite directions. Inside each window of consecutive frames
    the mean change is removed (a steady fade or exposure ramp is not flicker) and the RMS of the rest is
    taken; the median over windows ignores a scene cut. It is a robust form of the frame-to-frame
    mean-luminance change used for flash and flicker detection (cf. the luminance-flash analysis of ITU-R
    BT.1702); the naive frame-mean version also fires on moving objects and on frame drops (FIELD-NOTES). The
    block medians, tiers and detrending are our design.

    Raw: RMS detrended change of log luma x 100 (about 0-1.5 on steady footage; 3+ for visible flicker).
    Lower is better. A slow brightness oscillation (period much longer than a window, 8 frames by default)
    reads as a trend and is not counted.
    """

    version = "3"

    def measure(self, clip) -> float:
        return 100.0 * flicker_residual(clip)
