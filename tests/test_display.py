"""HDR clips (PQ, HLG) are scored as an SDR display shows them. The fixture makes HDR versions of a real clip by the
standards' formulas (BT.709 inverse OETF, BT.2087 primaries, ST 2084 inverse EOTF or the BT.2100 HLG OETF, reference
white at 203 cd/m2 or 75 % HLG signal as BT.2408 sets it), encoded as 10-bit HEVC with the matching tags."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import ffmpeg

from s2i_hf.display import to_sdr
from s2i_hf.ffmpeg import encode_frames
from s2i_hf.frames import FrameSampling
from s2i_hf.scoring import VideoScorer
from s2i_hf.video import load_clip


SAMPLING = FrameSampling.windows(num_frames=16, window=4)
BT709_TO_BT2020 = np.array([[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]])


def pq_signal(nits: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 inverse EOTF: cd/m2 -> signal in [0, 1]."""
    m1, m2, c1, c2, c3 = 2610 / 16384, 2523 / 4096 * 128, 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    y = np.power(np.clip(nits / 10000.0, 0.0, 1.0), m1)
    return np.power((c1 + c2 * y) / (1.0 + c3 * y), m2)


def hlg_signal(scene: np.ndarray) -> np.ndarray:
    """BT.2100 HLG OETF: scene light in [0, 1] -> signal in [0, 1]."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    return np.where(scene <= 1 / 12, np.sqrt(3 * scene), a * np.log(np.maximum(12 * scene - b, 1e-12)) + c)


def encode_hdr(sdr_path: str, out: str, transfer: str) -> None:
    frames = load_clip(sdr_path, FrameSampling.windows(num_frames=50, window=50)).frames
    v = frames.astype(np.float64) / 255.0
    linear = np.where(v < 0.081, v / 4.5, ((v + 0.099) / 1.099) ** (1 / 0.45)) @ BT709_TO_BT2020.T
    if transfer == "smpte2084":
        signal = pq_signal(linear * 203.0)
    else:  # HLG: reference white (75 % signal) is scene light 0.2647
        signal = hlg_signal(linear * 0.2647)
    rgb = np.round(np.clip(signal, 0, 1) * 65535).astype("<u2")
    tags = f"colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc"
    options = ["-vf", "scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p10le", "-c:v", "libx265"]
    options += ["-x265-params", f"log-level=error:{tags}", "-crf", "18", "-color_primaries", "bt2020"]
    options += ["-color_trc", transfer, "-colorspace", "bt2020nc", "-color_range", "tv"]
    encode_frames(rgb, out, options, pix_fmt="rgb48le")


@pytest.fixture(scope="module")
def clips(tmp_path_factory, sample_clips):
    d = tmp_path_factory.mktemp("hdr")
    sdr = str(d / "bikes.mp4")
    ffmpeg("-i", sample_clips["bikes"], "-t", "2", "-an", "-vf", "scale=320:136", "-c:v", "libx264", "-crf", "16", sdr)
    out = {"sdr": sdr}
    for transfer in ("smpte2084", "arib-std-b67"):
        out[transfer] = str(d / f"bikes_{transfer}.mp4")
        encode_hdr(sdr, out[transfer], transfer)
    return out


@pytest.mark.parametrize("transfer", ["smpte2084", "arib-std-b67"])
def test_an_hdr_clip_scores_as_its_sdr_original(clips, transfer):
    scorer = VideoScorer(sampling=SAMPLING)
    clip = scorer.load(clips[transfer])
    assert clip.metadata["color_transfer"] == transfer and clip.metadata["tone_mapped"] == transfer
    sdr, hdr = scorer.score(clips["sdr"]), scorer.score_clip(clip)
    diffs = {d: round(hdr.scores[d] - sdr.scores[d], 3) for d in sdr.scores}
    assert max(abs(v) for v in diffs.values()) <= 0.1, diffs
    assert abs(hdr.overall_score - sdr.overall_score) <= 0.05


def test_the_pq_signal_shown_as_it_is_reads_dim_and_flat(clips):
    # what the scorers saw before: the PQ signal's code values taken for SDR ones
    scorer = VideoScorer(sampling=SAMPLING)
    raw = load_clip(clips["smpte2084"], SAMPLING)
    raw = dataclasses.replace(raw, metadata={**raw.metadata, "color_transfer": None})
    sdr, untouched = scorer.score(clips["sdr"]), scorer.score_clip(raw)
    assert untouched.overall_score < sdr.overall_score - 0.05
    assert min(untouched.scores[d] - sdr.scores[d] for d in ("color", "lighting", "content")) < -0.2


def test_reference_white_and_black_land_where_sdr_puts_them():
    white_pq = int(round(pq_signal(np.array(203.0)) * 255))  # about 149: HDR reference white in PQ
    white_hlg = int(round(0.75 * 255))
    black = np.zeros((1, 1, 1, 3), dtype=np.uint8)
    for transfer, white in (("smpte2084", white_pq), ("arib-std-b67", white_hlg)):
        frame = np.full((1, 1, 1, 3), white, dtype=np.uint8)
        assert to_sdr(frame, transfer).min() >= 225  # white stays near white (its highlights rolled off above it)
        assert to_sdr(black, transfer).max() == 0
    with pytest.raises(ValueError, match="not an HDR transfer"):
        to_sdr(black, "bt709")


def test_an_sdr_clip_is_left_as_it_is(clips):
    scorer = VideoScorer(sampling=SAMPLING)
    clip = load_clip(clips["sdr"], SAMPLING)
    assert clip.metadata["color_transfer"] in (None, "bt709", "unknown")
    assert np.array_equal(scorer.picture(clip).frames, clip.frames)
    assert "tone_mapped" not in scorer.picture(clip).metadata


def test_a_model_is_shown_the_tone_mapped_frames(clips):
    from s2i_hf.frames import decode_sampled_frames

    sampling = FrameSampling(num_frames=4)
    frames, meta = decode_sampled_frames(clips["smpte2084"], sampling)
    sdr_frames, sdr_meta = decode_sampled_frames(clips["sdr"], sampling)
    assert meta["tone_mapped"] == "smpte2084" and "tone_mapped" not in sdr_meta
    # the same picture: within a few levels on average (two encodes, 8-bit PQ steps), where the raw signal is far off
    assert float((frames.float() - sdr_frames.float()).abs().mean()) < 6.0


def test_primaries_only_change_colours():
    grey = np.full((1, 1, 1, 3), 120, dtype=np.uint8)
    green = np.array([[[[40, 150, 40]]]], dtype=np.uint8)
    for transfer in ("smpte2084", "arib-std-b67"):
        # BT.2087's matrix keeps a grey grey (its rows sum to 1); an unspecified tag is taken for BT.2020
        assert np.array_equal(to_sdr(grey, transfer, "bt2020"), to_sdr(grey, transfer, "bt709"))
        assert np.array_equal(to_sdr(green, transfer, None), to_sdr(green, transfer, "bt2020"))
        # a BT.2020 green is more saturated than the same code values in BT.709
        wide, narrow = (
            to_sdr(green, transfer, "bt2020")[0, 0, 0].astype(int),
            to_sdr(green, transfer, "bt709")[0, 0, 0],
        )
        assert wide[1] - wide[0] > int(narrow[1]) - int(narrow[0])
