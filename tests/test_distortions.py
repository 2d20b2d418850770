"""Each controlled distortion lowers its target dimension's default score monotonically (in rank), on real
sample clips and a generated clip, while the pristine clip keeps a sane level."""

import os

import pytest
from scipy.stats import spearmanr

from distort import FAMILIES, make_variants
from s2i_hf.scoring import create_scorer, default_scorer_names
from s2i_hf.video import SamplingConfig, load_clip

SAMPLING = SamplingConfig(num_frames=32, window=8)
CLIPS = ["bigbuckbunny", "bikes", "carphone_pristine", "generated"]


@pytest.fixture(scope="module")
def variants(tmp_path_factory, sample_clips):
    from conftest import ffmpeg

    root = tmp_path_factory.mktemp("distort")
    sources = {}
    enc = ["-c:v", "libx264", "-crf", "10", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    sources["bigbuckbunny"] = (str(root / "bunny.mp4"), 25)
    ffmpeg("-i", sample_clips["bigbuckbunny"], "-t", "2", "-vf", "scale=480:270", *enc, sources["bigbuckbunny"][0])
    sources["bikes"] = (str(root / "bikes.mp4"), 25)
    ffmpeg("-ss", "3", "-i", sample_clips["bikes"], "-t", "2", *enc, sources["bikes"][0])
    sources["carphone_pristine"] = (str(root / "carphone.mp4"), 29.97)
    ffmpeg("-i", sample_clips["carphone_pristine"], "-t", "2", *enc, sources["carphone_pristine"][0])
    sources["generated"] = (str(root / "generated.mp4"), 25)
    # a generated clip with natural-like detail and motion: a zooming Mandelbrot set
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25", "-t", "2", *enc, sources["generated"][0])
    return {name: make_variants(src, str(root / name), fps, seed=i) for i, (name, (src, fps)) in enumerate(sources.items())}


@pytest.fixture(scope="module")
def scorers():
    names = default_scorer_names()
    return {dim: create_scorer(names[dim]) for dim in {d for d, _, _ in FAMILIES.values()}}


@pytest.mark.parametrize("clip_name", CLIPS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_distortion_lowers_its_dimension(variants, scorers, clip_name, family):
    dim = FAMILIES[family][0]
    paths = variants[clip_name][family]
    scores = [scorers[dim](load_clip(p, SAMPLING)).score for p in paths]
    rho = spearmanr(range(len(scores)), scores).statistic
    assert rho <= -0.8, f"{family} on {clip_name}: {dim} scores {[round(s, 3) for s in scores]} (Spearman {rho:.2f})"
    assert scores[0] >= 0.4, f"pristine {clip_name} reads {dim} {scores[0]:.3f}, below fair"
    assert scores[-1] < scores[0] - 0.1, f"{family} on {clip_name}: the strongest level barely moves {dim}"
