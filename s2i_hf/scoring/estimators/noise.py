"""Noise: Immerkaer's fast noise variance estimate, on the flattest pixels of the key frames and on the difference
between each key frame and the next one, aligned (texture does not change from frame to frame; noise does)."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import (
    REPEAT_LEVEL,
    TILE,
    _luma,
    _tile_origins,
    cached,
    global_motion,
    key_tiles,
    pair_index,
    temporal_stack,
    tile_chunks,
)


__all__ = ["immerkaer_sigma", "noise_sigma", "temporal_noise_sigma", "ImmerkaerNoise"]


_MEDIAN_ABS = 0.6744897501960817  # median of |N(0, 1)|
_RESPONSE_SCALE = 6.0  # the operator's response to unit white noise has standard deviation sqrt(36) = 6


def _immerkaer_response(d: np.ndarray) -> np.ndarray:
    """Immerkaer's operator [[1,-2,1],[-2,4,-2],[1,-2,1]] on each (H, W) image of a (N, H, W) stack (valid part)."""
    c = d[:, 1:-1, 1:-1]
    r = d[:, :-2, :-2] + d[:, :-2, 2:]
    r += d[:, 2:, :-2]
    r += d[:, 2:, 2:]
    r += 4.0 * c
    r -= 2.0 * (d[:, :-2, 1:-1] + d[:, 2:, 1:-1] + d[:, 1:-1, :-2] + d[:, 1:-1, 2:])
    return r


def _immerkaer_median(y: np.ndarray, flat_share: float) -> float | None:
    """sigma of one (K, H, W) stack from the median |response| over its flattest pixels (None if none)."""
    n, s, w, e = y[:, :-2, 1:-1], y[:, 2:, 1:-1], y[:, 1:-1, :-2], y[:, 1:-1, 2:]
    resp = _immerkaer_response(y)
    grad = np.abs(e - w)
    grad += np.abs(s - n)
    sub = grad[:, ::3, ::3].ravel()
    k = min(sub.size - 1, int(flat_share * sub.size))
    thresh = np.partition(sub, k)[k]  # the flat_share quantile from a subsample: same threshold, less work
    flat = np.abs(resp[grad <= thresh])
    if flat.size == 0:
        return None
    # median by histogram in quarter levels: exact for 8-bit frames (whole-number responses), and much faster
    # than a selection when most responses tie (compressed or clean frames)
    hist = np.bincount(np.rint(flat * 4.0).astype(np.int64))
    median = np.searchsorted(np.cumsum(hist), (flat.size + 1) / 2.0) / 4.0
    return float(median) / (_MEDIAN_ABS * _RESPONSE_SCALE)


def immerkaer_sigma(y: np.ndarray, flat_share: float = 0.3, chunks: list[slice] | None = None) -> float:
    """Noise standard deviation of a (K, H, W) (or (H, W)) image stack, in the units of ``y``.

    Immerkaer 1996, "Fast noise variance estimation" (CVIU 64(2):300-302): the image is filtered with the
    difference of two Laplacians ``[[1,-2,1],[-2,4,-2],[1,-2,1]]``, which cancels smooth structure up to second
    order and turns white noise of sigma s into a response of standard deviation 6 s. Immerkaer takes the mean
    absolute response over the whole image (sigma = sqrt(pi/2) / 6 * mean|r|); edges and texture leak into it.
    Here the response is read only over the flattest pixels (central-difference gradient in the lowest
    ``flat_share`` of each chunk) and through its median (sigma = median|r| / (0.6745 * 6)), which is
    unbiased for Gaussian noise and ignores the structure that still leaks (a binary cellular pattern, for
    one, reads as noise-free instead of very noisy). ``chunks`` (slices of the first axis; default the whole
    stack) are estimated apart and their median is returned.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y[None]
    if y.shape[1] < 3 or y.shape[2] < 3:
        return 0.0
    vals = [v for v in (_immerkaer_median(y[sl], flat_share) for sl in (chunks or [slice(None)])) if v is not None]
    return float(np.median(vals)) if vals else 0.0


def noise_sigma(clip) -> float:
    """Immerkaer noise sigma (0-255 luma) of a clip's key frames at native resolution (cached)."""
    return cached(clip, "noise_sigma", lambda: immerkaer_sigma(key_tiles(clip), chunks=tile_chunks(clip)))


SEARCH = 1  # native pixels searched around the predicted shift of each tile, each way


