"""Each controlled distortion lowers its target dimension's default score monotonically (in rank), on real
sample clips and on generated clips, while the pristine clip keeps a sane level (not poor or bad)."""

from __future__ import annotations

import math
import os

import pytest
from scipy.stats import spearmanr

from distort import FAMILIES, SOURCES, make_variants, prepare_sources
from s2i_hf.scoring import create_scorer, default_scorer_names
from s2i_hf.video import load_clip, sample_video_paths

MIN_RHO = -0.8  # Spearman of (strength rank, score)
MIN_PRISTINE = 0.4  # the pristine clip is not poor or bad
MIN_DROP = 0.15  # the strongest level moves the score this much


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    samples = {os.path.splitext(os.path.basename(p))[0]: p for p in sample_video_paths()}
    root = tmp_path_factory.mktemp("distort")
    sources = prepare_sources(samples, str(root / "sources"))
    return {name: make_variants(path, str(root / name), fps, seed=i) for i, (name, (path, fps)) in enumerate(sources.items())}


@pytest.fixture(scope="module")
def scorers():
    names = default_scorer_names()
    return {dim: create_scorer(names[dim]) for dim in {f.dimension for f in FAMILIES.values()}}


@pytest.mark.parametrize("clip_name", SOURCES)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_distortion_lowers_its_dimension(variants, scorers, clip_name, family):
    dim = FAMILIES[family].dimension
    paths, levels = variants[clip_name][family]
    scores = [scorers[dim](load_clip(p)).score for p in paths]
    rho = spearmanr(range(len(scores)), scores).statistic
    shown = f"{family} {[round(v, 3) for v in levels]} on {clip_name}: {dim} scores {[round(s, 3) for s in scores]}"
    assert not math.isnan(rho), f"{shown}: no change at all"
    assert rho <= MIN_RHO, f"{shown} (Spearman {rho:.2f})"
    assert scores[0] >= MIN_PRISTINE, f"pristine {clip_name} reads {dim} {scores[0]:.3f}, poor or bad"
    assert scores[-1] <= scores[0] - MIN_DROP, f"{shown}: the strongest level barely moves the score"
