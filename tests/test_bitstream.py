"""What the bitstream says about compression: the bits an encoder spent per pixel (``s2i_hf.bitstream.read_rate``)
against packet sizes counted by ffprobe, and the compression estimator's use of them for a codec whose decoder
exports no quantiser (HEVC): the rate cue, and the pixel cue beside it on a re-encode of damaged content."""

from __future__ import annotations

import subprocess

import pytest
from conftest import ffmpeg

from s2i_hf.bitstream import read_quantiser, read_rate
from s2i_hf.scoring import ScorerError, VideoScorer, create_scorer
from s2i_hf.video import load_clip


def _ffprobe_bits_per_pixel(path: str) -> tuple[str, float, int]:
    """(codec name, 8 x mean packet size / (w x h), packets) of the first video stream, from ffprobe."""

    def probe(*entries: str) -> list[str]:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", *entries, "-of", "csv=p=0", path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line.strip().rstrip(",") for line in out.splitlines() if line.strip()]

    codec, w, h = probe("-show_entries", "stream=codec_name,width,height")[0].split(",")
    sizes = [int(s) for s in probe("-show_entries", "packet=size")]
    return codec, 8.0 * sum(sizes) / len(sizes) / (int(w) * int(h)), len(sizes)


@pytest.fixture(scope="module")
def hevc_clips(tmp_path_factory, sample_clips) -> dict[str, str]:
    """The bikes sample clip's first 2 s at 320 px, HEVC at CRF 24 and 50."""
    d = tmp_path_factory.mktemp("hevc")
    out = {}
    for crf in (24, 50):
        out[crf] = str(d / f"bikes_hevc_{crf}.mp4")
        ffmpeg(
            "-i", sample_clips["bikes"], "-t", "2", "-vf", "scale=320:-2", "-c:v", "libx265", "-crf", str(crf),
            "-preset", "veryfast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", out[crf],
        )  # fmt: skip
    return out


def test_bits_per_pixel_match_ffprobe_packet_sizes(hevc_clips, sample_clips):
    for path in [*hevc_clips.values(), sample_clips["carphone_pristine"]]:
        codec, expected, packets = _ffprobe_bits_per_pixel(path)
        rate = read_rate(path, seconds=1000.0)  # every packet
        assert rate is not None and rate.codec == codec, (path, rate, codec)
        assert rate.frames == packets and rate.bits_per_pixel == pytest.approx(expected, rel=1e-9), (path, rate)
        with open(path, "rb") as fh:
            assert read_rate(fh.read(), seconds=1000.0) == rate  # the file's bytes read the same
    assert read_rate(hevc_clips[50]).bits_per_pixel < read_rate(hevc_clips[24]).bits_per_pixel / 4
    assert read_rate(sample_clips["bikes"], seconds=1.0).frames == 25  # the window: 1 s of a 25 fps clip


def test_no_rate_without_a_readable_video(tmp_path, bad_videos):
    for kind in ("zero_bytes", "truncated", "random_bytes", "text", "audio_only"):
        assert read_rate(bad_videos[kind]) is None, kind
    assert read_rate(str(tmp_path / "missing.mp4")) is None
    assert read_rate(None) is None


def test_hevc_exports_no_quantiser_so_the_rate_cue_reads_it(hevc_clips):
    """The HEVC decoder exports no quantiser; the rate cue tells CRF 24 (VMAF ~95) from CRF 50 (VMAF ~15) on the
    same content, and the default compression scorer follows it. Before the rate cue, the pixel cue alone read
    x265 CRF 51 as "excellent" on most sources. How far the level words match VMAF is measured on the corpus
    (benchmarks/label_calibration.py: severe HEVC, VMAF 31-40, reads 0.37-0.49 on average there, not yet <= 0.4 on
    every source)."""
    rate_scorer, default = create_scorer("rate_compression"), VideoScorer()
    light, heavy = (load_clip(hevc_clips[c]) for c in (24, 50))
    assert read_quantiser(hevc_clips[24]) is None
    assert rate_scorer(light).raw < rate_scorer(heavy).raw - 10  # equivalent H.264 QP: lower is better
    good, damaged = (default.score(hevc_clips[c]).scores["compression"] for c in (24, 50))
    assert good >= 0.8 and damaged <= good - 0.25, (good, damaged)


def test_the_rate_cue_needs_a_file_and_a_known_codec(tmp_path, sample_clips):
    """Frames in memory have no packets to count; a codec the rate model has no efficiency for (MPEG-4 part 2)
    gets no rate cue either: the scorer says why, and the default falls back to the pixel cue alone."""
    scorer = create_scorer("rate_compression")
    mpeg4 = str(tmp_path / "mpeg4.avi")
    ffmpeg("-i", sample_clips["bikes"], "-t", "1", "-vf", "scale=320:-2", "-c:v", "mpeg4", "-q:v", "5", mpeg4)
    assert read_rate(mpeg4).codec == "mpeg4"
    with pytest.raises(ScorerError, match="mpeg4"):
        scorer(load_clip(mpeg4))
    # no bitstream cue: the default reads the pixel cue alone, the grid-step scorer's own score
    pixels = create_scorer("grid_step_compression")(load_clip(mpeg4)).score
    assert VideoScorer().score(mpeg4).scores["compression"] == pytest.approx(pixels, abs=1e-6)


@pytest.mark.parametrize("crf", [22, 40])
def test_h264_quantiser_reads_the_same_at_8_and_10_bits(tmp_path, sample_clips, crf):
    # x264's CRF targets the same quality at every bit depth; above 8 bits H.264 codes its QP with an offset of 6 per
    # bit, which the reading takes off (10-bit CRF 20 read 31.6 before, where 8 bits read 19.2)
    qps = {}
    for pix_fmt in ("yuv420p", "yuv420p10le"):
        path = str(tmp_path / f"bikes_{pix_fmt}.mp4")
        enc = ["-pix_fmt", pix_fmt, "-c:v", "libx264", "-crf", str(crf)]
        ffmpeg("-i", sample_clips["bikes"], "-t", "1", "-an", "-vf", "scale=320:136", *enc, path)
        qps[pix_fmt] = read_quantiser(path).inter_mean
    assert abs(qps["yuv420p10le"] - qps["yuv420p"]) <= 2.0, qps
