"""Black bars (letterbox, pillarbox) are cut before scoring: a real clip scores the same with and without them, and
dark pictures are never cut. The bar geometry each test expects is the one its ffmpeg ``pad`` filter drew."""

import json

import numpy as np
import pytest
from conftest import ffmpeg

from s2i_hf.cli import main as cli_main
from s2i_hf.frames import FrameSampling
from s2i_hf.scoring import VideoScorer, score_videos
from s2i_hf.scoring.active_area import find_active_area
from s2i_hf.scoring.estimators.compression import clip_rate_qp


SAMPLING = FrameSampling.windows(num_frames=16, window=4)
X264 = ["-t", "2", "-an", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]
# A cut may take a few lines of picture beyond the bar (the encoder's ringing, the 8-pixel grid), never more.
MAX_EXTRA = 12


@pytest.fixture(scope="module")
def clips(tmp_path_factory, sample_clips):
    """name -> (path, bars drawn: top, bottom, left, right) of real clips with and without bars."""
    d = tmp_path_factory.mktemp("bars")
    bikes, bunny = sample_clips["bikes"], sample_clips["bigbuckbunny"]
    made = {}

    def add(name, src, vf, bars, codec=X264):
        path = str(d / f"{name}.mp4")
        ffmpeg("-i", src, "-vf", vf, *codec, path)
        made[name] = (path, bars)

    add("bikes", bikes, "scale=320:136", (0, 0, 0, 0))
    add("bikes_letterbox", bikes, "scale=320:136,pad=320:200:0:32:black", (32, 32, 0, 0))
    add("bunny_4x3", bunny, "crop=ih*4/3:ih,scale=240:180", (0, 0, 0, 0))
    add("bunny_pillarbox", bunny, "crop=ih*4/3:ih,scale=240:180,pad=320:180:40:0:black", (0, 0, 40, 40))
    add("bunny_windowbox", bunny, "crop=ih*4/3:ih,scale=240:180,pad=320:240:40:30:black", (30, 30, 40, 40))
    # a vertical (9:16) video shown in a 16:9 frame keeps a third of the width
    add("bunny_vertical", bunny, "crop=ih*9/16:ih,scale=102:180,pad=320:180:109:0:black", (0, 0, 109, 109))
    # black on one side only, a darkened picture, a black video: nothing is a bar
    add("bikes_one_side", bikes, "scale=320:136,pad=320:168:0:32:black", (0, 0, 0, 0))
    add("bikes_dark", bikes, "scale=320:136,eq=brightness=-0.45", (0, 0, 0, 0))
    ffmpeg("-f", "lavfi", "-i", "color=black:size=160x96:rate=25:duration=1", *X264[2:], str(d / "black.mp4"))
    made["black"] = (str(d / "black.mp4"), (0, 0, 0, 0))
    hevc = [
        "-t",
        "2",
        "-an",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx265",
        "-x265-params",
        "log-level=error",
        "-crf",
        "30",
    ]
    add("bunny_4x3_hevc", bunny, "crop=ih*4/3:ih,scale=240:180", (0, 0, 0, 0), hevc)
    add("bunny_pillarbox_hevc", bunny, "crop=ih*4/3:ih,scale=240:180,pad=320:180:40:0:black", (0, 0, 40, 40), hevc)
    return made


@pytest.fixture(scope="module")
def scorer():
    return VideoScorer(sampling=SAMPLING)


@pytest.mark.parametrize(
    "name",
    ["bikes", "bikes_letterbox", "bunny_pillarbox", "bunny_windowbox", "bunny_vertical", "bikes_one_side", "black"]
    + ["bikes_dark", "bunny_pillarbox_hevc"],
)
def test_the_cut_covers_the_bars_drawn_and_little_more(clips, scorer, name):
    path, bars = clips[name]
    clip = scorer.load(path)
    area = clip.metadata["active_area"]
    cut = (area["top"], area["bottom"], area["left"], area["right"])
    for side, drawn, got in zip(("top", "bottom", "left", "right"), bars, cut):
        if drawn == 0:
            assert got == 0, f"{name}: {side} cut {got} where no bar was drawn"
        else:
            assert drawn <= got <= drawn + MAX_EXTRA, f"{name}: {side} bar of {drawn} px cut as {got}"
    assert clip.frames.shape[1:3] == (area["height"] - cut[0] - cut[1], area["width"] - cut[2] - cut[3])
    assert area["top"] % 8 == 0 and area["left"] % 8 == 0  # the codec's block grid is kept


