"""Shared, cached intermediates of one clip for the default estimators.

Scoring all 14 dimensions must cost a small fraction of decoding, so every estimator reads from a few arrays
computed once per clip and kept in a dict attached to the clip (``clip.__dict__['_s2i_cache']``; a
:class:`~s2i_hf.video.Clip` is a plain dataclass):

- :func:`key_tiles`: luma of the key frames (one per window) at **native resolution**, as whole frames when
  they are small and otherwise as tiles on a regular grid whose origins are multiples of 8 pixels. Nothing is
  resampled, so the coding-block grid and the finest detail survive: sharpness, noise and blockiness use it.
  :func:`key_clipped` marks its crushed and blown pixels (the noise estimate leaves them out).
  :func:`neighbour_tiles` holds the same tiles of the frame after each key frame (motion blur).
- :func:`key_small_rgb` / :func:`key_small_luma`: the key frames box-averaged down to at most ``SMALL_SIDE``
  pixels (exposure, colour, lighting, composition, content).
- :func:`small_stack` / :func:`temporal_stack`: every sampled frame, green channel (a luma proxy: 59 % of BT.601
  luma and the cheapest channel to gather) box-averaged down to at most ``SMALL_SIDE`` pixels, then further
  to about 96 x 72 pixels if still larger, for temporal measures (fluency, flicker, TI).
- :func:`motion_stack` / :func:`global_motion`: that stack centre-cropped to FFT-friendly sizes and the global
  translation between consecutive frames by phase correlation.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import fft as sfft


__all__ = [
    "SMALL_SIDE",
    "small_stride",
    "MOTION_AREA",
    "TILE",
    "cache",
    "cached",
    "key_tiles",
    "key_clipped",
    "channel_extremes",
    "neighbour_tiles",
    "tile_chunks",
    "region_grid",
    "region_sums",
    "key_small_rgb",
    "key_small_luma",
    "key_highlights",
    "key_luma_cdfs",
    "key_shadows",
    "small_stack",
    "temporal_stack",
    "motion_stack",
    "cut_pairs",
    "frame_diffs",
    "frame_diff_std",
    "pair_index",
    "window_slices",
    "global_motion",
    "motion_diagonal",
]

SMALL_SIDE = 128  # long side of the strided stacks used by temporal and colour measures
MOTION_AREA = 96 * 72  # about this many pixels per frame for temporal measures and phase correlation
MOTION_MAX = (96, 128)  # and at most this (h, w) after a centre crop
TILE = 64  # native-resolution tile side (a multiple of 8 and 16: the coding grids are kept)
MAX_TILES = 12  # per key frame
_BT601 = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def cache(clip) -> dict:
    """The clip's cache dict (created on first use)."""
    return clip.__dict__.setdefault("_s2i_cache", {})


def cached(clip, key, fn):
    """``fn()`` computed once per clip under ``key``."""
    c = cache(clip)
    if key not in c:
        c[key] = fn()
    return c[key]


def _stride(h: int, w: int, side: int) -> int:
    return max(1, math.ceil(max(h, w) / side))


