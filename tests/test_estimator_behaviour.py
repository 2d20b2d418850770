"""Behaviour of five default estimators on constructed ground truth (issue #15): focus (``tile_focus``), motion
blur (``moving_region_motion_blur``), content (``siti_content``), composition (``thirds_composition``) and
lighting (``contrast_lighting``).

Every clip is synthetic, and its right answer follows from how it was built, not from running the estimator:
a subject in or out of focus, an object smeared along its path or not, an empty or a busy scene, a subject on a
thirds point or in a corner, a contrasted, fogged or murky frame. The assertions are orders, margins and the
score bands of the catalogue (bad < 0.2 <= poor < 0.4 <= fair < 0.6 <= good). Cases that an estimator gets wrong
stay in as strict xfails whose reason names the weakness.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from test_estimators import scene as _scene

from s2i_hf.scoring import create_scorer
from s2i_hf.video import Clip


H, W, T = 192, 256, 8  # small frames, one window of 8 frames
YY, XX = np.mgrid[0:H, 0:W]
GOOD, POOR = 0.6, 0.4  # score bands: "good" from 0.6, "poor" (or bad) under 0.4


def scene(h=H, w=W, seed=0, shapes=40):
    """The synthetic natural-like frame of ``tests/test_estimators.py`` (shapes with sharp edges, faint texture)."""
    return _scene(h=h, w=w, seed=seed, shapes=shapes)


def grey_clip(frames: np.ndarray) -> Clip:
    """A clip from (T, H, W) grey float frames (rounded and clipped to uint8, as a decoder would deliver)."""
    f = np.clip(np.round(frames), 0, 255).astype(np.uint8)
    return Clip.from_frames(np.repeat(f[..., None], 3, axis=3), fps=25.0)


def still(frame: np.ndarray) -> np.ndarray:
    """T copies of one frame: a static shot."""
    return np.stack([frame] * T)


def run(name: str, frames: np.ndarray):
    return create_scorer(name)(grey_clip(frames))


def ellipse(cy=0.5, cx=0.5, ry=0.32, rx=0.32) -> np.ndarray:
    """Boolean mask of an ellipse centred at (cy, cx) with semi-axes (ry, rx), all in frame-size units."""
    return ((YY - cy * H) / (ry * H)) ** 2 + ((XX - cx * W) / (rx * W)) ** 2 < 1


# --- focus: tile_focus ----------------------------------------------------------------------------------------
# A subject (its own detailed content inside a central ellipse, 32 % of the frame) in front of a detailed
# background. Defocus is a Gaussian blur of sigma 4 px (3 px for the whole frame): well beyond the sigma >= 2.8 px
# that the catalogue's sharpness calibration already calls poor.

SUBJECT = ellipse()
BACKGROUND, SUBJECT_TEX = scene(seed=1), scene(seed=2, shapes=60)


def _blur(img, sigma):
    return ndimage.gaussian_filter(img, sigma)


def test_focus_sharp_frame_reads_in_focus_and_fully_defocused_frame_reads_out_of_focus():
    sharp = run("tile_focus", still(np.where(SUBJECT, SUBJECT_TEX, BACKGROUND)))
    defocused = run("tile_focus", still(_blur(np.where(SUBJECT, SUBJECT_TEX, BACKGROUND), 3.0)))
    assert sharp.score >= GOOD, sharp
    assert defocused.score < POOR, defocused
    assert defocused.raw < sharp.raw - 0.3, (sharp, defocused)


def test_focus_sharp_subject_on_defocused_background_bokeh_reads_in_focus():
    # shallow depth of field: the subject sharp (hard silhouette), everything behind it blurred
    sharp = run("tile_focus", still(np.where(SUBJECT, SUBJECT_TEX, BACKGROUND)))
    bokeh = run("tile_focus", still(np.where(SUBJECT, SUBJECT_TEX, _blur(BACKGROUND, 4.0))))
    assert bokeh.score >= GOOD, bokeh
    assert bokeh.score >= sharp.score - 0.15, (sharp, bokeh)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "tile_focus takes the 80th percentile of per-region sharpness with no notion of which region is the "
        "subject: a back-focused shot (subject defocused, sharp background on 68 % of the frame) is carried by the "
        "background regions and reads as well focused as a sharp one (score ~1.0, raw ~0.83 vs 0.87); only when "
        "the defocused subject covers about half the frame does the score drop"
    ),
)
def test_focus_defocused_subject_on_sharp_background_reads_out_of_focus():
    # missed focus: the subject blurred, silhouette included (it bleeds over the background), background sharp
    alpha = _blur(SUBJECT.astype(float), 4.0)
    missed = run("tile_focus", still(alpha * _blur(SUBJECT_TEX, 4.0) + (1 - alpha) * BACKGROUND))
    bokeh = run("tile_focus", still(np.where(SUBJECT, SUBJECT_TEX, _blur(BACKGROUND, 4.0))))
    assert missed.score < POOR, missed
    assert missed.score < bokeh.score - 0.3, (bokeh, missed)


# --- motion blur: moving_region_motion_blur -----------------------------------------------------------------
# A detailed object (96 x 112 px) crosses a static detailed background at 12 px per frame. Sharp: the object is
# pasted at its position. Smeared: each frame is the average of the composite at the 12 one-pixel steps of that
# frame interval (a shutter open the whole interval), so the object is box-blurred over 12 px along its path
# (sigma 3.5 px along the motion) and the background it does not cross is identical in both clips.

MB_BG, MB_OBJ = scene(seed=3), scene(h=96, w=112, seed=4, shapes=25)
MB_SPEED, MB_Y = 12, (H - 96) // 2


def _object_frame(x: int) -> np.ndarray:
    f = MB_BG.copy()
    f[MB_Y : MB_Y + MB_OBJ.shape[0], x : x + MB_OBJ.shape[1]] = MB_OBJ
    return f


def _moving_object(smear: bool) -> np.ndarray:
    frames = []
    for t in range(T):
        x0 = 8 + MB_SPEED * t
        if smear:
            frames.append(np.mean([_object_frame(x0 + s) for s in range(MB_SPEED)], axis=0))
        else:
            frames.append(_object_frame(x0))
    return np.stack(frames)


def test_motion_blur_smeared_moving_object_reads_blurrier_than_the_same_object_moving_sharp():
    sharp_frames, smeared_frames = _moving_object(False), _moving_object(True)
    # by construction the static background is the same in both clips (left of the path, above and below it)
    np.testing.assert_allclose(smeared_frames[:, :, :8], sharp_frames[:, :, :8])
    np.testing.assert_allclose(smeared_frames[:, :MB_Y], sharp_frames[:, :MB_Y])
    sharp, smeared = run("moving_region_motion_blur", sharp_frames), run("moving_region_motion_blur", smeared_frames)
    assert sharp.score >= GOOD, sharp
    assert smeared.raw < sharp.raw - 0.15, (sharp, smeared)


def test_motion_blur_smeared_moving_object_reads_poor():
    smeared = run("moving_region_motion_blur", _moving_object(True))
    assert smeared.score < POOR, smeared


def test_motion_blur_smeared_pan_reads_poor_and_a_still_shot_has_no_motion_blur():
    big = scene(h=H, w=W + 8 * MB_SPEED + MB_SPEED, seed=5, shapes=80)
    crop = [big[:, MB_SPEED * t + s : MB_SPEED * t + s + W] for t in range(T) for s in range(MB_SPEED)]
    sharp = run("moving_region_motion_blur", np.stack(crop[::MB_SPEED]))
    smeared = run(
        "moving_region_motion_blur",
        np.stack([np.mean(crop[t * MB_SPEED : (t + 1) * MB_SPEED], axis=0) for t in range(T)]),
    )
    static = run("moving_region_motion_blur", still(big[:, :W]))
    assert sharp.score >= GOOD, sharp
    assert smeared.score < POOR, smeared
    assert static.raw == 1.0 and static.score >= GOOD, static  # nothing moves: nothing is motion blurred


# --- content: siti_content ------------------------------------------------------------------------------------
# ITU-T P.910: SI is the spread of the Sobel magnitude, TI the spread of the frame difference. A constant frame
# has SI = TI = 0 exactly; a detailed scene panning at 12 px per frame has both large; the same scene held still
# has the same SI and TI = 0.


def test_content_empty_frames_read_poor_and_a_detailed_moving_scene_reads_rich():
    rng = np.random.default_rng(20)
    big = scene(h=H, w=W + 8 * 12, seed=6, shapes=80)
    pan = np.stack([big[:, 12 * t : 12 * t + W] for t in range(T)])
    flat = run("siti_content", still(np.full((H, W), 128.0)))
    near_empty = run("siti_content", still(118 + 20 * XX / W) + rng.normal(0, 2, (T, H, W)))  # faint gradient + grain
    detailed_still = run("siti_content", still(pan[(T - 1) // 2]))  # the pan's middle frame held: same SI, TI = 0
    detailed_moving = run("siti_content", pan)
    assert flat.raw == pytest.approx(0.0, abs=1e-6)  # ln(1 + 0) + 0.5 ln(1 + 0)
    assert flat.score < 0.2 and near_empty.score < 0.2, (flat, near_empty)
    assert detailed_moving.score >= GOOD, detailed_moving
    assert flat.raw <= near_empty.raw < detailed_still.raw < detailed_moving.raw, (
        flat,
        near_empty,
        detailed_still,
        detailed_moving,
    )
    assert detailed_moving.score > near_empty.score + 0.5


# --- composition: thirds_composition --------------------------------------------------------------------------
# One salient subject (a detailed disc, 6 % of the frame) on an empty backdrop, centred on a rule-of-thirds power
# point or pushed into a corner. Textbook composition: the power point is good, the corner is not.

COMP_TEX = scene(seed=7, shapes=60)
THIRDS_POINTS = [(1 / 3, 1 / 3), (2 / 3, 2 / 3)]
CORNERS = [(0.15, 0.12), (0.85, 0.88)]


def _subject_at(cy: float, cx: float, backdrop: np.ndarray) -> np.ndarray:
    return still(np.where(ellipse(cy, cx, ry=0.13, rx=0.13 * H / W), COMP_TEX, backdrop))


PLAIN = np.full((H, W), 120.0)
SKY = 170 - 80 * YY / H  # a smooth sky-like gradient, bright at the top


def test_composition_subject_on_a_thirds_point_beats_subject_in_a_corner():
    for (ty, tx), (cy, cx) in zip(THIRDS_POINTS, CORNERS):
        thirds = run("thirds_composition", _subject_at(ty, tx, PLAIN))
        corner = run("thirds_composition", _subject_at(cy, cx, PLAIN))
        assert corner.score < POOR, corner
        assert thirds.raw < corner.raw - 0.1, (thirds, corner)


def test_composition_subject_on_a_thirds_point_reads_good():
    for ty, tx in THIRDS_POINTS:
        thirds = run("thirds_composition", _subject_at(ty, tx, PLAIN))
        assert thirds.score >= GOOD, thirds


def test_composition_on_a_sky_gradient_subject_on_a_thirds_point_beats_subject_in_a_corner():
    for (ty, tx), (cy, cx) in zip(THIRDS_POINTS, CORNERS):
        thirds = run("thirds_composition", _subject_at(ty, tx, SKY))
        corner = run("thirds_composition", _subject_at(cy, cx, SKY))
        assert thirds.raw < corner.raw, (thirds, corner)


# --- lighting: contrast_lighting ------------------------------------------------------------------------------
# A well-lit frame with levels spread over 8..245 (RMS contrast ~0.23); fog keeps 30 % of its contrast under a
# bright veil (0.3 x + 0.7 x 190, RMS ~0.07); murky is the same scene at 15 % of its light (levels 1..37).
# A lit subject (the full range, 28 % of the frame) in front of a pure-black or a mid-grey backdrop.

LIT = scene(seed=11)
STAGE = ellipse(ry=0.3, rx=0.3)
STAGE_SUBJECT = scene(seed=12, shapes=60)


def test_lighting_well_lit_frame_beats_fogged_and_murky_versions():
    good = run("contrast_lighting", still(LIT))
    fog = run("contrast_lighting", still(0.3 * LIT + 0.7 * 190))
    murky = run("contrast_lighting", still(0.15 * LIT))
    assert good.score >= GOOD, good
    assert fog.score < POOR and murky.score < POOR, (fog, murky)
    assert good.score > max(fog.score, murky.score) + 0.4, (good, fog, murky)


def test_lighting_lit_subject_on_black_backdrop_is_not_worse_than_on_grey_backdrop():
    black = run("contrast_lighting", still(np.where(STAGE, STAGE_SUBJECT, 0.0)))
    grey = run("contrast_lighting", still(np.where(STAGE, STAGE_SUBJECT, 128.0)))
    assert black.score >= GOOD, black
    assert black.score >= grey.score - 0.1, (black, grey)


@pytest.mark.parametrize("sigma", [4.0, 10.0])
def test_lighting_grain_on_black_backdrop_does_not_raise_the_score(sigma):
    rng = np.random.default_rng(21)
    frame = np.where(STAGE, STAGE_SUBJECT, 0.0)
    clean = run("contrast_lighting", still(frame))
    grainy = run("contrast_lighting", still(frame) + rng.normal(0, sigma, (T, H, W)))  # clipped at 0 in grey_clip
    assert grainy.score <= clean.score + 0.10, (clean, grainy)


def test_composition_of_a_blank_frame_is_not_excellent():
    """Nothing in the frame: nothing is composed (a blank frame must not read as a perfectly placed subject)."""
    blank = run("thirds_composition", still(np.full((H, W), 128.0)))
    assert blank.score < POOR, blank
