"""HDR pictures as an SDR display shows them: PQ (SMPTE ST 2084) and HLG (ARIB STD-B67) frames are tone-mapped to
BT.709 before they are scored (:meth:`s2i_hf.scoring.VideoScorer.picture`) or shown to a model
(:func:`s2i_hf.frames.decode_sampled_frames`), so that the model sees what the labels describe.

The decoder hands over the HDR signal as 8-bit RGB without converting its transfer, so a PQ clip reaches the scorers
dim and flat: a real photograph panned into a clip and encoded in PQ (BT.2020, reference white at 203 cd/m2) read
colour 0.99 -> 0.62, lighting 0.99 -> 0.49 and content 0.91 -> 0.61 against its SDR original. Each pixel is taken to
linear light by the standard EOTF (PQ) or inverse OETF (HLG), scaled so that HDR reference white (BT.2408: 203 cd/m2,
HLG's 75 % signal) is SDR white, brought from BT.2020 to BT.709 primaries (BT.2087), rolled off above SHOULDER so that
highlights keep their gradation, and encoded with the BT.709 OETF.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np


__all__ = ["HDR_TRANSFERS", "to_sdr", "sdr_picture"]

# FFmpeg's names of the HDR transfer characteristics (what torchcodec reports as color_transfer_characteristic)
PQ, HLG = "smpte2084", "arib-std-b67"
HDR_TRANSFERS = (PQ, HLG)
REFERENCE_WHITE_NITS = 203.0  # BT.2408 HDR reference white, shown as SDR white
HLG_REFERENCE_SIGNAL = 0.75  # BT.2408: HLG reference white at 75 % signal
# linear BT.2020 RGB -> linear BT.709 RGB (ITU-R BT.2087)
BT2020_TO_BT709 = np.array(
    [[1.6605, -0.5876, -0.0728], [-0.1246, 1.1329, -0.0083], [-0.0182, -0.1006, 1.1187]], dtype=np.float32
)
# linear SDR values (1 = reference white) above SHOULDER are rolled off smoothly towards 1
SHOULDER = 0.75
_PQ_M1, _PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
_PQ_C1, _PQ_C2, _PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
_HLG_A, _HLG_B, _HLG_C = 0.17883277, 0.28466892, 0.55991073


def _pq_to_linear(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 EOTF: signal in [0, 1] -> cd/m2."""
    p = np.power(signal, 1.0 / _PQ_M2)
    return 10000.0 * np.power(np.maximum(p - _PQ_C1, 0.0) / (_PQ_C2 - _PQ_C3 * p), 1.0 / _PQ_M1)


def _hlg_to_scene(signal: np.ndarray) -> np.ndarray:
    """BT.2100 HLG inverse OETF: signal in [0, 1] -> scene light in [0, 1]."""
    return np.where(signal <= 0.5, signal**2 / 3.0, (np.exp((signal - _HLG_C) / _HLG_A) + _HLG_B) / 12.0)


def _code_to_linear(transfer: str) -> np.ndarray:
    """(256,) float32: each 8-bit code value as linear light, 1 at HDR reference white."""
    signal = np.arange(256, dtype=np.float64) / 255.0
    if transfer == PQ:
        return (_pq_to_linear(signal) / REFERENCE_WHITE_NITS).astype(np.float32)
    return (_hlg_to_scene(signal) / _hlg_to_scene(np.array(HLG_REFERENCE_SIGNAL))).astype(np.float32)


def _sdr_code(linear: np.ndarray) -> np.ndarray:
    """Linear BT.709 light (1 = white) -> 8-bit BT.709 code values, highlights above SHOULDER rolled off."""
    x = np.maximum(np.asarray(linear, dtype=np.float64), 0.0)
    over = x > SHOULDER
    x[over] = SHOULDER + (1.0 - SHOULDER) * (1.0 - np.exp(-(x[over] - SHOULDER) / (1.0 - SHOULDER)))
    v = np.where(x < 0.018, 4.5 * x, 1.099 * np.power(x, 0.45) - 0.099)
    return np.clip(np.round(v * 255.0), 0, 255).astype(np.uint8)


# _sdr_code tabulated on a grid of LUT_STEPS steps per unit of linear light up to LUT_TOP (x 6.5 reference white
# already codes 255; a code step near black is 1 / 1150 of a unit, four grid steps)
LUT_STEPS, LUT_TOP = 4096, 8.0


@functools.lru_cache(maxsize=1)
def _sdr_table() -> np.ndarray:
    return _sdr_code(np.arange(int(LUT_STEPS * LUT_TOP) + 1) / LUT_STEPS)


def to_sdr(frames: np.ndarray, transfer: str, primaries: str | None = "bt2020") -> np.ndarray:
    """(T, H, W, 3) uint8 RGB of an HDR signal (``transfer`` one of HDR_TRANSFERS) -> the same frames as SDR BT.709,
    frame by frame (a 4K clip needs 100 MB of temporaries, not gigabytes)."""
    if transfer not in HDR_TRANSFERS:
        raise ValueError(f"not an HDR transfer: {transfer!r} (known: {', '.join(HDR_TRANSFERS)})")
    lut = _code_to_linear(transfer)
    # HDR is mastered in BT.2020 unless the stream says BT.709 (an unspecified tag is taken for BT.2020)
    matrix = np.eye(3, dtype=np.float32) if primaries == "bt709" else BT2020_TO_BT709
    table, top = _sdr_table(), LUT_STEPS * LUT_TOP
    out = np.empty_like(frames)
    for i, frame in enumerate(frames):
        x = lut[frame] @ matrix.T
        out[i] = table[np.clip(x * LUT_STEPS, 0.0, top).astype(np.int32)]
    return out


def sdr_picture(clip):
    """The clip as an SDR display shows it: HDR frames (``metadata["color_transfer"]`` PQ or HLG) tone-mapped to BT.709
    and ``metadata["tone_mapped"]`` set to the transfer; SDR clips as they are."""
    transfer = clip.metadata.get("color_transfer")
    if transfer not in HDR_TRANSFERS or clip.metadata.get("tone_mapped"):
        return clip
    frames = to_sdr(clip.frames, transfer, clip.metadata.get("color_primaries"))
    return dataclasses.replace(clip, frames=frames, metadata={**clip.metadata, "tone_mapped": transfer})
