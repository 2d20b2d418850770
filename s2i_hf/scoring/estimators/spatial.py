"""Sharpness and focus: the Crete-Roffet perceptual blur, restricted to structure that stands above the noise."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..base import Scorer
from ..registry import register_scorer
from .common import (
    CLIPPED_HIGH,
    CLIPPED_LOW,
    cached,
    key_tiles,
    neighbour_tiles,
    region_grid,
    region_sums,
    tile_chunks,
)
from .noise import noise_sigma


__all__ = [
    "crete_roffet_blur",
    "caption_mask",
    "edge_blur_sums",
    "edge_maps",
    "region_sharpness",
    "CreteRoffetSharpness",
    "TileFocus",
]


def crete_roffet_blur(y: np.ndarray) -> np.ndarray:
    """The no-reference perceptual blur of Crete, Dolmiere, Ladret & Nicolas 2007 ("The blur effect:
    perception and estimation with a new no-reference perceptual blur metric", SPIE 6492) of each (H, W)
    image of a (K, H, W) stack, in [0, 1] (0 sharp, 1 fully blurred).

    The image is re-blurred with a 9-tap box filter along each axis; the variation that re-blurring removes
    is large for a sharp image and small for one that is already blurred. Per axis:
    ``b = (sum|dF| - sum max(0, |dF| - |dB|)) / sum|dF|``; the blur is the larger of the two axes. An image
    with no variation along either axis counts as fully blurred.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y[None]
    out = []
    for axis in (1, 2):
        sf, sv = _axis_sums(y, axis, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(sf > 1e-6, (sf - sv) / np.where(sf > 1e-6, sf, 1.0), np.nan))
    both = np.stack(out)
    flat = np.all(np.isnan(both), axis=0)
    return np.where(flat, 1.0, np.nanmax(np.where(np.isnan(both), -np.inf, both), axis=0))


def _axis_maps(y: np.ndarray, axis: int, tau: float | None, core: float = 0.0, exclude: np.ndarray | None = None):
    """Per pixel along ``axis``: |dF| and max(0, |dF| - |dB|), where B is the 9-tap box re-blur (both zero
    where |dB| <= tau, or outside the strongest EDGE_SHARE of |dB| in each image of the stack ``y``); with
    ``core`` > 0, |dF| is first cored to max(0, |dF| - core) (variation within the noise's reach is not counted as
    detail). With ``tau``, windows that hold a clipped pixel or one of ``exclude`` (same shape as ``y``) are left
    out. The difference of a 9-tap moving average is one long difference, dB[j] = (y[j+5] - y[j-4]) / 9, so no
    filtering pass is needed. Only positions whose 9-tap window fits inside the image are kept (the maps are 9 pixels
    shorter along ``axis``)."""
    n = y.shape[axis]
    if n < 11:
        shape = list(y.shape)
        shape[axis] = 0
        z = np.zeros(shape, dtype=np.float32)
        return z, z

    def sl(a, b):
        return tuple(slice(a, b) if ax == axis else slice(None) for ax in range(y.ndim))

    df = np.abs(y[sl(5, n - 4)] - y[sl(4, n - 5)])
    db = np.abs(y[sl(9, n)] - y[sl(0, n - 9)]) * np.float32(1.0 / 9.0)
    if core > 0:
        df = np.maximum(df - np.float32(core), 0.0)
    v = np.maximum(df - db, 0.0)
    if tau is not None:
        out = (y <= CLIPPED_LOW) | (y >= CLIPPED_HIGH)
        if exclude is not None:
            out |= exclude
        valid = ~_touches(out, axis) & _inside_coding_blocks(n, axis, y.ndim)
        m = (db > np.maximum(tau, _strongest_edges_floor(db, valid))) & valid
        df *= m
        v *= m
    return df, v


# Edge pixels are the EDGE_SHARE of positions with the largest re-blurred gradient |dB| of each image (each 64 x 64
# tile or small frame: edges are chosen all over the frame, not only in its most contrasted part) and above the
# noise threshold tau. |dB|, a difference of two 9-pixel means, keeps its size under blur, grain, compression and
# brightness offsets, so the same structure is measured before and after a distortion. A fixed threshold alone
# measured whatever structure a distortion left above it: on soft footage (bikes, raw 0.33) grain, CRF 47 or an
# exposure shift removed the weaker edges and left the crisper ones, raising sharpness and motion blur by up to +0.16
# (label-calibration corpus). The strongest decile also widens the gap between soft undamaged footage and severe
# blur (raw 0.32 vs <= 0.20, against 0.33 vs <= 0.25), so the calibration can be less steep.
EDGE_SHARE = 0.10


def _strongest_edges_floor(db: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per image of the (K, ...) stack ``db`` (values >= 0): the |dB| above which the EDGE_SHARE strongest of its
    ``valid`` positions lie (0 where it has none), shaped to broadcast against ``db``. Invalid positions are set
    below every value, so the rank sought is counted from the top; images with as many valid positions (most)
    share one partition."""
    k_images = db.shape[0]
    flat = np.where(valid, db, np.float32(-1.0)).reshape(k_images, -1)
    counts = np.broadcast_to(valid, db.shape).reshape(k_images, -1).sum(axis=1)
    ranks = flat.shape[1] - counts + np.minimum(counts - 1, (counts * (1.0 - EDGE_SHARE)).astype(np.int64))
    floors = np.zeros(k_images, dtype=np.float32)
    for rank in np.unique(ranks[counts > 0]):
        rows = np.flatnonzero((ranks == rank) & (counts > 0))
        floors[rows] = np.partition(flat[rows], rank, axis=1)[:, rank]
    return floors.reshape((-1,) + (1,) * (db.ndim - 1))


# Block-based codecs (MPEG-2 to AV1) code each frame in blocks on an 8-pixel grid; the images measured here are
# native-resolution frames or tiles aligned to that grid (``key_tiles``).
CODING_BLOCK = 8


def _inside_coding_blocks(n: int, axis: int, ndim: int) -> np.ndarray:
    """False where the neighbour pair of :func:`_axis_maps` (pixels j + 4 and j + 5) straddles a coding-block
    boundary. Heavy quantisation flattens each block and leaves a step at its boundary, which reads as a crisp
    edge: x264 at CRF 45-51 raised sharpness and motion blur by up to +0.17 on a soft real clip (label-calibration
    corpus). One pair in eight is left out, so unblocked content measures the same."""
    j = np.arange(n - 9)
    shape = [1] * ndim
    shape[axis] = n - 9
    return ((j + 5) % CODING_BLOCK != 0).reshape(shape)


def _touches(clipped: np.ndarray, axis: int) -> np.ndarray:
    """Where the 10-pixel window of :func:`_axis_maps` (the box re-blur and the neighbour difference) holds a
    pixel of ``clipped``: a clipped one, or one of a caption (:func:`caption_mask`). Next to a plateau of crushed
    blacks or blown whites a soft gradient keeps its neighbour differences while the re-blurred difference shrinks,
    so it would pass for a crisp edge: darkening or brightening a clip until it clips raised sharpness and motion blur
    by up to +0.27 (label-calibration corpus). Such windows are not evidence about blur either way and are left
    out."""
    n = clipped.shape[axis]
    if not clipped.any():
        shape = list(clipped.shape)
        shape[axis] = max(n - 9, 0)
        return np.zeros(shape, dtype=bool)
    cs = np.cumsum(clipped, axis=axis, dtype=np.int32)
    zero = np.zeros_like(np.take(cs, [0], axis=axis))
    cs = np.concatenate([zero, cs], axis=axis)  # cs[k] = clipped pixels before position k
    hi = np.take(cs, np.arange(10, n + 1), axis=axis)
    lo = np.take(cs, np.arange(0, n - 9), axis=axis)
    return (hi - lo) > 0


def _axis_sums(y: np.ndarray, axis: int, tau: float | None):
    """Per image: sum |dF| and sum max(0, |dF| - |dB|) along ``axis``, over the pixels where |dB| > tau."""
    df, v = _axis_maps(y, axis, tau)
    return df.sum(axis=(1, 2), dtype=np.float64), v.sum(axis=(1, 2), dtype=np.float64)


TAU_MAX = 16.0  # grey levels; beyond this the noise estimate is more likely pattern than noise
# |dF| is cored by CORE_SIGMAS x the noise sigma: the neighbour difference of Gaussian noise of sigma s is
# half-normal with scale s * sqrt(2), so 3.5 s leaves about 1 % of pure-noise differences; grain then no longer
# passes for detail inside the edge pixels (the label-calibration corpus: sharpness and motion blur rose by up to
# +0.3 under added grain without it)
CORE_SIGMAS = 3.5


def edge_thresholds(sigma: float) -> tuple[float, float]:
    """(tau, core) for a clip of noise ``sigma`` (grey levels): the re-blurred gradient an edge pixel must exceed
    (at least 1, at most TAU_MAX) and the coring of |dF| (CORE_SIGMAS x sigma, sigma capped at 2 x TAU_MAX)."""
    return min(max(1.0, sigma), TAU_MAX), CORE_SIGMAS * min(sigma, 2 * TAU_MAX)


# Burned-in captions are drawn, not filmed: thin bright strokes (luma >= CAPTION_BRIGHT) with a dark outline (<=
# CAPTION_DARK) within CAPTION_REACH pixels on both sides, along the rows or the columns, that stay put from a key
# frame to its neighbour (within CAPTION_STILL grey levels: drawn on every frame alike). Lettering packs them
# densely: a caption starts where at least CAPTION_SEED such pixels fall in the 9 x 9 around one, and takes in the
# strokes that lie within CAPTION_GROW pixels of each other from there (the line of text); the mask is that, padded
# by CAPTION_PAD (rows, columns) to take in the outline and the letters' thinner strokes, and it is left out of the
# edge maps. Caption edges are crisp whatever the picture under them: white subtitles over a blurred clip read
# sharpness +0.26-0.59 and focus +0.26-0.45 (benchmarks/format_invariance.py). Outlined subtitles of 14-28 px (white,
# yellow) pack 16-37 strokes in a 9 x 9; the photographs and clips of the label-calibration corpus, the demo and the
# probe (1,972 clips: uniform stripes, window frames) at most 11 where the picture moves. Where it stands still, dense
# bright stripes on dark can pass for lettering: a key frame that its neighbour repeats (a decoded duplicate, mean
# change under CAPTION_REPEAT grey levels, where a still shot's encoder noise alone gives 0.4-0.5) is not searched
# (Grace Hopper's striped uniform in 4 of the demo's 708 training clips was masked before that, on under 1 % of the
# frame), and a seed needs CAPTION_SEED_EACH upright and as many level strokes in its 9 x 9 (letters have both;
# stripes along the camera's motion stay put with one only). A key
# frame whose mask would cover more than CAPTION_MAX_SHARE of it keeps no mask: text over much of the frame is its
# content (a page, a slide), and the gaps between dark letters on white paper are bright strokes with dark on both
# sides too. White text with a drop shadow and no outline is not caught (its strokes are dark on one side only).
CAPTION_BRIGHT, CAPTION_DARK, CAPTION_REACH, CAPTION_STILL, CAPTION_SEED, CAPTION_GROW = 190.0, 60.0, 3, 3.0, 14, 3
CAPTION_SEED_EACH, CAPTION_REPEAT, CAPTION_PAD, CAPTION_MAX_SHARE = 4, 0.1, (6, 12), 0.25


def _bright_strokes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two (K, H, W) bool maps: pixels of luma >= CAPTION_BRIGHT with a pixel <= CAPTION_DARK within CAPTION_REACH on
    each side along the rows (upright strokes), and the same along the columns (level strokes)."""
    bright = y >= CAPTION_BRIGHT
    out = []
    for axis in (2, 1):
        if not bright.any():
            out.append(bright)
            continue
        n = y.shape[axis]
        before = np.full(y.shape, np.inf, dtype=np.float32)
        after = np.full(y.shape, np.inf, dtype=np.float32)
        for d in range(1, min(CAPTION_REACH, n - 1) + 1):
            head = tuple(slice(d, n) if ax == axis else slice(None) for ax in range(3))
            tail = tuple(slice(0, n - d) if ax == axis else slice(None) for ax in range(3))
            before[head] = np.minimum(before[head], y[tail])
            after[tail] = np.minimum(after[tail], y[head])
        out.append(bright & (before <= CAPTION_DARK) & (after <= CAPTION_DARK))
    return out[0], out[1]


def _count_9x9(m: np.ndarray) -> np.ndarray:
    """How many pixels of the (K, H, W) bool map ``m`` fall in the 9 x 9 around each pixel."""
    return ndimage.uniform_filter(m.astype(np.float32), size=(1, 9, 9)) * 81.0


def caption_mask(clip) -> np.ndarray:
    """(N, th, tw) bool, laid out as :func:`~s2i_hf.scoring.estimators.common.key_tiles`: burned-in captions
    (see CAPTION_BRIGHT), widened to take in their outline; all False when there are none (cached)."""

    def build():
        y = key_tiles(clip)
        upright, level = _bright_strokes(y)
        if not (upright.any() or level.any()):
            return upright
        change = np.abs(y - neighbour_tiles(clip))
        still = change <= CAPTION_STILL
        for sl in tile_chunks(clip):  # a key frame that its neighbour repeats (a stutter, a still) shows no overlay
            if float(change[sl].mean()) < CAPTION_REPEAT:
                still[sl] = False
        upright &= still
        level &= still
        strokes = upright | level
        # letters have upright and level strokes; stripes parallel to the camera's motion stay put with one only
        dense = (_count_9x9(strokes) >= CAPTION_SEED - 0.5) & (
            np.minimum(_count_9x9(upright), _count_9x9(level)) >= CAPTION_SEED_EACH - 0.5
        )
        seeds = strokes & dense
        if not seeds.any():
            return seeds
        # the whole line of text: the seeds flooded along strokes that lie within CAPTION_GROW pixels of each other
        grow = 2 * CAPTION_GROW + 1
        near = ndimage.maximum_filter(strokes, size=(1, grow, grow))
        lettering = strokes & ndimage.binary_propagation(seeds, structure=np.ones((1, 3, 3), bool), mask=near)
        mask = ndimage.maximum_filter(lettering, size=(1, 2 * CAPTION_PAD[0] + 1, 2 * CAPTION_PAD[1] + 1))
        for sl in tile_chunks(clip):  # text over much of a frame is its content (a page, a slide), not a caption
            if mask[sl].mean() > CAPTION_MAX_SHARE:
                mask[sl] = False
        return mask

    return cached(clip, "caption_mask", build)


def edge_maps(clip) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per axis (rows, then columns): the Crete-Roffet maps (|dF|, the variation re-blurring removes) of every image
    of :func:`~s2i_hf.scoring.estimators.common.key_tiles`, zero outside edge pixels: the strongest EDGE_SHARE of
    each image's re-blurred gradients, above the clip's noise sigma (at least 1, at most 16 grey levels: the
    difference of two 9-pixel means of noise of sigma 25 rarely exceeds 16), with |dF| cored by the noise.
    Re-blurring averages noise away, so this keeps the structure and drops the pixels where noise would pass for
    detail. Burned-in captions (:func:`caption_mask`) are not the picture and are left out. Cached: sharpness, focus
    and motion blur read the same maps (4 floats per key-tile pixel)."""

    def build():
        y = key_tiles(clip)
        tau, core = edge_thresholds(noise_sigma(clip))
        captions = caption_mask(clip)
        maps = []
        for axis in (1, 2):
            # frame by frame (the decile and the clipping windows are per image; small temporaries)
            parts = [_axis_maps(y[sl], axis, tau, core, captions[sl]) for sl in tile_chunks(clip)]
            maps.append((np.concatenate([df for df, _ in parts]), np.concatenate([v for _, v in parts])))
        return maps

    return cached(clip, "edge_maps", build)


def edge_blur_sums(clip) -> np.ndarray:
    """(regions, 2 axes, 2): Crete-Roffet sums (sum |dF|, sum of the variation re-blurring removes) of
    :func:`edge_maps` per region: the native-resolution tiles, or a 4 x 4 split of each key frame when the frames
    are small enough to be used whole."""

    def build():
        y = key_tiles(clip)
        grid = region_grid(y)
        out = np.empty((y.shape[0] * grid * grid, 2, 2))
        for a, (df, v) in enumerate(edge_maps(clip)):
            out[:, a, 0] = region_sums(df, grid)
            out[:, a, 1] = region_sums(v, grid)
        return out

    return cached(clip, "edge_blur_sums", build)


def region_sharpness(sums: np.ndarray) -> np.ndarray:
    """Per region: 1 - Crete-Roffet blur of the worse axis, NaN where a region holds no edge."""
    sf, sv = sums[:, :, 0], sums[:, :, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        sharp = np.where(sf > 1e-6, sv / np.where(sf > 1e-6, sf, 1.0), np.inf)
    sharp = sharp.min(axis=1)
    return np.where(np.isfinite(sharp), sharp, np.nan)


def pooled_sharpness(sums: np.ndarray) -> float:
    """1 - the Crete-Roffet blur of sums pooled over regions (the worse axis); 0 when there is no edge."""
    total = sums.sum(axis=0)  # (2 axes, 2)
    ratios = [total[a, 1] / total[a, 0] for a in range(2) if total[a, 0] > 1e-6]
    return float(min(ratios)) if ratios else 0.0


@register_scorer("crete_roffet_sharpness", dimension="sharpness")
class CreteRoffetSharpness(Scorer):
    """Sharpness of fine detail: 1 - the Crete-Roffet no-reference perceptual blur (Crete, Dolmiere, Ladret &
    Nicolas 2007, "The blur effect: perception and estimation with a new no-reference perceptual blur
    metric", SPIE 6492), on the key frames' luma at native resolution.

    It is the share of the variation between neighbouring pixels that a 9-tap re-blur removes: much on a
    sharp frame, little on a blurred one. Noise also loses variation under re-blurring and would pass for
    detail (noise looks "sharp"), so the sums are restricted to edge pixels (:func:`edge_maps`): each tile's
    strongest decile of re-blurred gradients, where they also exceed the clip's Immerkaer noise sigma (shared
    with ``immerkaer_noise``). Added noise then does not raise sharpness (strong noise lowers it a little, as it
    does for a viewer), and grain, compression or an exposure change that wipe out the weaker edges do not leave
    only the crisper ones to be measured. The sums are pooled over all tiles of all key frames, so edge-rich
    regions dominate and flat sky does not count.

    Raw: 1 - blur in [0, 1], higher is sharper (about 0.46-0.64 on undamaged photos and clips, 0.32 on soft
    footage; 0.18-0.27 after a Gaussian blur of sigma 2.8 px, 0.09-0.20 at 4.5 px). Content without any edge
    reads as blurred (0).
    """

    version = "8"

    def measure(self, clip) -> float:
        return pooled_sharpness(edge_blur_sums(clip))


@register_scorer("tile_focus", dimension="focus")
class TileFocus(Scorer):
    """Focus of the main subject: the edge-restricted Crete-Roffet sharpness (see ``crete_roffet_sharpness``;
    Crete et al. 2007) of each native-resolution region (the 64 x 64 tiles, or a 4 x 4 split of small
    frames), and the 80th percentile over the regions that hold edges. A subject in focus keeps some regions
    crisp even in front of a soft background (shallow depth of field is not penalised), while a missed or
    absent focus leaves no crisp region. The percentile pooling is our choice.

    Raw: in [0, 1], higher is better focused. Validated only through global blur (a defocus-like Gaussian
    blur lowers it monotonically); which region is the subject is not known to a weight-free estimator.
    """

    version = "8"

    def measure(self, clip) -> float:
        sums = edge_blur_sums(clip)  # (regions, 2 axes, 2)
        sharp = region_sharpness(sums)
        # regions with too little edge mass carry no evidence about focus
        mass = sums[:, :, 0].sum(axis=1)
        keep = np.isfinite(sharp) & (mass >= 0.05 * max(float(np.median(mass)), 1e-6))
        if not keep.any():
            return 0.0
        return float(np.percentile(sharp[keep], 80))
