"""Shared, cached intermediates of one clip for the default estimators (stored on the clip)."""
from __future__ import annotations
import math

import numpy as np
from scipy import fft as sfft

TEMPORAL_SIDE = 256
MOTION_SIDE = 128
SPATIAL_MAX_SIDE = 1280


def _stride(shape, side: int) -> int:
    """The whole step that brings the longer side of ``shape`` to at most ``side``."""
    return max(1, math.ceil(max(shape) / side))


def cache(clip) -> dict:
    return clip.__dict__.setdefault("_s2i_cache", {})


_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32) / 255.0


def _luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma in [0, 1] of uint8 RGB (..., 3)."""
    return rgb.astype(np.float32) @ _WEIGHTS


TILE = 64
TILES_PER_FRAME = 16


def key_luma(clip) -> np.ndarray:
    """(N, h, w) float32 luma in [0, 1] at native resolution from the key frames, for spatial estimators.

    Small frames are used whole; larger ones are sampled as up to 24 tiles of 64 x 64 pixels on a regular
    grid whose origins are multiples of 8 (so the coding-block grid is kept), spread over the frame.
    Sampling tiles keeps the per-pixel statistics these estimators average while touching a fraction of
    the pixels."""
    c = cache(clip)
    if "key_luma" not in c:
        keys = np.asarray(clip.key_indices)
        _, h, w, _ = clip.frames.shape
        c["key_tiled"] = h * w > TILE * TILE * TILES_PER_FRAME * 1.5
        if not c["key_tiled"]:
            c["key_luma"] = _luma(clip.frames[keys])
        else:
            rows = max(1, min(h // TILE, int(round(np.sqrt(TILES_PER_FRAME * h / w)))))
            cols = max(1, min(w // TILE, TILES_PER_FRAME // rows))
            ys = (np.linspace(0, h - TILE, rows) // 8 * 8).astype(int)
            xs = (np.linspace(0, w - TILE, cols) // 8 * 8).astype(int)
            tiles = [clip.frames[keys, y:y + TILE, x:x + TILE] for y in ys for x in xs]  # copies tiles only
            c["key_luma"] = _luma(np.stack(tiles, axis=1).reshape(-1, TILE, TILE, 3))
    return c["key_luma"]


def key_rgb_small(clip) -> np.ndarray:
    c = cache(clip)
    if "key_rgb_small" not in c:
        s = _stride(clip.frames.shape[1:3], TEMPORAL_SIDE)
        c["key_rgb_small"] = clip.frames[np.asarray(clip.key_indices), ::s, ::s].astype(np.float32)
    return c["key_rgb_small"]


def small_luma(clip) -> np.ndarray:
    """(T, h, w) float32 luma in [0, 255] of every frame, strided down to at most 256 px on the long side."""
    c = cache(clip)
    if "small_luma" not in c:
        s = _stride(clip.frames.shape[1:3], TEMPORAL_SIDE)
        f = clip.frames[:, ::s, ::s]
        y = f[..., 0].astype(np.uint16) * 77 + f[..., 1].astype(np.uint16) * 150 + f[..., 2].astype(np.uint16) * 29
        c["small_luma"] = y.astype(np.float32) * (1.0 / 256.0)  # BT.601 weights in 1/256 steps
    return c["small_luma"]


def motion_luma(clip) -> np.ndarray:
    c = cache(clip)
    if "motion_luma" not in c:
        y = small_luma(clip)
        k = _stride(y.shape[1:], MOTION_SIDE)
        t, h, w = y.shape
        h2, w2 = h // k * k, w // k * k
        acc = np.zeros((t, h2 // k, w2 // k), dtype=np.float32)
        for dy in range(k):  # box average by strided sums (much faster than a reshape-mean here)
            for dx in range(k):
                acc += y[:, dy:h2:k, dx:w2:k]
        c["motion_luma"] = acc * (1.0 / (k * k))
    return c["motion_luma"]


def frame_diffs(clip) -> np.ndarray:
    """Mean absolute luma difference (0-255) of every consecutive pair inside the windows."""
    c = cache(clip)
    if "diffs" not in c:
        y = small_luma(clip)
        c["diffs"] = np.array([np.abs(y[j] - y[i]).mean() for i, j in clip.pairs()], dtype=np.float64)
    return c["diffs"]


def _hann(h, w):
    return np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)


def global_motion(clip) -> list[np.ndarray]:
    """Per window, the (n-1, 2) global translation (dy, dx) in motion-luma pixels between neighbours,
    by phase correlation (Kuglin & Hines 1975) with a parabolic sub-pixel peak."""
    c = cache(clip)
    if "motion" in c:
        return c["motion"]
    y = motion_luma(clip)
    t, h, w = y.shape
    spectra = sfft.rfft2(((y - y.mean(axis=(1, 2), keepdims=True)) * _hann(h, w)).astype(np.float32))
    pairs = list(clip.pairs())
    if not pairs:
        c["motion"] = [np.zeros((0, 2)) for _ in clip.windows]
        return c["motion"]
    i0 = np.array([p[0] for p in pairs])
    cross = spectra[i0 + 1] * np.conj(spectra[i0])
    cross /= np.abs(cross) + 1e-9
    r = sfft.irfft2(cross, s=(h, w))
    flat = r.reshape(len(pairs), -1).argmax(axis=1)
    py, px = np.unravel_index(flat, (h, w))
    n = np.arange(len(pairs))

    def sub(v_m, v_0, v_p):
        den = v_m - 2 * v_0 + v_p
        return np.where(np.abs(den) < 1e-12, 0.0, 0.5 * (v_m - v_p) / np.where(den == 0, 1, den))

    dy = py + sub(r[n, (py - 1) % h, px], r[n, py, px], r[n, (py + 1) % h, px])
    dx = px + sub(r[n, py, (px - 1) % w], r[n, py, px], r[n, py, (px + 1) % w])
    dy = np.where(dy > h / 2, dy - h, dy)
    dx = np.where(dx > w / 2, dx - w, dx)
    shifts = np.stack([dy, dx], axis=1)
    out, k = [], 0
    for a, b in clip.windows:
        out.append(shifts[k:k + max(0, b - a - 1)])
        k += max(0, b - a - 1)
    c["motion"] = out
    return out


def diagonal(clip) -> float:
    y = motion_luma(clip)
    return float(np.hypot(*y.shape[1:]))