def _luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma in 0-255 (float32) of RGB (..., 3)."""
    return rgb @ _BT601 if rgb.dtype == np.float32 else rgb.astype(np.float32) @ _BT601


def _tile_origins(h: int, w: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Origins (multiples of 8) of up to MAX_TILES tiles spread over an h x w frame, or None to use it whole."""
    if h * w <= TILE * TILE * MAX_TILES * 1.5 or h < TILE or w < TILE:
        return None
    rows = max(1, min(h // TILE, int(round(math.sqrt(MAX_TILES * h / w)))))
    cols = max(1, min(w // TILE, MAX_TILES // rows))
    ys = (np.linspace(0, h - TILE, rows) // 8 * 8).astype(int)
    xs = (np.linspace(0, w - TILE, cols) // 8 * 8).astype(int)
    return ys, xs


def _rgb_tiles_of(clip, indices: np.ndarray) -> np.ndarray:
    """RGB (uint8) tiles (or whole frames) of the given frames, as described in :func:`key_tiles`."""
    _, h, w, _ = clip.frames.shape
    origins = _tile_origins(h, w)
    if origins is None:
        return clip.frames[indices]
    ys, xs = origins
    frames = clip.frames
    tiles = np.empty((len(indices), len(ys), len(xs), TILE, TILE, 3), dtype=np.uint8)
    for a, k in enumerate(indices):
        f = frames[k]
        for b, y in enumerate(ys):
            row = f[y : y + TILE]
            for c, x in enumerate(xs):
                tiles[a, b, c] = row[:, x : x + TILE]
    return tiles.reshape(-1, TILE, TILE, 3)


def _key_rgb_tiles(clip) -> np.ndarray:
    return cached(clip, "key_rgb_tiles", lambda: _rgb_tiles_of(clip, np.asarray(clip.key_indices, dtype=np.int64)))


def key_tiles(clip) -> np.ndarray:
    """(N, th, tw) float32 luma (0-255) of the key frames at native resolution: whole frames when small,
    else up to 12 tiles of 64 x 64 per key frame on a grid aligned to 8 pixels."""
    return cached(clip, "key_tiles", lambda: _luma(_key_rgb_tiles(clip)))


# Luma at or beyond these levels (0-255) is clipped: crushed to black or blown to white.
CLIPPED_LOW, CLIPPED_HIGH = 1.0, 254.0
# An exposure change clips a colour's channels one by one before its luma reaches black or white (blown skin keeps
# its blue channel and reads luma 240): a pixel whose luma is at least CLIP_LUMA_HIGH of white (at most CLIP_LUMA_LOW)
# with a channel at CHANNEL_TOP or more (255 - CHANNEL_TOP or less) is clipped too. Decoders round limited-range
# white to 254-255.
CLIP_LUMA_HIGH, CLIP_LUMA_LOW, CHANNEL_TOP = 0.9, 0.1, 254.0


def channel_extremes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's darkest and brightest channel of an (..., 3) RGB array (pairwise: numpy's reductions over a
    3-long last axis are slow)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return np.minimum(np.minimum(r, g), b), np.maximum(np.maximum(r, g), b)


def key_clipped(clip) -> np.ndarray:
    """(N, th, tw) bool, laid out as :func:`key_tiles`: the clipped pixels (see CLIP_LUMA_HIGH). Clipping flattens
    whatever variation the channels had, grain included."""

    def build():
        y = key_tiles(clip)
        lo, hi = channel_extremes(_key_rgb_tiles(clip))
        dark = (y <= CLIPPED_LOW) | ((lo <= 255.0 - CHANNEL_TOP) & (y <= 255.0 * CLIP_LUMA_LOW))
        bright = (y >= CLIPPED_HIGH) | ((hi >= CHANNEL_TOP) & (y >= 255.0 * CLIP_LUMA_HIGH))
        return dark | bright

    return cached(clip, "key_clipped", build)


def tile_chunks(clip) -> list[slice]:
    """Slices of :func:`key_tiles` holding one key frame each (work frame by frame keeps temporaries small)."""

    def build():
        n = key_tiles(clip).shape[0]
        k = max(1, len(clip.key_indices))
        per = max(1, n // k)
        return [slice(i, min(i + per, n)) for i in range(0, n, per)]

    return cached(clip, "tile_chunks", build)


REPEAT_LEVEL = 0.5  # grey levels of mean absolute change (temporal stack) under which a frame repeats another


def neighbour_indices(clip) -> np.ndarray:
    """For each key frame, the nearest frame of its window that is not a repeat of it: the next one, or later
    ones when the next repeats it (duplicated frames of a stutter would hide the motion), else the previous
    ones; the next frame when all of them repeat it (a still scene)."""

    def build():
        y = temporal_stack(clip)
        out = []
        for (a, b), k in zip(clip.windows, clip.key_indices):
            default = k + 1 if k + 1 < b else max(a, k - 1)
            pick = default
            for j in [*range(k + 1, b), *range(k - 1, a - 1, -1)]:
                if float(np.abs(y[j] - y[k]).mean()) >= REPEAT_LEVEL:
                    pick = j
                    break
            out.append(pick)
        return np.asarray(out, dtype=np.int64)

    return cached(clip, "neighbour_indices", build)


def neighbour_tiles(clip) -> np.ndarray:
    """:func:`key_tiles` of the frames that follow the key frames (same layout)."""
    return cached(clip, "neighbour_tiles", lambda: _luma(_rgb_tiles_of(clip, neighbour_indices(clip))))


def region_grid(y: np.ndarray) -> int:
    """Regions per side used to split each image of a key-tile stack: 4 for whole frames larger than two
    tiles a side, else 1 (each tile is a region)."""
    return 4 if (y.shape[1] > 2 * TILE and y.shape[2] > 2 * TILE) else 1


def region_sums(m: np.ndarray, grid: int) -> np.ndarray:
    """Sums of a (K, H, W) map over a grid x grid split of each image -> (K * grid * grid,)."""
    k, h, w = m.shape
    rh, rw = h // grid, w // grid
    return m[:, : rh * grid, : rw * grid].reshape(k, grid, rh, grid, rw).sum(axis=(2, 4), dtype=np.float64).reshape(-1)


def key_small_rgb(clip) -> np.ndarray:
    """(K, h, w, 3) float32 RGB (0-255) of the key frames box-averaged to at most SMALL_SIDE pixels.

    Averaging (not striding) keeps grain and chroma noise from passing for colour, detail or visual weight in the
    measures that read this stack: an s x s average divides the noise's standard deviation by s."""
    return cached(
        clip,
        "key_small_rgb",
        lambda: _box_reduce(clip.frames[np.asarray(clip.key_indices, dtype=np.int64)], small_stride(clip)),
    )


def key_small_luma(clip) -> np.ndarray:
    """(K, h, w) float32 BT.601 luma (0-255) of :func:`key_small_rgb`."""
    return cached(clip, "key_small_luma", lambda: key_small_rgb(clip) @ _BT601)


def key_luma_cdfs(clip) -> np.ndarray:
    """(K, 256) cumulative histograms of the key frames' luma at native resolution: BT.601 in integers
    (77 R + 150 G + 29 B) / 256 over every other row (half the cost; a highlight or an ink stroke two rows tall is
    still seen). Cached: :func:`key_highlights` and :func:`key_shadows` read their percentiles from it."""

    def build():
        frames = clip.frames[np.asarray(clip.key_indices, dtype=np.int64)]
        out = []
        for f in frames[:, ::2]:
            y = f[..., 0].astype(np.uint16) * 77
            y += f[..., 1].astype(np.uint16) * 150
            y += f[..., 2].astype(np.uint16) * 29
            y += 128
            out.append(np.cumsum(np.bincount((y >> 8).ravel(), minlength=256)))
        return np.asarray(out)

    return cached(clip, "key_luma_cdfs", build)


def _native_percentile(clip, q: float) -> float:
    """The ``q``-th percentile (0-1) of :func:`key_luma_cdfs`, median over the key frames."""
    cdfs = key_luma_cdfs(clip)
    return float(np.median([np.count_nonzero(c < q / 100.0 * c[-1]) / 255.0 for c in cdfs]))


def key_highlights(clip, q: float = 99.9) -> float:
    """The ``q``-th percentile of the key frames' luma at native resolution (0-1; median over the key frames).

    Point highlights (stars, lamps, specular glints) are a few pixels wide: box-averaged to SMALL_SIDE they read
    as dim (a star field's 99.9th percentile: 0.81 small, 0.999 native)."""
    return _native_percentile(clip, q)


def key_shadows(clip, q: float = 0.5) -> float:
    """The ``q``-th percentile of the key frames' luma at native resolution (0-1; median over the key frames): how
    deep the frame's blacks reach. Thin dark strokes (the ink of a page, a line drawing) are a pixel or two wide:
    box-averaged to SMALL_SIDE they read grey (dark text on paper at 235: 0.45 at the 1st percentile small, 0.07
    native), and a page would pass for lifted shadows."""
    return _native_percentile(clip, q)


def small_stride(clip) -> int:
    """The reduction factor that brings the clip's frames to at most SMALL_SIDE pixels (the small stacks')."""
    _, h, w, _ = clip.frames.shape
    return _stride(h, w, SMALL_SIDE)


def _box_reduce(frames: np.ndarray, s: int) -> np.ndarray:
    """(N, H, W[, C]) -> float32, each s x s block averaged. 8-bit frames are summed exactly in uint16 from a
    contiguous copy, rows of each block first, then columns (three times faster than strided uint8 -> float32 adds
    over a channel view, which were the largest single cost of scoring); the result is the same. Other dtypes
    accumulate strided views in float32."""
    if s == 1:
        return frames.astype(np.float32)
    h2, w2 = frames.shape[1] // s, frames.shape[2] // s
    if frames.dtype != np.uint8 or s > 16:  # 16 x 16 x 255 < 2**16
        acc = np.zeros((frames.shape[0], h2, w2) + frames.shape[3:], dtype=np.float32)
        for dy in range(s):
            for dx in range(s):
                acc += frames[:, dy : h2 * s : s, dx : w2 * s : s]
    else:
        x = np.ascontiguousarray(frames[:, : h2 * s, : w2 * s])
        rows = np.zeros((x.shape[0], h2, w2 * s) + x.shape[3:], dtype=np.uint16)
        for dy in range(s):
            rows += x[:, dy::s]
        sums = np.zeros((x.shape[0], h2, w2) + x.shape[3:], dtype=np.uint16)
        for dx in range(s):
            sums += rows[:, :, dx::s]
        acc = sums.astype(np.float32)
    acc *= np.float32(1.0 / (s * s))
    return acc


def small_stack(clip) -> np.ndarray:
    """(T, h, w) float32 (0-255): the green channel of every sampled frame box-averaged to at most SMALL_SIDE px
    (averaged rather than strided, so grain does not pass for motion or temporal change)."""
    return cached(clip, "small_stack", lambda: _box_reduce(clip.frames[..., 1], small_stride(clip)))


def _smooth_len(n: int) -> int:
    """The largest m <= n whose only prime factors are 2, 3 and 5 (fast FFT sizes)."""
    for m in range(n, 0, -1):
        r = m
        for p in (2, 3, 5):
            while r % p == 0:
                r //= p
        if r == 1:
            return m
    return n


def temporal_stack(clip) -> np.ndarray:
    """(T, h, w) float32 (0-255): :func:`small_stack` box-averaged by the whole factor that brings it nearest
    to MOTION_AREA pixels (about 96 x 72). Temporal measures (fluency, flicker, TI) and motion use it."""

    def build():
        y = small_stack(clip)
        t, h, w = y.shape
        k = max(1, int(round(math.sqrt(h * w / MOTION_AREA))))
        return y if k == 1 else _box_reduce(y, k)

    return cached(clip, "temporal_stack", build)


def motion_stack(clip) -> np.ndarray:
    """(T, h, w) float32 for phase correlation: :func:`temporal_stack` centre-cropped to at most MOTION_MAX
    and to FFT-friendly sizes."""

    def build():
        y = temporal_stack(clip)
        h, w = y.shape[1:]
        hh, ww = _smooth_len(min(h, MOTION_MAX[0])), _smooth_len(min(w, MOTION_MAX[1]))
        oy, ox = (h - hh) // 2, (w - ww) // 2
        return np.ascontiguousarray(y[:, oy : oy + hh, ox : ox + ww])

    return cached(clip, "motion_stack", build)


def pair_index(clip) -> tuple[np.ndarray, np.ndarray]:
    """(first frame, window id) of every consecutive pair inside a window, as arrays."""

    def build():
        first, win = [], []
        for w, (a, b) in enumerate(clip.windows):
            first.extend(range(a, b - 1))
            win.extend([w] * max(0, b - a - 1))
        return np.asarray(first, dtype=np.int64), np.asarray(win, dtype=np.int64)

    return cached(clip, "pair_index", build)


def window_slices(clip) -> list[slice]:
    """For each window, the slice of its pairs in the arrays indexed like :func:`pair_index`."""

    def build():
        out, k = [], 0
        for a, b in clip.windows:
            n = max(0, b - a - 1)
            out.append(slice(k, k + n))
            k += n
        return out

    return cached(clip, "window_slices", build)


def _diff_stats(clip) -> tuple[np.ndarray, np.ndarray]:
    def build():
        y = temporal_stack(clip)
        mean_abs, std = [], []
        for a, b in clip.windows:  # window by window: pairs never cross windows, temporaries stay small
            if b - a < 2:
                continue
            d = (y[a + 1 : b] - y[a : b - 1]).reshape(b - a - 1, -1)
            mean_abs.append(np.abs(d).mean(axis=1))
            std.append(d.std(axis=1))
        if not mean_abs:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(mean_abs).astype(np.float64), np.concatenate(std).astype(np.float64)

    return cached(clip, "diff_stats", build)


# A pair is a scene cut when the correlation of its two frames (each standardised to zero mean and unit variance,
# so a brightness or contrast change is not a cut) is under CUT_MAX_CORR and its decorrelation (1 - r) is over
# CUT_RATIO times the clip's median decorrelation over the pairs that change at all (so fast motion, which
# decorrelates every pair, is not a cut).
CUT_MAX_CORR = 0.5
CUT_RATIO = 4.0


def cut_pairs(clip) -> np.ndarray:
    """Boolean per consecutive pair (layout of :func:`pair_index`): a shot boundary lies between the two frames.

    The classic frame-difference shot-boundary test (Zhang, Kankanhalli & Smoliar 1993, "Automatic partitioning of
    full-motion video", Multimedia Systems 1) on standardised frames of the temporal stack: a cut decorrelates one
    pair far more than the clip's motion decorrelates the others. Temporal measures (stability, trajectory,
    flicker, fluency, motion blur, TI) measure within shots: they drop or split at these pairs.
    """

    def build():
        y = temporal_stack(clip)
        first, _ = pair_index(clip)
        if first.size == 0:
            return np.zeros(0, dtype=bool)
        z = y.reshape(y.shape[0], -1).astype(np.float64)
        z -= z.mean(axis=1, keepdims=True)
        z /= np.maximum(z.std(axis=1, keepdims=True), 1e-6)
        r = np.einsum("ij,ij->i", z[first], z[first + 1]) / z.shape[1]
        decor = 1.0 - r
        changing = decor[decor > 0.01]  # repeated frames (a stutter) would pull the median motion level to 0
        level = float(np.median(changing)) if changing.size else 0.0
        return (r < CUT_MAX_CORR) & (decor > CUT_RATIO * max(level, 1e-3))

    return cached(clip, "cut_pairs", build)


def frame_diffs(clip) -> np.ndarray:
    """Mean absolute difference (0-255) of the temporal stack over every consecutive pair inside the windows."""
    return _diff_stats(clip)[0]


def frame_diff_std(clip) -> np.ndarray:
    """Standard deviation of the frame difference (0-255) of the same pairs (ITU-T P.910 TI per pair)."""
    return _diff_stats(clip)[1]


@functools.lru_cache(maxsize=16)
def _hann(h: int, w: int) -> np.ndarray:
    return np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)


def _subpixel(v_m: np.ndarray, v_0: np.ndarray, v_p: np.ndarray) -> np.ndarray:
    """Offset of a parabola's vertex through three neighbouring samples, in [-0.5, 0.5]."""
    den = v_m - 2 * v_0 + v_p
    safe = np.where(np.abs(den) < 1e-12, 1.0, den)
    return np.where(np.abs(den) < 1e-12, 0.0, np.clip(0.5 * (v_m - v_p) / safe, -0.5, 0.5))


def global_motion(clip) -> tuple[np.ndarray, np.ndarray]:
    """Global translation (dy, dx) in motion-stack pixels from each frame to the next (pairs as in
    :func:`pair_index`), by phase correlation (Kuglin & Hines 1975) with a parabolic sub-pixel peak, and the
    height of the correlation peak (near 1 for a clean translation, near 0 when nothing matches).

    Computed window by window (pairs never cross windows), which also keeps temporaries small."""

    def build():
        y = motion_stack(clip)
        t, h, w = y.shape
        hann = _hann(h, w)
        shifts, peaks = [], []
        for a, b in clip.windows:
            if b - a < 2:
                continue
            z = y[a:b] - y[a:b].mean(axis=(1, 2), keepdims=True)
            z *= hann
            spec = sfft.rfft2(z)
            inv = np.sqrt(spec.real**2 + spec.imag**2)
            inv += 1e-9
            np.reciprocal(inv, out=inv)
            spec.real *= inv  # whiten: keep the phase only
            spec.imag *= inv
            r = sfft.irfft2(spec[1:] * np.conj(spec[:-1]), s=(h, w))
            m = len(r)
            n = np.arange(m)
            py, px = np.unravel_index(r.reshape(m, -1).argmax(axis=1), (h, w))
            peak = r[n, py, px]
            dy = py + _subpixel(r[n, (py - 1) % h, px], peak, r[n, (py + 1) % h, px])
            dx = px + _subpixel(r[n, py, (px - 1) % w], peak, r[n, py, (px + 1) % w])
            dy = np.where(dy > h / 2, dy - h, dy)
            dx = np.where(dx > w / 2, dx - w, dx)
            shifts.append(np.stack([dy, dx], axis=1))
            peaks.append(peak)
        if not shifts:
            return np.zeros((0, 2)), np.zeros(0)
        return np.concatenate(shifts), np.concatenate(peaks).astype(np.float64)

    return cached(clip, "global_motion", build)


def motion_diagonal(clip) -> float:
    """Diagonal of the motion stack in its pixels (motion is reported relative to it)."""
    y = motion_stack(clip)
    return float(math.hypot(y.shape[1], y.shape[2]))
