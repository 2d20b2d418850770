"""Camera motion from phase-correlation global motion (stability, trajectory), and motion blur."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..base import Scorer
from ..registry import register_scorer
from .common import (
    cached,
    cut_pairs,
    global_motion,
    key_clipped,
    key_tiles,
    motion_diagonal,
    neighbour_indices,
    neighbour_tiles,
    pair_index,
    region_grid,
    region_sums,
    tile_chunks,
    window_slices,
)
from .noise import immerkaer_sigma, noise_sigma
from .spatial import edge_blur_sums, edge_maps


__all__ = [
    "window_motions",
    "shake_per_window",
    "clip_shake",
    "PhaseJitterStability",
    "PathSmoothnessTrajectory",
    "MovingRegionMotionBlur",
]

MIN_PEAK = 0.02  # phase-correlation peaks below this carry no usable translation
MIN_SPEED = 0.25  # motion-stack pixels per frame: below this a direction is estimation noise
# Camera shake persists over the clip while a large moving object takes over the correlation of only some runs:
# the clip's shake is this quantile over runs (the label-calibration corpus: the median let one or two runs of
# riders crossing the frame read as shake on a steady shot)
SHAKE_QUANTILE = 33.0


def clip_shake(clip) -> float:
    """Shake of the clip in thousandths of the frame diagonal (the SHAKE_QUANTILE over runs; 0 with none)."""
    vals = shake_per_window(clip)
    if vals.size == 0:
        return 0.0
    return float(1000.0 * np.percentile(vals, SHAKE_QUANTILE) / motion_diagonal(clip))


def window_motions(clip) -> list[np.ndarray]:
    """Per run of consecutive pairs within one shot (a window, or the parts of a window on either side of a scene
    cut, :func:`~.common.cut_pairs`), the frame-to-frame global motion (dy, dx) in motion-stack pixels; empty
    for a run where most correlation peaks are too weak to trust (no texture, heavy blur)."""

    def build():
        shifts, peak = global_motion(clip)
        cuts = cut_pairs(clip)
        out = []
        for sl in window_slices(clip):
            idx = np.arange(sl.start, sl.stop)
            for run in np.split(idx, np.flatnonzero(cuts[idx]) + 1):
                run = run[~cuts[run]]
                if run.size == 0:
                    continue
                m = shifts[run]
                ok = peak[run] >= MIN_PEAK
                out.append(m if ok.mean() >= 0.5 else m[:0])
        return out

    return cached(clip, "window_motions", build)


def shake_per_window(clip) -> np.ndarray:
    """Per window with >= 3 usable motions: the RMS deviation of the camera path (cumulative translation) from a
    straight, constant-speed path (linear-fit residual) combined with the RMS second difference of the path
    (jitter), in motion-stack pixels."""

    def build():
        vals = []
        for m in window_motions(clip):
            n = len(m)
            if n < 3:
                continue
            path = np.vstack([np.zeros((1, 2)), np.cumsum(m, axis=0)])
            tt = np.arange(n + 1, dtype=np.float64)
            tt -= tt.mean()
            centred = path - path.mean(axis=0)
            slope = (tt[:, None] * centred).sum(axis=0) / (tt**2).sum()
            resid = centred - tt[:, None] * slope
            r = np.sqrt(np.mean(np.sum(resid**2, axis=1)))
            j = np.sqrt(np.mean(np.sum(np.diff(m, axis=0) ** 2, axis=1)))
            vals.append(float(np.hypot(r, j)))
        return np.asarray(vals)

    return cached(clip, "shake_per_window", build)


@register_scorer("phase_jitter_stability", dimension="stability")
class PhaseJitterStability(Scorer):
    """Camera shake from the global motion between consecutive frames, estimated by phase correlation (Kuglin &
    Hines 1975, "The phase correlation image alignment method", Proc. IEEE Int. Conf. on Cybernetics and
    Society) on the green channel reduced to about 96 x 72 pixels, with a parabolic sub-pixel peak.

    In each window of consecutive frames the camera path (cumulative translation) is compared with a straight,
    constant-speed path: the RMS residual of a linear fit (sway, wobble) is combined with the RMS of the path's
    second differences (jitter: changes of the frame-to-frame motion, the usual shake statistic of
    video-stabilisation work). A static camera or a steady pan scores near 0. Windows whose correlation peaks
    are too weak to trust (heavy blur, no texture) are skipped, windows are split at scene cuts
    (``cut_pairs``), and the lower third over runs (``SHAKE_QUANTILE``) ignores runs where a large moving object
    takes over the correlation.

    Raw: shake in thousandths of the frame diagonal (about 0-5 for a tripod or a smooth pan; 10+ for visible
    handheld shake). Lower is better. Rotation and zoom shake are seen only through their translation part.
    """

    version = "3"

    def measure(self, clip) -> float:
        return clip_shake(clip)


@register_scorer("path_smoothness_trajectory", dimension="trajectory")
class PathSmoothnessTrajectory(Scorer):
    """Camera trajectory: how consistent and purposeful the camera path is over the whole clip, from the same
    phase-correlation global motion as ``phase_jitter_stability`` (Kuglin & Hines 1975) but at the scale of
    the clip rather than of a few frames:

    - direction reversals: the share of consecutive frame-to-frame motions that point against each other
      (cosine < -0.3): back-and-forth wandering. Pairs weigh by the slower motion's speed (nothing below 0.25
      px of the motion stack per frame, full weight from 1 px), so estimation noise on a still camera and
      small object motion count little;
    - inconsistency across windows: 1 - |sum of the windows' mean velocities| / sum of their lengths (0 when
      the camera keeps one direction, 1 when it wanders), weighted by how much the camera moves;
    - plus the shake of ``phase_jitter_stability`` (thousandths of the diagonal) / 100.

    A static camera and a steady pan score about 0. Raw: a penalty, lower is better (about 0-0.3 for steady
    camera work, 0.5+ for wandering or shaky work). Aesthetic dimension: whether a movement is *purposeful*
    is not known to a weight-free estimator; only camera shake validates this measure synthetically.
    """

    version = "3"

    def measure(self, clip) -> float:
        motions = [m for m in window_motions(clip) if len(m)]
        if not motions:
            return 0.0
        rev_num, rev_den = 0.0, 0.0
        means = []
        for m in motions:
            means.append(m.mean(axis=0))
            if len(m) < 2:
                continue
            speed = np.hypot(m[:, 0], m[:, 1])
            a, b = m[:-1], m[1:]
            slower = np.minimum(speed[:-1], speed[1:])
            # pairs weigh by how clearly both move (full weight from 1 px/frame): slow, noisy directions count less
            weight = np.where(slower > MIN_SPEED, np.clip(slower / (4 * MIN_SPEED), 0.0, 1.0), 0.0)
            cos = (a * b).sum(axis=1) / np.maximum(speed[:-1] * speed[1:], 1e-9)
            rev_num += float(np.sum(weight * (cos < -0.3)))
            rev_den += float(np.sum(weight))
        reversals = rev_num / rev_den if rev_den else 0.0
        means = np.asarray(means)
        lengths = np.hypot(means[:, 0], means[:, 1])
        moving = float(np.clip(lengths.mean() / (2 * MIN_SPEED), 0.0, 1.0))
        consistency = float(np.hypot(*means.sum(axis=0)) / lengths.sum()) if lengths.sum() > 1e-9 else 1.0
        shake_term = clip_shake(clip) / 100.0
        return float(reversals + moving * (1.0 - consistency) + shake_term)


def _key_pair_cuts(clip) -> np.ndarray:
    """Per key frame: whether a scene cut separates it from its neighbour frame (see ``neighbour_tiles``)."""
    first, _ = pair_index(clip)
    cuts = cut_pairs(clip)
    cut_starts = {int(f) for f, c in zip(first, cuts) if c}
    return np.asarray(
        [
            any(f in cut_starts for f in range(min(int(k), int(n)), max(int(k), int(n))))
            for k, n in zip(clip.key_indices, neighbour_indices(clip))
        ],
        dtype=bool,
    )


def changing_noise_sigma(clip) -> float:
    """The noise sigma (0-255 luma) that a key frame's difference with its neighbour carries, per frame: the spatial
    estimate (:func:`~s2i_hf.scoring.estimators.noise.noise_sigma`), unless Immerkaer's estimate on the difference
    itself (over sqrt 2) is lower. Grain that changes from frame to frame reads the same both ways; a grain pattern
    fixed from frame to frame (ffmpeg's ``noise`` without the ``t`` flag) cancels in the difference, and a threshold
    set by the spatial sigma would find nothing moving under heavy fixed grain (motion blur then read "nothing
    moves, no blur": +0.34 on a real clip, label-calibration corpus)."""

    def build():
        diff = frame_change(clip)
        changing = immerkaer_sigma(diff, chunks=tile_chunks(clip), clipped=key_clipped(clip)) / np.sqrt(2.0)
        return min(noise_sigma(clip), changing)

    return cached(clip, "changing_noise_sigma", build)


def frame_change(clip) -> np.ndarray:
    """(N, th, tw): each key tile's luma change to its neighbour frame (:func:`neighbour_tiles` - :func:`key_tiles`),
    less the tile's median change. A brightness change between the frames (flicker, an exposure ramp) is not
    motion: with it, every pixel of a slow pan changed by more than the motion threshold, and motion blur was read
    over all the edges instead of the moving ones (+0.17 on a soft photograph under flicker)."""

    def build():
        diff = neighbour_tiles(clip) - key_tiles(clip)
        diff -= np.median(diff.reshape(len(diff), -1), axis=1).astype(np.float32)[:, None, None]
        return diff

    return cached(clip, "frame_change", build)


# The mean absolute difference of two frames of pure noise of sigma s is 2 s / sqrt(pi) = 1.128 s: a region moves when
# its mean absolute change exceeds that by 2 grey levels. (A threshold of 2 s let only the regions with the most
# contrasted motion through under heavy grain, the crisper ones: motion blur rose by +0.15 on soft footage.)
NOISE_CHANGE = 2.0 / np.sqrt(np.pi)


@register_scorer("moving_region_motion_blur", dimension="motion_blur")
class MovingRegionMotionBlur(Scorer):
    """Motion blur: how sharp the frames stay where they move.

    Each key frame is compared with the next frame at native resolution, region by region (the 64 x 64 tiles,
    or a 4 x 4 split of small frames), less each tile's median change (a brightness change is not motion:
    :func:`frame_change`); regions whose mean absolute luma change exceeds what the noise alone gives
    (2 sigma / sqrt(pi), sigma the noise that changes between the frames: :func:`changing_noise_sigma`) by 2 grey
    levels are moving. The raw value is the edge-restricted Crete-Roffet sharpness
    (Crete, Dolmiere, Ladret & Nicolas 2007, "The blur effect", SPIE 6492; as in ``crete_roffet_sharpness``) pooled
    over the pixels that moved inside those regions (luma change above the noise, widened by a few pixels to take in
    the moving object's edges): smear along the motion (a long exposure, temporal averaging) lowers it, as does any
    blur of the moving content, and the sharp static background around a small moving object does not dilute
    it. When nothing moves (fewer than two moving regions) there is no motion to blur and the raw value is 1.

    Raw: in [0, 1], higher is clearer. A proxy: telling motion blur from defocus of the moving content needs a
    model. Validated with temporal averaging (ffmpeg ``tmix``), which smears moving content only.
    """

    version = "8"

    def measure(self, clip) -> float:
        sums = edge_blur_sums(clip)
        diff = frame_change(clip)
        grid = region_grid(diff)
        per_region = (diff.shape[1] // grid) * (diff.shape[2] // grid)
        sigma = changing_noise_sigma(clip)
        change = region_sums(np.abs(diff), grid) / max(per_region, 1)
        moving = (change > 2.0 + NOISE_CHANGE * sigma) & (sums[:, :, 0].sum(axis=1) > 1e-6)
        across_cut = _key_pair_cuts(clip)  # a key frame and its neighbour in different shots: nothing "moved"
        moving &= ~np.repeat(across_cut, len(moving) // max(len(across_cut), 1))
        if moving.sum() < 2:
            return 1.0
        pooled = _moving_pixel_sums(clip, diff, moving, grid, sigma)  # (2 axes, 2)
        ratios = [pooled[a, 1] / pooled[a, 0] for a in range(2) if pooled[a, 0] > 1e-6]
        return float(min(ratios)) if ratios else 1.0


# A pixel moved when its luma changed by more than MOVE_SIGMAS x the noise of a frame difference (sigma sqrt 2),
# at least MOVE_MIN grey levels; the mask is widened by MOVE_DILATE pixels so that the edges of a moving object
# (where its own blur lies) count whole.
MOVE_SIGMAS, MOVE_MIN, MOVE_DILATE = 3.5, 4.0, 4


def _moving_pixel_sums(clip, diff: np.ndarray, moving: np.ndarray, grid: int, sigma: float) -> np.ndarray:
    """Crete-Roffet sums of :func:`~s2i_hf.scoring.estimators.spatial.edge_maps` (the edge pixels sharpness reads)
    over the pixels that moved, inside the moving regions only: a small moving object in a region of
    sharp static background is judged on itself, not diluted by the background."""
    maps = edge_maps(clip)
    thr = max(MOVE_MIN, MOVE_SIGMAS * np.sqrt(2.0) * sigma)
    k, h, w = diff.shape
    rh, rw = h // grid, w // grid
    regions = moving.reshape(k, grid, grid)
    out = np.zeros((2, 2))
    images = np.flatnonzero(regions.any(axis=(1, 2)))
    # the images that moved, widened in one pass (each image on its own: the filter spans 1 along the stack)
    masks = ndimage.maximum_filter(np.abs(diff[images]) > thr, size=(1, 2 * MOVE_DILATE + 1, 2 * MOVE_DILATE + 1))
    for i, mask in zip(images, masks):
        keep = np.zeros((h, w), dtype=bool)  # the moving regions of this image
        for gy, gx in zip(*np.nonzero(regions[i])):
            keep[gy * rh : (gy + 1) * rh, gx * rw : (gx + 1) * rw] = True
        mask &= keep
        for a, (df, v) in enumerate(maps):
            if df.size == 0:
                continue
            n = h if a == 0 else w
            m = mask[4 : n - 5, :] if a == 0 else mask[:, 4 : n - 5]  # map position j is the pixel pair (j+4, j+5)
            out[a, 0] += float(df[i][m].sum())
            out[a, 1] += float(v[i][m].sum())
    return out