def temporal_noise_sigma(clip) -> float:
    """Noise sigma (0-255 luma) from the difference between each key frame and the frame after it, aligned.

    Noise changes from frame to frame while the picture's texture moves with it: aligned, two frames cancel their
    texture and keep sqrt(2) x the noise. Each key tile (:func:`~s2i_hf.scoring.estimators.common.key_tiles`) is
    aligned with the next frame by the shift, within SEARCH pixels of the global motion
    (:func:`~s2i_hf.scoring.estimators.common.global_motion`, scaled to native pixels), that leaves the smallest
    mean difference on every other pixel; Immerkaer's operator on the aligned difference (which also cancels a
    brightness change between the frames and smooth misalignment) gives sigma from the median |response|, and the
    median over tiles and key frames is returned. Repeated frames (a stutter), key frames that end their window,
    tiles whose shifted copy leaves the frame and frames smaller than a tile are skipped; infinity when nothing is
    left. Motion that no shift aligns (objects moving against the background, a scene cut) leaves structure in the
    difference and reads as more noise, never as less: like the spatial estimate it is an upper bound, and the two
    fail on different content (texture for the spatial one, motion for this one)."""

    def build():
        frames = clip.frames
        _, h, w, _ = frames.shape
        origins = _tile_origins(h, w)
        if origins is None:  # a small frame, whole in key_tiles: cut it into tiles here
            if h < TILE or w < TILE:
                return float("inf")
            origins = (np.arange(0, h - TILE + 1, TILE), np.arange(0, w - TILE + 1, TILE))
            tiles_a = None
        else:
            tiles_a = key_tiles(clip).reshape(len(clip.key_indices), -1, TILE, TILE)
        ty, tx = (v.ravel() for v in np.meshgrid(*origins, indexing="ij"))
        shifts, _ = global_motion(clip)
        pair_of = {int(f): i for i, f in enumerate(pair_index(clip)[0])}
        scale = w / temporal_stack(clip).shape[2]
        side, span = TILE + 2 * SEARCH, 2 * SEARCH + 1
        out = []
        for n, k in enumerate(clip.key_indices):
            i = pair_of.get(int(k))
            if i is None:
                continue
            dy, dx = (int(round(float(v) * scale)) for v in shifts[i])
            y0, x0 = ty + dy - SEARCH, tx + dx - SEARCH  # the next frame's patch around each shifted tile
            inside = (y0 >= 0) & (x0 >= 0) & (y0 + side <= h) & (x0 + side <= w)
            if not inside.any():
                continue
            nxt = frames[k + 1]
            patches = _luma(np.stack([nxt[y : y + side, x : x + side] for y, x in zip(y0[inside], x0[inside])]))
            if tiles_a is None:
                cur = frames[k]
                a = _luma(np.stack([cur[y : y + TILE, x : x + TILE] for y, x in zip(ty[inside], tx[inside])]))
            else:
                a = tiles_a[n][inside]
            err = np.stack(
                [
                    np.abs(a[:, ::2, ::2] - patches[:, sy : sy + TILE : 2, sx : sx + TILE : 2]).mean(axis=(1, 2))
                    for sy in range(span)
                    for sx in range(span)
                ],
                axis=1,
            )
            if float(err[:, SEARCH * span + SEARCH].mean()) < REPEAT_LEVEL and dy == 0 and dx == 0:
                continue  # a repeated frame: its difference would be no noise at all
            pick = err.argmin(axis=1)
            b = np.empty_like(a)
            for j in np.unique(pick):
                sy, sx = divmod(int(j), span)
                b[pick == j] = patches[pick == j, sy : sy + TILE, sx : sx + TILE]
            resp = np.abs(_immerkaer_response(a - b)).reshape(len(a), -1)
            out.append(float(np.median(np.median(resp, axis=1))) / (_MEDIAN_ABS * _RESPONSE_SCALE * np.sqrt(2.0)))
        return float(np.median(out)) if out else float("inf")

    return cached(clip, "temporal_noise_sigma", build)


@register_scorer("immerkaer_noise", dimension="noise")
class ImmerkaerNoise(Scorer):
    """Noise level: the standard deviation of additive noise estimated with Immerkaer's operator (Immerkaer 1996,
    "Fast noise variance estimation", CVIU 64(2):300-302) on the key frames' luma at native resolution (tiles
    of the frame, never resampled: resampling averages noise away).

    The Laplacian-difference operator responds to texture and edges as well as to noise, so the response is
    read only over the flattest 30 % of the pixels of each key frame (smallest central-difference gradient)
    and through its median rather than Immerkaer's mean absolute value (robust to the structure that still
    leaks; unbiased for Gaussian noise); the median over key frames is returned. Fine texture over the whole
    frame (foliage, gravel, line art) still leaks in: a dense ink illustration read sigma 6 ("fair") clean, and
    blurring it "improved" its noise. So the same operator also reads the difference between each key frame and
    the next one, aligned (:func:`temporal_noise_sigma`): texture moves with the picture and cancels, grain is
    drawn anew each frame and stays. Each estimate can only be too high (texture for the first, motion that no
    shift aligns for the second), so the smaller one is returned: the illustration reads 0.15, and grain added to
    it is measured at its size (2.2 / 6.2 / 9.5 / 17 for the noise ladder, where the spatial estimate read
    7.1 / 9.8 / 12 / 18). Sensor grain, film grain and ffmpeg's temporal ``noise`` filter raise it; blur and
    strong compression lower it (they remove noise). A noise pattern fixed from frame to frame is seen by the
    spatial estimate only.

    Raw: sigma in 0-255 luma levels (about 0-1.5 on clean footage, 2-4 on visibly grainy footage, 10+ on very
    noisy footage; in steps of about 0.25 at low levels, since 8-bit responses are whole numbers). Lower is
    better; the catalogue calibration is a decreasing logistic.
    """

    version = "3"

    def measure(self, clip) -> float:
        return min(noise_sigma(clip), temporal_noise_sigma(clip))
