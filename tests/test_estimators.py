"""The default estimators: registered for every dimension, sane on real clips, golden values on known inputs."""

import numpy as np
import pytest
from scipy import ndimage

from s2i_hf import DIMENSION_IDS
from s2i_hf.scoring import VideoScorer, create_scorer, default_scorer_names, list_scorers
from s2i_hf.scoring.estimators.color import colourfulness
from s2i_hf.scoring.estimators.spatial import crete_roffet_blur
from s2i_hf.video import Clip, SamplingConfig


def textured_frames(t=8, h=192, w=256, seed=0):
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.uniform(0, 255, (h, w)), 1.5)
    base = (base - base.min()) / np.ptp(base) * 200 + 25
    return np.stack([np.repeat(np.roll(base, k, axis=1)[..., None], 3, axis=2) for k in range(t)]).astype(np.float64)


def test_every_dimension_has_a_registered_default():
    names = default_scorer_names()
    assert set(names) == set(DIMENSION_IDS)
    registered = list_scorers()
    for dim, name in names.items():
        assert name in registered and name in list_scorers(dimension=dim)
        scorer = create_scorer(name)
        assert scorer.dimension == dim and scorer.__doc__ and len(scorer.__doc__) > 80


def test_scores_on_the_sample_clips(sample_clips):
    vs = VideoScorer(sampling=SamplingConfig(num_frames=32, window=8))
    results = {name: vs.score(path) for name, path in sample_clips.items()}
    for name, res in results.items():
        for dim, s in res.scores.items():
            assert 0.0 <= s <= 1.0 and np.isfinite(res.raw[dim]), (name, dim)
    for name in ("bigbuckbunny", "bikes", "carphone_pristine"):  # real, lightly compressed footage
        assert results[name].overall_level in ("good", "excellent"), (name, results[name].overall_score)
        for dim in ("sharpness", "noise", "compression", "exposure", "fluency", "flicker", "stability"):
            assert results[name].scores[dim] >= 0.45, (name, dim, results[name].scores[dim])
    pristine, distorted = results["carphone_pristine"], results["carphone_distorted"]
    assert distorted.scores["compression"] < pristine.scores["compression"] - 0.2
    assert distorted.scores["sharpness"] < pristine.scores["sharpness"]
    assert distorted.overall_score < pristine.overall_score


def test_immerkaer_recovers_added_gaussian_noise():
    frames = textured_frames()
    rng = np.random.default_rng(1)
    scorer = create_scorer("immerkaer_noise")
    clean = scorer.measure(Clip.from_frames(np.clip(frames, 0, 255).astype(np.uint8)))
    for sigma in (5.0, 12.75):  # 12.75 = 0.05 of the 0-255 range
        noisy = np.clip(frames + rng.normal(0, sigma, frames.shape[:3])[..., None], 0, 255).astype(np.uint8)
        est = scorer.measure(Clip.from_frames(noisy))
        assert abs(est - np.hypot(sigma, clean)) / sigma < 0.15, (sigma, est)
    assert clean < 2.0


def test_colourfulness_golden_values():
    grey = np.full((32, 32, 3), 128.0)
    assert colourfulness(grey) == pytest.approx(0.0)
    # half pure red, half pure green: rg = +-255, yb = 127.5 -> sigma_rg 255, sigma_yb 0, mu_rg 0, mu_yb 127.5
    img = np.zeros((32, 32, 3))
    img[:, :16, 0] = 255
    img[:, 16:, 1] = 255
    assert colourfulness(img) == pytest.approx(255.0 + 0.3 * 127.5)


def test_crete_roffet_blur_orders_edges():
    step = np.zeros((1, 64, 64), dtype=np.float32)
    step[:, :, 32:] = 1.0
    blurred = ndimage.gaussian_filter(step, (0, 0, 3))
    sharp_b, soft_b = crete_roffet_blur(step)[0], crete_roffet_blur(blurred)[0]
    assert sharp_b < 0.15 and soft_b > 0.5 and sharp_b < soft_b


def test_static_scene_is_not_frozen_but_repeats_are():
    frames = textured_frames(t=16)
    rng = np.random.default_rng(2)
    still = np.clip(frames[:1] + rng.normal(0, 2, (16,) + frames.shape[1:3])[..., None], 0, 255).astype(np.uint8)
    fluency = create_scorer("frozen_frame_fluency")
    assert fluency(Clip.from_frames(still, window=8)).score > 0.8  # sensor noise on a still scene: fluent
    moving = np.clip(frames, 0, 255).astype(np.uint8)
    stutter = moving[[0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]]
    assert fluency(Clip.from_frames(moving, window=8)).score > 0.8
    assert fluency(Clip.from_frames(stutter, window=8)).score < 0.2


def test_global_motion_measures_a_known_shift():
    from s2i_hf.scoring.estimators.common import global_motion, motion_luma

    frames = np.clip(textured_frames(t=8), 0, 255).astype(np.uint8)  # rolled 1 px per frame to the right
    clip = Clip.from_frames(frames)
    shifts = global_motion(clip)[0]
    scale = frames.shape[2] / motion_luma(clip).shape[2]
    np.testing.assert_allclose(shifts[:, 1] * scale, 1.0, atol=0.35)
    np.testing.assert_allclose(shifts[:, 0], 0.0, atol=0.2)
