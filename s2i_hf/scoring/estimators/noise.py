"""Noise: Immerkaer's fast noise variance estimate, restricted to the flat half of the key frames."""

from __future__ import annotations

import numpy as np

from ..base import Scorer
from ..registry import register_scorer
from .common import cached, key_tiles, tile_chunks


__all__ = ["immerkaer_sigma", "noise_sigma", "ImmerkaerNoise"]


_MEDIAN_ABS = 0.6744897501960817  # median of |N(0, 1)|
_RESPONSE_SCALE = 6.0  # the operator's response to unit white noise has standard deviation sqrt(36) = 6


def _immerkaer_median(y: np.ndarray, flat_share: float) -> float | None:
    """sigma of one (K, H, W) stack from the median |response| over its flattest pixels (None if none)."""
    c = y[:, 1:-1, 1:-1]
    n, s, w, e = y[:, :-2, 1:-1], y[:, 2:, 1:-1], y[:, 1:-1, :-2], y[:, 1:-1, 2:]
    resp = y[:, :-2, :-2] + y[:, :-2, 2:]
    resp += y[:, 2:, :-2]
    resp += y[:, 2:, 2:]
    resp += 4.0 * c
    resp -= 2.0 * (n + s + w + e)
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


@register_scorer("immerkaer_noise", dimension="noise")
class ImmerkaerNoise(Scorer):
    """Noise level: the standard deviation of additive noise estimated with Immerkaer's operator (Immerkaer 1996,
    "Fast noise variance estimation", CVIU 64(2):300-302) on the key frames' luma at native resolution (tiles
    of the frame, never resampled: resampling averages noise away).

    The Laplacian-difference operator responds to texture and edges as well as to noise, so the response is
    read only over the flattest 30 % of the pixels of each key frame (smallest central-difference gradient)
    and through its median rather than Immerkaer's mean absolute value (robust to the structure that still
    leaks; unbiased for Gaussian noise); the median over key frames is returned. Sensor grain, film grain and
    ffmpeg's ``noise`` filter all raise it; blur and strong compression lower it (they remove noise). Fine
    texture over the whole frame (foliage, a cellular-automaton pattern) still leaks in somewhat.

    Raw: sigma in 0-255 luma levels (about 0-1.5 on clean footage, 2-4 on visibly grainy footage, 10+ on very
    noisy footage; in steps of about 0.25 at low levels, since 8-bit responses are whole numbers). Lower is
    better; the catalogue calibration is a decreasing logistic.
    """

    version = "2"

    def measure(self, clip) -> float:
        return noise_sigma(clip)
