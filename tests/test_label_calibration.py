"""Labels mean what they say, on real content held out of the calibration fit (catalog/real_content.yaml `heldout`).

Each held-out source (a photograph set before a black studio backdrop, a photograph with a shallow depth of field
under a bright sky, a segment of a real clip) gets six calibration families and a luma gain (a camera's
over-exposure) at pristine + four strengths, the last one severe:
- the family's target dimension reads >= 0.6 ("good") on the pristine clip and <= 0.4 at the severe step, and falls
  with the strength (SRCC <= -0.8);
- no other distortion-group dimension rises by more than 0.10 over its pristine value along the ladder;
- the overall score falls by >= 0.15 from pristine to severe;
- exposure reads "good" or better on every pristine clip, whatever the share of dark or bright background;
- a high-bitrate re-encode of the severe compression step still reads poor compression;
- a vivid photo desaturated to a tenth reads poor colour or worse, and its overall score falls by >= 0.15.
The full matrix (ten families, every source, VMAF figures) is benchmarks/label_calibration.py.
"""

from __future__ import annotations

import pytest

from s2i_hf.dimensions import DIMENSIONS
from s2i_hf.distortions import CALIBRATION_LADDERS, FAMILIES, make_variants
from s2i_hf.real_content import ROLES, make_source_clip
from s2i_hf.scoring import VideoScorer


pytest.importorskip("sklearn")

SOURCES = ["flower_backdrop", "quokka_sky", "bunny_b"]
LADDER_FAMILIES = ["blur", "noise", "noise_fixed", "crf", "brighten", "darken", "gain_up"]
DISTORTION = [d.id for d in DIMENSIONS if d.group == "distortion"]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    assert set(SOURCES) <= set(ROLES["heldout"])  # never the sources the calibrations were fitted on
    work = tmp_path_factory.mktemp("label_calibration")
    scorer = VideoScorer()
    out = {}
    for seed, name in enumerate(SOURCES):
        src = make_source_clip(name, str(work / f"{name}.mp4"), seconds=2.0)
        variants = make_variants(
            src, str(work / name), source=name, families=LADDER_FAMILIES, seed=seed, ladders=CALIBRATION_LADDERS
        )
        out[name] = [(v.family, v.step, scorer.score(v.path), v.path) for v in variants]
    return out


def _ladder(rows, family):
    pristine = rows[0][2]
    steps = sorted((r for r in rows if r[0] == family), key=lambda r: r[1])
    return pristine, [r[2] for r in steps]


@pytest.mark.parametrize("family", LADDER_FAMILIES)
def test_target_is_good_pristine_and_poor_when_severe(scored, family):
    target = FAMILIES[family].dimension
    for name, rows in scored.items():
        pristine, steps = _ladder(rows, family)
        assert pristine.scores[target] >= 0.6, (name, family, pristine.scores[target])
        assert steps[-1].scores[target] <= 0.4, (name, family, [s.scores[target] for s in steps])


@pytest.mark.parametrize("family", LADDER_FAMILIES)
def test_target_follows_the_strength(scored, family):
    # the level words grade the damage step by step, not only at the ends: a luma gain of 1.4 and 1.9 on the flower
    # before its black backdrop read exposure 0.96 ("excellent", as pristine) until clipped channels counted
    from scipy.stats import spearmanr

    target = FAMILIES[family].dimension
    for name, rows in scored.items():
        pristine, steps = _ladder(rows, family)
        values = [pristine.scores[target]] + [s.scores[target] for s in steps]
        assert spearmanr(range(len(values)), values)[0] <= -0.8, (name, family, [round(v, 3) for v in values])


@pytest.mark.parametrize("family", LADDER_FAMILIES)
def test_no_free_gains_and_overall_falls(scored, family):
    target = FAMILIES[family].dimension
    for name, rows in scored.items():
        pristine, steps = _ladder(rows, family)
        for dim in DISTORTION:
            if dim == target:
                continue
            gain = max(s.scores[dim] for s in steps) - pristine.scores[dim]
            assert gain <= 0.10, (name, family, dim, pristine.scores[dim], [round(s.scores[dim], 3) for s in steps])
        drop = pristine.overall_score - steps[-1].overall_score
        assert drop >= 0.15, (name, family, pristine.overall_score, [s.overall_score for s in steps])


def test_exposure_judges_exposure_not_background(scored):
    for name, rows in scored.items():
        assert rows[0][2].scores["exposure"] >= 0.6, (name, rows[0][2].scores["exposure"])


def test_a_high_bitrate_re_encode_of_heavy_compression_still_reads_poor(scored, tmp_path):
    """The severe CRF step (x264 CRF 51) re-encoded at CRF 16: the last encode's quantiser is low and reads
    "excellent" alone, but the damage it carries is still there, so the compression label stays poor or bad."""
    from conftest import ffmpeg

    from s2i_hf.scoring import create_scorer
    from s2i_hf.video import load_clip

    scorer, quantiser = VideoScorer(), create_scorer("quantiser_compression")
    for name, rows in scored.items():
        severe = max((r for r in rows if r[0] == "crf"), key=lambda r: r[1])
        again = str(tmp_path / f"{name}_reencoded.mp4")
        ffmpeg("-i", severe[3], "-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p", again)
        assert quantiser(load_clip(again)).score >= 0.8, name  # the last encode alone looks pristine
        assert scorer.score(again).scores["compression"] <= 0.4, (name, severe[2].scores["compression"])


def test_a_vivid_photo_desaturated_to_a_tenth_reads_poor_colour_and_a_lower_overall(tmp_path):
    """The held-out flower (vivid pink, otherwise flawless) at saturation 0.7 .. 0.1: colour falls from "excellent"
    to the bottom of "poor" or lower and the overall score by >= 0.15. At a tenth of its chroma the flower keeps about
    as much colour as muted footage (raw 2.96-3.04 against the real bikes clip's 3.46), so the colour map must be
    steep between them: (3.25, 0.3) read 0.28 here (0.33 on the label-calibration corpus' encode, where the overall
    fell by 0.147)."""
    from scipy.stats import spearmanr

    assert "flower" in ROLES["heldout"]
    src = make_source_clip("flower", str(tmp_path / "flower.mp4"), seconds=3.0)
    variants = make_variants(
        src, str(tmp_path / "flower"), source="flower", families=["desaturate"], seed=7, ladders=CALIBRATION_LADDERS
    )
    scorer = VideoScorer()
    results = [scorer.score(v.path) for v in sorted(variants, key=lambda v: v.step)]  # pristine first (step -1)
    colour = [r.scores["color"] for r in results]
    overall = [r.overall_score for r in results]
    assert colour[0] >= 0.8 and colour[-1] <= 0.25, colour
    assert spearmanr(range(len(colour)), colour)[0] <= -0.8, colour
    assert overall[0] - overall[-1] >= 0.15, overall
