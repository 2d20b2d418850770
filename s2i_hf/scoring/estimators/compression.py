"""Compression: the encoder's quantiser or, for codecs that export none, the bits it spent against the content's
complexity; and isolated luma steps on the 8-pixel coding grid (against the 4-pixel offsets in between)."""

from __future__ import annotations

import math

import numpy as np

from ...catalog import load_yaml
from ..base import Scorer
from ..registry import register_scorer
from .common import cached, key_tiles, tile_chunks
from .content import spatial_information, temporal_information


__all__ = [
    "step_counts",
    "step_fractions",
    "grid_step_ratio",
    "GridStepCompression",
    "QuantiserCompression",
    "RateCompression",
    "BitstreamPixelCompression",
    "clip_quantiser",
    "clip_rate",
    "quantiser_qp",
    "rate_model",
    "rate_qp",
]


def step_counts(
    y: np.ndarray, period: int = 8, min_step: float = 1.0, dominance: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """(steps, positions) counted at each offset modulo ``period``, summed over both axes (see
    :func:`step_fractions`)."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y[None]
    counts, totals = np.zeros(period), np.zeros(period)
    for axis in (1, 2):
        n = y.shape[axis]
        if n < period + 3:
            continue
        d = np.moveaxis(np.abs(np.diff(y, axis=axis)), axis, -1)
        mid = d[..., 1:-1]
        step = (mid >= min_step) & (mid > dominance * np.maximum(d[..., :-2], d[..., 2:]))
        pos = np.arange(1, n - 2) % period  # mid[..., j - 1] is the difference between pixels j and j + 1
        counts += np.bincount(
            pos, weights=step.sum(axis=tuple(range(step.ndim - 1)), dtype=np.float64), minlength=period
        )
        totals += np.bincount(pos, minlength=period) * (step.size // step.shape[-1])
    return counts, totals


def step_fractions(y: np.ndarray, period: int = 8, min_step: float = 1.0, dominance: float = 2.0) -> np.ndarray:
    """Share of isolated luma steps at each position modulo ``period``, averaged over both axes.

    A step is a difference between neighbouring pixels of at least ``min_step`` grey levels that is more than
    ``dominance`` times both adjacent differences: a discontinuity inside otherwise smooth (or smoothly
    varying) surroundings, which is what a coding-block boundary looks like, whatever the content's contrast.
    Position ``r`` counts the difference between pixel ``p * period + r`` and the next pixel, so
    ``r = period - 1`` is a block boundary. ``y``: (K, H, W) at native resolution, 0-255, with image origins on
    the grid.
    """
    counts, totals = step_counts(y, period, min_step, dominance)
    return counts / np.maximum(totals, 1)


# A block edge counts from GRID_MIN_STEP grey levels: one- and two-level steps on the grid are the faint banding a
# light encode leaves in a smooth sky or backdrop (VMAF 80-90), which the ratio below would otherwise read as
# heavy blocking because nothing else in such a frame makes steps. Visible blocking (CRF 45+ on the
# label-calibration corpus, or a re-encode of it) is made of larger steps and reads the same at 1 or 3 levels.
GRID_MIN_STEP = 3.0


def grid_step_ratio(
    y: np.ndarray, eps: float = 1e-3, chunks: list[slice] | None = None, min_step: float = GRID_MIN_STEP
) -> float:
    """Steps on 8-pixel block boundaries relative to steps on the 4-pixel offsets between them:
    (f[7] + eps) / (f[3] + eps) of :func:`step_fractions` (counted chunk by chunk of the stack when ``chunks``
    are given, which keeps temporaries small). About 1 without a coding grid (texture, noise and synthetic
    edges fall on every offset alike); rises as quantisation leaves block edges. Steps count from ``min_step``
    grey levels (:data:`GRID_MIN_STEP`)."""
    counts, totals = np.zeros(8), np.zeros(8)
    for sl in chunks or [slice(None)]:
        c, t = step_counts(y[sl], period=8, min_step=min_step)
        counts += c
        totals += t
    f = counts / np.maximum(totals, 1)
    return float((f[7] + eps) / (f[3] + eps))


@register_scorer("grid_step_compression", dimension="compression")
class GridStepCompression(Scorer):
    """Compression artifacts (blocking): isolated luma steps on the 8 x 8 coding-block grid of the key frames at
    native resolution, relative to the same kind of step at the 4-pixel offsets in between.

    Block-based codecs (JPEG, MPEG-2, H.264/AVC with its 8 x 8 transform and 16 x 16 macroblocks, HEVC with
    8-aligned coding units) quantise each block on its own, so coarse quantisation leaves discontinuities on
    block boundaries (Wang, Bovik & Evans 2000, "Blind measurement of blocking artifacts in images", ICIP;
    Wang, Sheikh & Bovik 2002, "No-reference perceptual quality assessment of JPEG compressed images", ICIP).
    H.264's in-loop deblocking filter smooths block edges, which makes the classic boundary/interior
    difference ratio weak on H.264 (FIELD-NOTES). Here an edge counts only as an isolated step (a jump of at
    least GRID_MIN_STEP (3) grey levels and more than twice both neighbouring differences), and steps on the 8-pixel
    boundaries are compared with steps at the offsets halfway between them (which H.264's 4 x 4 transform may
    also mark, but less than its 8 x 8 transform and macroblock edges). The ratio is about 1 on uncoded or
    finely coded content, unaffected by texture, noise or synthetic edges (they fall on every offset alike),
    and grows with the quantiser: it tracked the x264 CRF ladder on every natural and synthetic clip we
    tried, most weakly on smooth upscaled content at mild CRF. Frames must not be resampled before this
    measure (the grid would be lost), so it reads native-resolution tiles aligned to the frame's 8-pixel grid.

    Raw: log2 of the step ratio (0 for no grid; about -0.1-0.5 on lightly compressed footage, 1-4 under strong
    compression). Lower is better. Blur or ringing without blocking, and codecs without a fixed 8-pixel grid,
    are not seen.
    """

    version = "3"

    def measure(self, clip) -> float:
        return cached(
            clip, "grid_step_log2", lambda: float(np.log2(grid_step_ratio(key_tiles(clip), chunks=tile_chunks(clip))))
        )


def clip_quantiser(clip):
    """:func:`s2i_hf.bitstream.read_quantiser` of the clip's file (cached; None when it has none)."""
    from ...bitstream import read_quantiser

    return cached(clip, "quantiser", lambda: read_quantiser(getattr(clip, "origin", None)))


@register_scorer("quantiser_compression", dimension="compression")
class QuantiserCompression(Scorer):
    """Compression read from the bitstream: the encoder's quantiser (per frame the base QP plus the mean block
    delta, averaged over the first frames; H.264's 0-51 scale, VP9's q_index put on it by a map fitted against
    VMAF, :func:`quantiser_qp`), as FFmpeg's decoder exports it (:mod:`s2i_hf.bitstream`).

    The quantiser step doubles every 6 QP, and how much detail survives follows it on any content, which is why
    it is the standard no-reference bitstream cue for H.264 quality (cf. ITU-T P.1204.3's bitstream models, and
    the QP-based H.264 models of Brandao & Queluz 2010). Calibrated against VMAF on the label-calibration corpus
    (``catalog/estimators.yaml``). Raw: QP (lower is better); NaN-free: a clip without a readable quantiser
    raises :class:`~s2i_hf.scoring.ScorerError`, so use it through :class:`BitstreamPixelCompression`.
    """

    version = "3"

    def measure(self, clip) -> float:
        from ..base import ScorerError

        q = clip_quantiser(clip)
        if q is None:
            raise ScorerError(f"{clip.source}: no quantiser in the bitstream (codec {clip.codec!r}, or no file)")
        return quantiser_qp(q)


def quantiser_qp(q) -> float:
    """The H.264-equivalent QP of a :class:`~s2i_hf.bitstream.Quantiser`: its mean through the codec's fitted map
    (``catalog/estimators.yaml``, ``quantiser_maps``: offset + factor x the value :mod:`s2i_hf.bitstream` puts on
    H.264's scale), or the mean itself for a codec without one (H.264)."""
    m = (load_yaml("estimators.yaml").get("quantiser_maps") or {}).get(q.codec)
    return q.mean if m is None else float(m["offset"] + m["factor"] * q.mean)


def clip_rate(clip):
    """:func:`s2i_hf.bitstream.read_rate` of the clip's file (cached; None when it has none)."""
    from ...bitstream import read_rate

    return cached(clip, "rate", lambda: read_rate(getattr(clip, "origin", None)))


def rate_model() -> dict:
    """The fitted rate model of ``catalog/estimators.yaml`` (``rate_model``: coefficients, codec efficiencies)."""
    return load_yaml("estimators.yaml")["rate_model"]


def rate_qp(
    bits_per_pixel: float, pixels: int, si: float, ti: float, codec: str, model: dict | None = None
) -> float | None:
    """The H.264 quantiser that spends ``bits_per_pixel`` on frames of ``pixels`` pixels and content of P.910
    ``si``/``ti``, for a clip of ``codec``: ``intercept + log2_bpp * log2(bpp / efficiency) + log2_si * log2(1 + SI)
    + log2_ti * log2(1 + TI) + log2_pixels * log2(pixels)``, where ``efficiency`` is the share of H.264's bits the
    codec needs for the same quality (larger frames need fewer bits per pixel for the same quality). None for a
    codec the model has no efficiency for, or no bits."""
    model = model or rate_model()
    eff = (model.get("codec_efficiency") or {}).get(codec)
    if eff is None or not bits_per_pixel > 0:
        return None
    c = model["coefficients"]
    return float(
        c["intercept"]
        + c["log2_bpp"] * math.log2(bits_per_pixel / eff)
        + c["log2_si"] * math.log2(1.0 + si)
        + c["log2_ti"] * math.log2(1.0 + ti)
        + c.get("log2_pixels", 0.0) * math.log2(max(pixels, 1))
    )


def clip_rate_qp(clip) -> float | None:
    """:func:`rate_qp` of the clip's file and frames (None without a file, or for a codec the model does not know).
    Black bars cut before scoring (``metadata["active_area"]``) cost the encoder next to nothing: the bits are
    spread over the picture's pixels only."""
    rate = clip_rate(clip)
    if rate is None:
        return None
    share = float(clip.metadata.get("active_area", {}).get("share", 1.0))
    return rate_qp(
        rate.bits_per_pixel / share,
        max(1, int(round(rate.width * rate.height * share))),
        spatial_information(clip),
        temporal_information(clip),
        rate.codec,
    )


@register_scorer("rate_compression", dimension="compression")
class RateCompression(Scorer):
    """Compression read from the bits the encoder spent: bits per pixel per frame (packet sizes, demuxed only),
    against what the content needs (ITU-T P.910 SI and TI of the frames) and the codec's efficiency, as the H.264
    quantiser that would spend the same bits (:func:`rate_qp`). Rate against content complexity is the standard
    no-reference cue where the quantiser cannot be read (cf. the bitrate/resolution/content terms of ITU-T
    P.1203.1 and P.1204.3's mode 0); its coefficients and the codec efficiencies (HEVC, AV1, VP9 against H.264)
    are fitted on the label-calibration corpus (``catalog/estimators.yaml``, ``rate_model``).

    Raw: the equivalent QP on H.264's 0-51 scale, lower is better; the calibration is the quantiser's. A clip
    without a file or of a codec the model does not know raises :class:`~s2i_hf.scoring.ScorerError`: use it
    through :class:`BitstreamPixelCompression`. Weaker than the quantiser: content complexity is read from the
    decoded (already compressed) frames, and the fit saw 240-960 px wide clips at 25 fps only.
    """

    version = "1"

    def measure(self, clip) -> float:
        from ..base import ScorerError

        qp = clip_rate_qp(clip)
        if qp is None:
            rate = clip_rate(clip)
            why = "no file to read its packets from" if rate is None else f"codec {rate.codec!r} is not in the model"
            raise ScorerError(f"{clip.source}: no rate cue ({why})")
        return qp


# Beside a readable quantiser, the pixel cue counts PIXEL_QP_OFFSET QP less: it then binds only on clear blocking
# (a re-encode of heavily compressed content), not on the faint grid steps a smooth gradient or soft footage
# shows, which grain or blur would hide again (a free gain; label-calibration corpus: +0.18 under grain).
PIXEL_QP_OFFSET = 8.0


@register_scorer("bitstream_pixel_compression", dimension="compression")
class BitstreamPixelCompression(Scorer):
    """Compression from two cues, the worse of which counts, on one scale: the *effective quantiser*.

    - the bitstream's quantiser (:class:`QuantiserCompression`), which sees heavy quantisation however well the
      deblocking filter hid it, and does not penalise a simple scene for the low bitrate it needs; for a codec
      whose decoder exports none (HEVC, AV1), the quantiser its bits per pixel stand for on this content
      (:class:`RateCompression`);
    - blocking in the pixels (:class:`GridStepCompression`), which sees damage from an earlier, coarser encode
      that a high-bitrate re-encode carries along (the quantiser of the last encode cannot). Its calibrated
      score is put on the QP scale through the inverse of this scorer's own logistic, so the pixel cue keeps the
      meaning its calibration gives it.

    Raw: max(bitstream QP, QP-equivalent of the pixel cue - ``PIXEL_QP_OFFSET``), on H.264's 0-51 scale; without
    a bitstream cue (frames in memory, a decoder object, a codec neither exports a quantiser nor is in the rate
    model) the pixel cue alone. The score is then at most the bitstream cue's score. Lower is better.
    """

    version = "4"

    def __init__(self, calibration=None):
        super().__init__(calibration)
        from ..registry import create_scorer

        if self.calibration.kind != "logistic" or self.calibration.higher_is_better:
            raise ValueError("bitstream_pixel_compression needs a decreasing logistic calibration (QP units)")
        self.pixels = create_scorer("grid_step_compression")

    def pixel_qp(self, score: float) -> float:
        """The quantiser this scorer's calibration maps to ``score`` (the inverse of the decreasing logistic)."""
        s = min(max(score, 1e-6), 1 - 1e-6)
        return self.calibration.center + self.calibration.width * float(np.log((1 - s) / s))

    def measure(self, clip) -> float:
        qp_pixels = self.pixel_qp(self.pixels(clip).score)
        q = clip_quantiser(clip)
        bitstream = quantiser_qp(q) if q is not None else clip_rate_qp(clip)
        return qp_pixels if bitstream is None else max(bitstream, qp_pixels - PIXEL_QP_OFFSET)
