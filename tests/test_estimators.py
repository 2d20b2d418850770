"""The default estimators: one registered for every dimension, sane on the real sample clips, and golden
values on synthetic inputs whose answer is known."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import ffmpeg
from scipy import ndimage

from s2i_hf import DIMENSION_IDS
from s2i_hf.frames import FrameSampling
from s2i_hf.scoring import create_scorer, default_scorer_names, list_scorers
from s2i_hf.scoring.estimators.color import colourfulness
from s2i_hf.scoring.estimators.common import global_motion, key_highlights, key_shadows, motion_stack
from s2i_hf.scoring.estimators.compression import grid_step_ratio
from s2i_hf.scoring.estimators.noise import immerkaer_sigma
from s2i_hf.scoring.estimators.spatial import crete_roffet_blur
from s2i_hf.video import Clip, load_clip, sample_video_paths


def _score_raw(scorer, clip):
    out = scorer(clip)
    return out.score, out.raw


@pytest.fixture(scope="module")
def sample_scores():
    """name -> dimension -> (score, raw) of every default scorer on each real sample clip."""
    names = default_scorer_names()
    scorers = {d: create_scorer(n) for d, n in names.items()}
    out = {}
    for path in sample_video_paths():
        clip = load_clip(path)
        out[os.path.splitext(os.path.basename(path))[0]] = {d: _score_raw(s, clip) for d, s in scorers.items()}
    return out


def texture(h=192, w=256, seed=0, sigma=1.5):
    """A smooth random texture in [25, 225] (float64, grey)."""
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.uniform(0, 255, (h, w)), sigma)
    return (base - base.min()) / np.ptp(base) * 200 + 25


def scene(h=192, w=256, seed=0, shapes=40):
    """A synthetic natural-like frame: a shaded background and random rectangles and discs with sharp edges,
    grey levels spread over 8..245, plus faint texture (float64)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = 60 + 80 * (xx / w) + 40 * (yy / h)
    for _ in range(shapes):
        level = rng.uniform(8, 245)
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(6, h / 4), rng.uniform(6, w / 4)
        if rng.random() < 0.5:
            img[(np.abs(yy - cy) < ry) & (np.abs(xx - cx) < rx)] = level
        else:
            img[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = level
    return img + ndimage.gaussian_filter(rng.normal(0, 6, (h, w)), 1.0)


def grey_clip(frames: np.ndarray, window: int | None = None, fps: float = 25.0) -> Clip:
    """A clip from (T, H, W) grey float frames."""
    f = np.clip(np.round(frames), 0, 255).astype(np.uint8)
    return Clip.from_frames(np.repeat(f[..., None], 3, axis=3), fps=fps, window=window)


# --- registry and real clips ----------------------------------------------------------------------------


def test_every_dimension_has_a_registered_default():
    names = default_scorer_names()
    assert set(names) == set(DIMENSION_IDS)
    registered = list_scorers()
    for dim, name in names.items():
        assert name in registered and name in list_scorers(dimension=dim), (dim, name)
        scorer = create_scorer(name)
        assert scorer.dimension == dim
        assert scorer.calibration.kind != "identity", f"{name} has no calibration in estimators.yaml"
        assert scorer.__doc__ and len(scorer.__doc__) > 200, f"{name} needs a docstring with its reference"


def test_scores_on_the_sample_clips_are_finite_and_in_range(sample_scores):
    assert set(sample_scores) >= {"bigbuckbunny", "bikes", "carphone_pristine", "carphone_distorted"}
    for clip, dims in sample_scores.items():
        assert set(dims) == set(DIMENSION_IDS)
        for dim, (score, raw) in dims.items():
            assert np.isfinite(raw), (clip, dim, raw)
            assert 0.0 <= score <= 1.0, (clip, dim, score)


DISTORTION_DIMS = [
    "sharpness",
    "focus",
    "noise",
    "motion_blur",
    "stability",
    "exposure",
    "compression",
    "fluency",
    "flicker",
]


@pytest.mark.parametrize("clip", ["bigbuckbunny", "bikes", "carphone_pristine"])
def test_pristine_sample_clips_read_fair_or_better_on_distortions(sample_scores, clip):
    low = {d: round(sample_scores[clip][d][0], 3) for d in DISTORTION_DIMS if sample_scores[clip][d][0] < 0.45}
    assert not low, f"{clip}: {low}"


def test_compressed_carphone_reads_worse_than_pristine(sample_scores):
    pristine, distorted = sample_scores["carphone_pristine"], sample_scores["carphone_distorted"]
    assert distorted["compression"][0] < pristine["compression"][0] - 0.2, (
        distorted["compression"],
        pristine["compression"],
    )
    assert distorted["sharpness"][1] < pristine["sharpness"][1] - 0.03, (distorted["sharpness"], pristine["sharpness"])
    assert distorted["sharpness"][0] < pristine["sharpness"][0]


# --- golden values on known inputs -----------------------------------------------------------------------


def test_colourfulness_golden_values():
    assert colourfulness(np.full((32, 32, 3), 128.0)) == pytest.approx(0.0)
    # half pure red, half pure green: rg = +-255 (sd 255, mean 0), yb = 127.5 everywhere (sd 0, mean 127.5)
    img = np.zeros((32, 32, 3))
    img[:, :16, 0] = 255
    img[:, 16:, 1] = 255
    assert colourfulness(img) == pytest.approx(255.0 + 0.3 * 127.5)
    # a grey ramp has no chroma at all, however much it varies
    ramp = np.repeat(np.linspace(0, 255, 64)[None, :, None], 3, axis=2) * np.ones((16, 1, 1))
    assert colourfulness(ramp) == pytest.approx(0.0)


@pytest.mark.parametrize("sigma", [0.02, 0.05])
def test_immerkaer_recovers_added_gaussian_noise(sigma):
    rng = np.random.default_rng(1)
    frames = np.stack([texture(seed=k, sigma=3) for k in range(4)])
    clean = immerkaer_sigma(frames)
    noisy = frames + rng.normal(0, sigma * 255, frames.shape)  # float: no rounding or clipping
    est = immerkaer_sigma(noisy) / 255
    assert clean < 0.3  # smooth texture: almost no response
    assert est == pytest.approx(sigma, rel=0.15)


def test_immerkaer_scorer_on_a_clip_matches_the_noise_added():
    rng = np.random.default_rng(2)
    frames = np.stack([texture(seed=k, sigma=3) for k in range(8)])
    scorer = create_scorer("immerkaer_noise")
    for sigma in (4.0, 12.75):  # 12.75 = 0.05 of the 0-255 range (uint8 rounding adds ~0.3)
        clip = grey_clip(frames + rng.normal(0, sigma, frames.shape))
        assert scorer.measure(clip) == pytest.approx(sigma, rel=0.15)
    assert scorer(grey_clip(frames + rng.normal(0, 12.75, frames.shape))).score < scorer(grey_clip(frames)).score


@pytest.mark.parametrize("shift", [-120.0, 120.0])
def test_clipping_part_of_a_grainy_frame_does_not_hide_its_grain(shift):
    # an exposure change that crushes or blows part of a grainy frame leaves flat plateaus, the flattest pixels of
    # the frame: read there, the grain was gone (a luma gain of 2.8 on a soft portrait took sigma from 0.6 to 0.0),
    # and with it the noise coring of sharpness, focus and motion blur, which then rose
    rng = np.random.default_rng(5)
    frames = np.stack([texture(seed=k, sigma=3) for k in range(8)])
    scorer = create_scorer("immerkaer_noise")
    for sigma in (2.0, 6.0):
        grain = rng.normal(0, sigma, frames.shape)
        shifted = np.clip(frames + grain + shift, 0, 255)
        assert 0.3 < np.mean((shifted <= 0) | (shifted >= 255)) < 0.7  # a large share of the frame is clipped
        assert scorer.measure(grey_clip(shifted)) == pytest.approx(sigma, rel=0.2)


def test_a_grain_pattern_fixed_from_frame_to_frame_is_read_as_noise():
    # ffmpeg's `noise=alls=N` without the `t` flag adds the same pattern to every frame; on a static shot it does
    # not change between frames (here over a faint grain of sigma 1 that does), so an estimate from frame
    # differences would see only the faint grain: the fixed pattern is grain all the same
    rng = np.random.default_rng(7)
    still = texture(seed=7, sigma=3)
    scorer = create_scorer("immerkaer_noise")
    for sigma in (4.0, 12.0):
        pattern = rng.normal(0, sigma, still.shape)
        frames = np.stack([still + pattern + rng.normal(0, 1.0, still.shape) for _ in range(8)])
        assert scorer.measure(grey_clip(frames)) == pytest.approx(np.hypot(sigma, 1.0), rel=0.15)


def test_a_grain_pattern_fixed_from_frame_to_frame_does_not_hide_motion():
    # a fixed pattern cancels in the frame difference that finds the moving regions: a threshold set by the spatial
    # sigma found nothing moving under heavy fixed grain, and motion blur read 1.0 ("nothing moves, no blur")
    rng = np.random.default_rng(11)
    big = scene(h=192, w=400, seed=3)
    frames = np.stack([big[:, 4 * t : 4 * t + 256] for t in range(24)])  # a camera pan of 4 px per frame
    scorer = create_scorer("moving_region_motion_blur")
    for sigma in (12.0, 20.0):
        fixed = scorer.measure(grey_clip(frames + rng.normal(0, sigma, frames.shape[1:]), window=8))
        changing = scorer.measure(grey_clip(frames + rng.normal(0, sigma, frames.shape), window=8))
        assert fixed == pytest.approx(changing, abs=0.05)


def test_a_brightness_change_between_frames_is_not_motion():
    # flicker shifts every pixel between a key frame and its neighbour: on a slow pan of soft content all of them then
    # passed the motion threshold, and motion blur was read over every edge instead of the moving ones
    big = ndimage.gaussian_filter(scene(h=192, w=400, seed=4), 1.5)
    frames = np.stack([big[:, t : t + 256] for t in range(24)])  # a pan of 1 px per frame
    scorer = create_scorer("moving_region_motion_blur")
    steady = scorer.measure(grey_clip(frames, window=8))
    for amplitude in (10.0, 25.0, 40.0):
        offsets = amplitude * np.sin(2 * np.pi * np.arange(24) * 6 / 25)  # 6 Hz at 25 fps
        assert scorer.measure(grey_clip(frames + offsets[:, None, None], window=8)) == pytest.approx(steady, abs=0.01)


def test_crete_roffet_blur_orders_edges():
    step = np.zeros((1, 64, 64), dtype=np.float32)
    step[:, :, 32:] = 255.0
    sharp = crete_roffet_blur(step)[0]
    soft = crete_roffet_blur(ndimage.gaussian_filter(step, (0, 0, 3)))[0]
    flat = crete_roffet_blur(np.full((1, 64, 64), 100.0))[0]
    assert sharp < 0.15 and soft > 0.5 and flat == 1.0


def test_sharpness_falls_with_blur_and_does_not_rise_with_noise():
    rng = np.random.default_rng(3)
    frames = np.stack([scene(seed=k) for k in range(8)])
    scorer = create_scorer("crete_roffet_sharpness")
    base = scorer.measure(grey_clip(frames))
    blurred = [scorer.measure(grey_clip(ndimage.gaussian_filter(frames, (0, s, s)))) for s in (1.0, 2.0, 3.0)]
    assert base > blurred[0] > blurred[1] > blurred[2]
    noisy = scorer.measure(grey_clip(frames + rng.normal(0, 20, frames.shape)))
    assert noisy <= base + 0.02  # noise is not detail


def test_block_edges_of_heavy_quantisation_do_not_read_as_sharp_detail():
    # a blurred scene (sigma 2.5 px) whose 8 x 8 coding blocks are flattened to their means plus a quarter of their
    # own texture, as a coarse quantiser leaves them: the steps at the block boundaries are crisp, the content is not
    frames = ndimage.gaussian_filter(np.stack([scene(seed=k) for k in range(4)]), (0, 2.5, 2.5))
    k, h, w = frames.shape
    means = frames.reshape(k, h // 8, 8, w // 8, 8).mean(axis=(2, 4), keepdims=True)
    flat = np.broadcast_to(means, (k, h // 8, 8, w // 8, 8)).reshape(k, h, w)
    blocky = flat + 0.25 * (frames - flat)
    scorer = create_scorer("crete_roffet_sharpness")
    blurred, blocked = scorer.measure(grey_clip(frames)), scorer.measure(grey_clip(blocky))
    assert blocked <= blurred + 0.02, (blurred, blocked)
    # the same blocks off the coding grid (shifted by 4 px) are real edges in the picture and do read as sharp
    shifted = scorer.measure(grey_clip(np.roll(blocky, 4, axis=(1, 2))))
    assert shifted > blurred + 0.1, (blurred, shifted)


def test_grid_step_ratio_sees_blocks_not_texture():
    rng = np.random.default_rng(4)
    smooth = np.stack([texture(seed=k, sigma=4) for k in range(4)])
    assert grid_step_ratio(smooth) == pytest.approx(1.0, abs=0.3)
    assert grid_step_ratio(smooth + rng.normal(0, 5, smooth.shape)) == pytest.approx(1.0, abs=0.2)  # steps everywhere
    # each 8 x 8 block flattened to its mean plus a little of the texture: the block edges are steps
    k, h, w = smooth.shape
    blocks = smooth.reshape(k, h // 8, 8, w // 8, 8).mean(axis=(2, 4), keepdims=True)
    blocky = np.broadcast_to(blocks, (k, h // 8, 8, w // 8, 8)).reshape(k, h, w) + 0.3 * (smooth - smooth.mean())
    assert grid_step_ratio(np.round(blocky)) > 4.0
    # the same blocks shifted off the grid by 4 pixels are steps at the control offsets instead
    assert grid_step_ratio(np.round(np.roll(blocky, 4, axis=(1, 2)))) < 0.5


def test_global_motion_measures_a_known_shift():
    base = texture(h=192, w=256, seed=5)
    frames = np.stack([np.roll(base, 2 * k, axis=1) for k in range(8)])  # 2 px per frame to the right
    clip = grey_clip(frames)
    shifts, peak = global_motion(clip)
    scale = frames.shape[2] / motion_stack(clip).shape[2]
    np.testing.assert_allclose(shifts[:, 1] * scale, 2.0, atol=0.35)
    np.testing.assert_allclose(shifts[:, 0], 0.0, atol=0.2)
    assert peak.min() > 0.3


def _crop(img, y, x, h=180, w=240):
    """A sub-pixel crop (linear interpolation) of ``img`` at (y, x)."""
    return ndimage.shift(img, (-y, -x), order=1, mode="nearest")[:h, :w]


def _pan(t=32, shake=0.0, seed=6, path=None):
    """Frames cropped from a large texture along a horizontal pan of 3 px/frame (or along ``path`` =
    (xs, ys)), plus uniform random jitter of +-``shake`` px."""
    big = texture(h=260, w=420, seed=seed, sigma=1.2)
    rng = np.random.default_rng(seed)
    xs = 20 + 3.0 * np.arange(t) + (rng.uniform(-shake, shake, t) if shake else 0.0)
    ys = 20 + (rng.uniform(-shake, shake, t) if shake else np.zeros(t))
    if path is not None:
        xs, ys = path
    return np.stack([_crop(big, y, x) for x, y in zip(xs, ys)])


def test_stability_separates_a_steady_pan_from_a_shaken_one():
    scorer = create_scorer("phase_jitter_stability")
    steady = scorer(grey_clip(_pan(), window=8))
    shaken = [scorer(grey_clip(_pan(shake=s), window=8)) for s in (2.0, 5.0)]
    assert steady.score > 0.8
    assert steady.raw < shaken[0].raw < shaken[1].raw
    assert shaken[1].score < 0.4


def test_trajectory_prefers_a_steady_path_to_a_wandering_one():
    scorer = create_scorer("path_smoothness_trajectory")
    t = 32
    steady = scorer(grey_clip(_pan(t=t), window=8))
    rng = np.random.default_rng(7)
    wander = np.cumsum(rng.choice([-3.0, 3.0], size=t))  # back and forth, a few pixels at a time
    wandering = scorer(grey_clip(_pan(t=t, path=(60 + wander, 20 + 0.5 * wander[::-1])), window=8))
    still = scorer(grey_clip(np.stack([texture(seed=8)[:180, :240]] * t), window=8))
    assert steady.score > 0.7 and still.score > 0.7
    assert wandering.raw > steady.raw + 0.3 and wandering.score < 0.4


def test_fluency_static_scene_is_not_frozen_but_repeats_are():
    rng = np.random.default_rng(9)
    base = texture(seed=9)
    fluency = create_scorer("frozen_frame_fluency")
    still = np.stack([base + rng.normal(0, 2, base.shape) for _ in range(16)])  # sensor noise on a still scene
    assert fluency(grey_clip(still, window=8)).score > 0.8
    perfectly_still = np.stack([base] * 16)  # e.g. a static shot after strong compression
    assert fluency(grey_clip(perfectly_still, window=8)).score > 0.8
    moving = np.stack([np.roll(base, 3 * k, axis=1) for k in range(16)])
    assert fluency(grey_clip(moving, window=8)).score > 0.8
    # the bands of the effective frame rate (catalog/estimators.yaml): at 25 fps, every fifth frame repeated (20 fps)
    # is mild judder, "good"; every frame shown twice (12.5 fps) "poor"; four times (6 fps) "bad"
    frames = np.stack([np.roll(base, 3 * k, axis=1) for k in range(48)])
    mild, doubled, quadrupled = (
        [i - i // 5 for i in range(48)],
        [i // 2 for i in range(48)],
        [i // 4 for i in range(48)],
    )
    assert fluency(grey_clip(frames[mild], window=8)).score >= 0.6
    assert 0.2 <= fluency(grey_clip(frames[doubled], window=8)).score < 0.4
    assert fluency(grey_clip(frames[quadrupled], window=8)).score < 0.2
    # irregular timestamps alone (dropped frames in a variable-frame-rate stream) also count
    clip = grey_clip(moving, window=8)
    clip.timestamps = np.cumsum([0.04, 0.04, 0.12, 0.04, 0.04, 0.08, 0.04, 0.04] * 2) - 0.04
    assert fluency(clip).raw > 0.1


def test_fluency_reads_frame_rates_on_the_25_fps_scale():
    base = texture(seed=9)
    fluency = create_scorer("frozen_frame_fluency")
    frames = np.stack([np.roll(base, 3 * k, axis=1) for k in range(48)])
    native = fluency(grey_clip(frames, window=8, fps=25.0)).score
    # 25-fps content shown twice per frame in a 50-fps stream moves exactly as the original; a window of 8 frames
    # holds 3 or 4 repeats among its 7 pairs, so it reads 21-29 distinct frames a second: "excellent" still
    doubled_50 = fluency(grey_clip(frames[[i // 2 for i in range(48)]], window=8, fps=50.0)).score
    assert doubled_50 >= 0.8 and abs(doubled_50 - native) <= 0.1
    # a 12.5-fps stream with the same motion per second shows as few distinct frames as 25-fps footage with every
    # frame doubled: both "poor" (the stutter bands of the test above)
    half_rate = frames[::2].copy()
    stream_12 = fluency(grey_clip(np.concatenate([half_rate, half_rate[::-1]]), window=8, fps=12.5)).score
    doubled_25 = fluency(grey_clip(frames[[i // 2 for i in range(48)]], window=8, fps=25.0)).score
    assert 0.2 <= stream_12 < 0.4 and 0.2 <= doubled_25 < 0.4
    # film's 24 fps is fluent, and a still shot at a low rate has no motion to judder
    assert fluency(grey_clip(frames, window=8, fps=24.0)).score >= native - 0.01
    assert fluency(grey_clip(np.stack([base] * 16), window=8, fps=10.0)).score > 0.8


@pytest.mark.parametrize("rate", [50, 60])
def test_a_real_clip_doubled_into_a_faster_stream_is_as_fluent(tmp_path, sample_clips, rate):
    src = str(tmp_path / "bikes.mp4")
    ffmpeg("-i", sample_clips["bikes"], "-t", "2", "-an", "-vf", "scale=320:136", "-c:v", "libx264", "-crf", "16", src)
    fast = str(tmp_path / f"bikes_{rate}.mp4")
    ffmpeg("-i", src, "-vf", f"fps={rate}", "-c:v", "libx264", "-crf", "16", fast)  # each frame shown 2-3 times
    fluency = create_scorer("frozen_frame_fluency")
    sampling = FrameSampling.windows(num_frames=48, window=8)
    original, doubled = (fluency(load_clip(p, sampling)).score for p in (src, fast))
    assert original >= 0.8 and doubled >= 0.8 and abs(doubled - original) <= 0.1


def test_flicker_ignores_a_steady_fade_and_motion_but_not_oscillating_gain():
    base = texture(seed=10)
    flicker = create_scorer("block_median_flicker")
    t = np.arange(16)
    fade = np.stack([base * (1 - 0.02 * k) for k in t])  # steady 2 % per frame fade
    flick, strong = (np.stack([base * (1 + a * np.sin(2 * np.pi * k * 7 / 25)) for k in t]) for a in (0.08, 0.25))
    moving = np.stack([np.roll(base, 4 * k, axis=1) for k in t])
    f_fade, f_flick, f_strong, f_move = (flicker(grey_clip(x, window=8)) for x in (fade, flick, strong, moving))
    assert f_fade.score > 0.8 and f_move.score > 0.8
    # +-8 % gain (PSNR about 31 dB against the steady frame) is visible but not ruinous; +-25 % (about 21 dB) is
    assert f_flick.score < min(f_fade.score, f_move.score) - 0.15
    assert f_strong.score < 0.4
    assert f_strong.raw > f_flick.raw > 5 * max(f_fade.raw, f_move.raw)


def test_exposure_is_two_sided():
    base = scene(seed=11)  # levels over 8..245: well exposed
    scorer = create_scorer("two_sided_exposure")
    ok = scorer(grey_clip(np.stack([base] * 8))).score
    offsets = [scorer(grey_clip(np.stack([base + d] * 8))).score for d in (60, -60)]
    gains = [scorer(grey_clip(np.stack([base * g] * 8))).score for g in (1.6, 0.45)]
    assert ok > 0.8
    assert all(s < 0.4 for s in offsets + gains), (offsets, gains)


def test_exposure_low_contrast_centred_frame_is_not_misexposed():
    # a flat, hazy texture around mid-grey (levels ~90..165): high blacks and low whites at once is low
    # contrast (lighting), not over- or under-exposure; shifting it up or down is
    base = 90 + (texture(seed=12) - 25) * 75 / 200
    scorer = create_scorer("two_sided_exposure")
    hazy = scorer(grey_clip(np.stack([base] * 8)))
    brighter = scorer(grey_clip(np.stack([base + 70] * 8)))
    darker = scorer(grey_clip(np.stack([base - 75] * 8)))
    assert hazy.score > 0.8, hazy
    assert brighter.score < 0.4 and darker.score < 0.4, (brighter, darker)


def _product_shot(background: float) -> np.ndarray:
    """A product shot: a textured, saturated blue subject (luma ~0.3-0.5, its red channel near 0) over half the
    frame, on a flat studio background of grey level ``background``; (8, 192, 256, 3) float frames."""
    yy, xx = np.mgrid[0:192, 0:256]
    subject = ((yy - 96) / 80.0) ** 2 + ((xx - 128) / 100.0) ** 2 < 1
    shade = texture(seed=14)[..., None] / 225.0  # 0.11 .. 1
    img = np.full((192, 256, 3), float(background))
    img[subject] = (np.array([10.0, 90.0, 160.0]) + shade * np.array([20.0, 60.0, 90.0]))[subject]
    return np.stack([img] * 8)


def _exposure(frames: np.ndarray):
    """``two_sided_exposure`` of float frames, clipped to 0-255 and rounded to 8 bits."""
    return create_scorer("two_sided_exposure")(Clip.from_frames(np.clip(frames, 0, 255).round().astype(np.uint8)))


def _panned(image: np.ndarray) -> np.ndarray:
    """(8, H, 480, 3) float frames: ``image`` (at least 494 px wide) panning 2 px a frame."""
    return np.stack([image[:, 2 * t : 2 * t + 480] for t in range(8)]).astype(np.float32)


def test_exposure_saturated_high_key_subject_is_well_exposed():
    # on a light grey background (235, unclipped), nothing of the saturated subject is clipped or washed out: its
    # luma's shadows sit high (a saturated blue is a mid-grey in luma) but its red channel stays near 0, so the
    # exposure is right. Brightening washes every channel out (the red lifted off 0) and clips the blue.
    ok, bright = _exposure(_product_shot(235.0)), _exposure(_product_shot(235.0) + 110.0)
    assert ok.score >= 0.6, ok
    assert bright.score < 0.4, bright


def _photo_on_backdrop(name: str, width_share: float, level: int) -> np.ndarray:
    """(8, 272, 480, 3) float frames: a real photograph ``width_share`` of the frame wide, panning 2 px a frame
    across a flat backdrop of grey ``level`` (0: RGB black, as graphics and crushed studio blacks have it)."""
    from s2i_hf.real_content import SOURCES, _read_image, photo_on_backdrop

    return _panned(photo_on_backdrop(_read_image(SOURCES[name]), width_share, level, (480, 272), pan=16))


@pytest.mark.parametrize("name", ["quokka", "china"])
@pytest.mark.parametrize("width_share", [0.3, 0.45, 0.6])
def test_exposure_of_a_bright_photo_on_a_pure_black_backdrop_is_good_and_darkening_it_is_not(name, width_share):
    # a well-exposed photograph (11-43 % of the frame) on RGB 0: the content blocks along its edges hold the black
    # backdrop, which read as crushed shadows (exposure 0.00-0.19 before). Darkening the whole frame by the corpus'
    # mildest step (eq=brightness=-0.12) still reads under-exposed: the whites fall with the blacks
    scorer, lighting = create_scorer("two_sided_exposure"), create_scorer("contrast_lighting")
    frames = _photo_on_backdrop(name, width_share, 0)
    clip = Clip.from_frames(frames.round().astype(np.uint8))
    darkened = Clip.from_frames(np.clip(frames - 0.12 * 255, 0, 255).round().astype(np.uint8))
    assert scorer(clip).score >= 0.6, scorer(clip)
    assert scorer(darkened).score < 0.4, scorer(darkened)
    assert lighting(clip).score >= 0.6, lighting(clip)


@pytest.mark.parametrize("share, expected", [(0.002, 255), (0.0005, 50)])
def test_key_highlights_read_single_white_pixels_at_native_resolution(share, expected):
    # single white pixels (stars) scattered over a grey frame: the 99.9th luma percentile is white once they cover
    # more than 0.1 % of the frame, grey below; a 4 x 4 box average would have dimmed them to 63 grey levels
    rng = np.random.default_rng(3)
    frames = np.full((6, 272, 480, 3), 50, dtype=np.uint8)
    for f in frames:
        idx = rng.choice(272 * 480, int(share * 272 * 480), replace=False)
        f.reshape(-1, 3)[idx] = 255
    assert key_highlights(Clip.from_frames(frames)) == pytest.approx(expected / 255.0, abs=1.5 / 255.0)


@pytest.mark.parametrize("every, expected", [(64, 0), (256, 200)])
def test_key_shadows_read_thin_black_lines_at_native_resolution(every, expected):
    # one-pixel black columns on paper at 200 (ink strokes): the 0.5th luma percentile is black once they cover more
    # than 0.5 % of the frame (every 64th column: 1.6 %), paper below that (every 256th: 0.4 %); a 4 x 4 box average
    # would have greyed them to 150 levels
    frames = np.full((6, 272, 512, 3), 200, dtype=np.uint8)
    frames[:, :, ::every] = 0
    assert key_shadows(Clip.from_frames(frames)) == pytest.approx(expected / 255.0, abs=1.5 / 255.0)


@pytest.mark.parametrize("sky, glow", [(3.0, 0.0), (12.0, 0.0), (8.0, 90.0)])
def test_exposure_of_a_night_sky_is_good_and_dimming_or_lifting_it_is_not(sky, glow):
    # a star field (s2i_hf.testing.star_field): a dark, nearly flat sky (RGB 3-12, or a horizon glow) under stars a
    # few pixels wide, the brightest clipped to white. Exposure read 0.00 before: the content's mean, 95th
    # percentile and crushed share all said "under-exposed", and the small frames' 99.9th percentile (0.81) hid that
    # the stars reach white. Less light dims the stars with the sky (brightness -0.12, gain 0.75: the corpus' mildest
    # steps); an offset of +0.33 lifts the sky to a washed-out grey
    from s2i_hf.testing import star_field

    frames = _panned(star_field(272, 496, seed=int(sky), stars=1200, sky=sky, glow=glow))
    night = _exposure(frames)
    changed = {
        "darkened": _exposure(frames - 0.12 * 255),
        "gain 0.75": _exposure(frames * 0.75),
        "brightened": _exposure(frames + 0.33 * 255),
    }
    assert night.score >= 0.6, night
    assert all(r.score < 0.4 for r in changed.values()), changed


@pytest.mark.parametrize("paper", [235, 245])
def test_exposure_of_a_page_of_text_is_good_and_brightening_it_is_not(paper):
    # dark text (grey 20) on unclipped paper (s2i_hf.testing.text_page): the mirror of the night sky. It read 0.00:
    # the content's mean (0.81) and its darkest channel's 5th percentile (0.52: letters a pixel or two thick read grey
    # on the small frames) said "washed out", and the paper, the frame's top level, read as a blown plateau. The
    # letters keep the blacks down at native resolution. More light lifts them: an offset of +0.12 (the corpus'
    # mildest brighten step), a gamma of 0.6; a gain of 1.25 clips the paper inside the lines of text. Less light
    # dims the paper over the same black letters: a gain of 0.4 read 0.62-0.71 while the blacks were read on the small
    # frames, where the letters are grey
    from s2i_hf.testing import text_page

    frames = _panned(text_page(272, 496, paper=paper))
    ok = _exposure(frames)
    changed = {
        "offset +0.12": _exposure(frames + 0.12 * 255),
        "gamma 0.6": _exposure(255.0 * (frames / 255.0) ** 0.6),
        "gain 1.25": _exposure(frames * 1.25),
        "gain 0.4": _exposure(frames * 0.4),
    }
    assert ok.score >= 0.6, ok
    assert all(r.score < 0.4 for r in changed.values()), changed


def test_grain_does_not_lift_a_dimmed_frame_into_well_exposed():
    # grain lifts a frame's top pixels: read as they come, the highlights of a bright photo on RGB 0 dimmed by a gain
    # of 0.9 (exposure 0.22) reached the top under grain of sigma 16 and exposure rose to 0.86, a free gain of the
    # kind issue #17 forbids. The highlights are read less 3 noise sigmas
    frames = _photo_on_backdrop("china", 0.45, 0) * 0.9
    grain = np.random.default_rng(1).normal(0.0, 16.0, frames.shape).astype(np.float32)
    dim, grainy = _exposure(frames), _exposure(frames + grain)
    assert dim.score < 0.4, dim
    assert grainy.score <= dim.score + 0.10, (dim, grainy)


@pytest.mark.xfail(
    strict=True,
    reason="two_sided_exposure: a flat clipped white background counts as blown content where the 8 x 8 content "
    "blocks along the subject's edge hold it (minduka on white, matplotlib's sample image, read 0.74)",
)
def test_exposure_saturated_subject_on_a_clipped_white_background_is_well_exposed():
    assert _exposure(_product_shot(255.0)).score >= 0.6


def test_exposure_sees_a_clipped_colour_under_a_brighter_white():
    # a large flat yellow area with its red and green channels clipped (luma ~0.9) beside a small white patch:
    # the yellow is not the frame's top level, but it is blown; unclipped, the same layout is fine
    def frame(yellow):
        img = np.repeat(scene(seed=13)[..., None], 3, axis=2).clip(20, 200)
        img[:, :80] = yellow  # ~30 % of the frame
        img[:12, -12:] = 255.0  # a small white patch: the top level
        return np.stack([img] * 8)

    scorer = create_scorer("two_sided_exposure")
    ok = scorer(Clip.from_frames(frame((200, 200, 30)).astype(np.uint8)))
    clipped = scorer(Clip.from_frames(frame((255, 255, 40)).astype(np.uint8)))
    assert ok.score > 0.8, ok
    assert clipped.raw > ok.raw + 0.5 and clipped.score < 0.4, (ok, clipped)