def test_the_raw_sample_clips_have_no_bars(sample_clips, scorer):
    for name, path in sample_clips.items():
        area = find_active_area(scorer.load(path).frames)
        assert not area.has_bars, f"{name}: {area}"


@pytest.mark.parametrize(
    "plain,barred,whole_moves",
    [
        ("bikes", "bikes_letterbox", True),
        ("bunny_4x3", "bunny_pillarbox", False),
        ("bunny_4x3", "bunny_windowbox", True),
    ],
)
def test_bars_do_not_change_the_scores(clips, scorer, plain, barred, whole_moves):
    a = scorer.score(clips[plain][0])
    b = scorer.score(clips[barred][0])
    diffs = {d: round(b.scores[d] - a.scores[d], 3) for d in a.scores}
    assert max(abs(v) for v in diffs.values()) <= 0.1, diffs
    assert abs(b.overall_score - a.overall_score) <= 0.05
    # scored whole, the letterbox's edge reads as a coding-block step (compression -0.66) and the windowbox's frame as
    # crushed shadows (exposure -0.20); a pillarbox beside a picture whose whites reach the top no longer reads as
    # under-exposure (two_sided_exposure 9), so it moves nothing by more than 0.1 even scored whole
    whole = VideoScorer(sampling=SAMPLING, crop_bars=False).score(clips[barred][0])
    moved = max(abs(whole.scores[d] - a.scores[d]) for d in a.scores)
    assert (moved > 0.1) == whole_moves, (moved, whole.scores)


def test_a_dark_picture_is_not_cut_and_still_reads_underexposed(clips, scorer):
    dark = scorer.score(clips["bikes_dark"][0])
    plain = scorer.score(clips["bikes"][0])
    assert dark.scores["exposure"] <= 0.4 < plain.scores["exposure"]


def test_the_rate_cue_spreads_the_bits_over_the_picture(clips, scorer):
    plain = clip_rate_qp(scorer.load(clips["bunny_4x3_hevc"][0]))
    cut = clip_rate_qp(scorer.load(clips["bunny_pillarbox_hevc"][0]))
    whole = clip_rate_qp(VideoScorer(sampling=SAMPLING, crop_bars=False).load(clips["bunny_pillarbox_hevc"][0]))
    # the bars cost next to no bits: over the whole frame the same picture reads as spending fewer bits per pixel
    assert abs(cut - plain) < abs(whole - plain)
    assert abs(cut - plain) <= 3.0


def test_cli_records_the_cut_and_keep_bars_turns_it_off(clips, tmp_path):
    path = clips["bikes_letterbox"][0]
    out = tmp_path / "cut"
    assert cli_main(["score", path, "--output_dir", str(out), "--frames", "16", "--window", "4", "--quiet"]) == 0
    row = json.loads((out / "scores.jsonl").read_text().splitlines()[0])
    assert row["video"]["active_area"]["top"] >= 32 and row["video"]["active_area"]["share"] < 0.7
    whole = tmp_path / "whole"
    args = ["score", path, "--output_dir", str(whole), "--frames", "16", "--window", "4", "--quiet", "--keep_bars"]
    assert cli_main(args) == 0
    row_whole = json.loads((whole / "scores.jsonl").read_text().splitlines()[0])
    assert row_whole["video"]["active_area"] is None
    # scored whole, the letterbox's edge reads as a coding-block step
    assert row_whole["scores"]["compression"] < row["scores"]["compression"] - 0.3


def test_rows_of_score_videos_say_where_the_picture_is(clips, tmp_path, scorer):
    rows = score_videos([clips["bunny_pillarbox"][0]], str(tmp_path / "s.jsonl"), scorer=scorer, progress=False)
    area = rows[0]["video"]["active_area"]
    assert (
        area["left"] >= 40
        and area["right"] >= 40
        and np.isclose(area["share"], 1 - (area["left"] + area["right"]) / 320)
    )
