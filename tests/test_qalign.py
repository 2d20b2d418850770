"""Q-Align-style scoring with tiny offline video LMMs: batched equals alone, multi-token level words are
scored exactly, probabilities are a distribution over the five levels."""

import numpy as np
import pytest
import torch
from conftest import ffmpeg

from s2i_hf.eval_suite.qalign import QualityScorer
from s2i_hf.testing import TINY_FAMILIES, make_tiny_model
from s2i_hf.video import VideoError


FAMILIES = list(TINY_FAMILIES)  # Q-Align scoring on every tiny family


@pytest.fixture(scope="module")
def videos(mini_corpus, sample_clips):
    return [mini_corpus[0], sample_clips["carphone_pristine"], mini_corpus[4]]


@pytest.mark.parametrize("family", FAMILIES)
def test_batched_equals_alone(tmp_path, family, videos):
    path = make_tiny_model(family, tmp_path / family)
    scorer = QualityScorer.from_pretrained(str(path), num_frames=4, batch_size=3)
    batched = scorer.score(videos)
    scorer.batch_size = 1
    alone = scorer.score(videos)
    for a, b in zip(batched, alone):
        assert a.score == pytest.approx(b.score, abs=1e-5)
        for w in a.probs:
            assert a.probs[w] == pytest.approx(b.probs[w], abs=1e-5)
        assert sum(a.probs.values()) == pytest.approx(1.0) and 0.0 <= a.score <= 1.0
    dim = scorer.score(videos[:1], dimension="noise")[0]
    assert 0.0 <= dim.score <= 1.0 and dim.probs != batched[0].probs


def test_multi_token_level_words_are_scored_exactly(tmp_path, videos):
    path = make_tiny_model("qwen2_5_vl", tmp_path / "q")
    scorer = QualityScorer.from_pretrained(str(path), num_frames=4)
    prefix = "The overall quality of this video is:"
    word_ids = scorer.level_token_ids(prefix, separator="")
    assert any(len(ids) > 1 for ids in word_ids)  # without a separating space the words split
    question = "How would you rate the overall quality of this video?"
    lp = scorer._log_probs(videos[:1], question, prefix, word_ids)[0]
    for j, ids in enumerate(word_ids):  # against one full teacher-forced pass over prefix + word
        inputs = scorer._inputs(videos[:1], question, prefix)
        n0 = inputs["input_ids"].shape[1]
        extra = torch.tensor([ids])
        inputs["input_ids"] = torch.cat([inputs["input_ids"], extra], 1)
        inputs["attention_mask"] = torch.cat([inputs["attention_mask"], torch.ones_like(extra)], 1)
        inputs["mm_token_type_ids"] = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(extra)], 1)
        with torch.no_grad():
            logits = scorer.model(**inputs).logits[0].float()
        logp = torch.log_softmax(logits, -1)
        expected = sum(float(logp[n0 - 1 + k, t]) for k, t in enumerate(ids))
        assert lp[j] == pytest.approx(expected, abs=1e-4)


def test_level_ids_with_a_space_are_single_tokens(tmp_path):
    path = make_tiny_model("llava_onevision", tmp_path / "l")
    scorer = QualityScorer.from_pretrained(str(path))
    ids = scorer.level_token_ids("The overall quality of this video is")
    assert all(len(i) == 1 for i in ids) and len({i[0] for i in ids}) == 5
    np.testing.assert_allclose(scorer.scale.expected_score([0, 0, 0, 0, 1]), 1.0)


def test_a_broken_video_is_recorded_and_the_rest_scored(tmp_path, videos, bad_videos):
    # two that cannot be decoded, and one that decodes but the Qwen processor refuses (aspect ratio > 200)
    wide = str(tmp_path / "wide.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=3232x16:rate=25:duration=1", "-pix_fmt", "yuv420p", "-c:v", "libx264", wide
    )
    path = make_tiny_model("qwen2_5_vl", tmp_path / "q")
    scorer = QualityScorer.from_pretrained(str(path), num_frames=4, batch_size=2)
    mixed = [videos[0], bad_videos["truncated"], videos[1], bad_videos["zero_bytes"], wide, wide]
    with pytest.raises(VideoError, match=r"truncated\.mp4: "):  # on_error="raise": the first bad video, named
        scorer.score(mixed)
    out = scorer.score(mixed, on_error="record")
    alone = scorer.score([videos[0], videos[1]])
    assert [r.error is None for r in out] == [True, False, True, False, False, False]
    assert out[1].error.startswith("truncated.mp4: ") and out[3].error.startswith("zero.mp4: ")
    assert out[4].error.startswith("wide.mp4: ValueError") and "aspect ratio" in out[4].error
    assert np.isnan(out[1].score) and out[1].probs == {}
    assert out[0].score == pytest.approx(alone[0].score, abs=1e-5) and out[2].score == pytest.approx(
        alone[1].score, abs=1e-5
    )
    with pytest.raises(ValueError, match="on_error"):
        scorer.score(videos[:1], on_error="skip")


def test_fragment_views_average_the_level_probabilities_of_several_placements(tmp_path, videos):
    """With fragments and fragment_views=3 a video's probabilities are the mean of three placements' softmaxes
    (the first at the cells' centres, as a one-view scorer sees it; the others elsewhere) and its score their
    expected score; the placements repeat from run to run. Whole-frame models have one view whatever is asked."""
    path = str(make_tiny_model("qwen2_5_vl", tmp_path / "q", max_pixels=64 * 64))
    frames = dict(num_frames=2, fragments=2, fragment_size=32)
    one = QualityScorer.from_pretrained(path, fragment_views=1, **frames)
    three = QualityScorer.from_pretrained(path, fragment_views=3, **frames)
    clip = [videos[1]]  # 176 x 144: cells of 88 x 72 hold a 32-px fragment at many places
    got = three.score(clip)[0]
    question, prefix = three._prompt(None)
    word_ids = three.level_token_ids(prefix)
    per_view = [three._log_probs(clip, question, prefix, word_ids, view)[0] for view in range(3)]
    softmax = [np.exp(lp) / np.exp(lp).sum() for lp in per_view]
    assert not np.allclose(softmax[1], softmax[2], atol=1e-6)  # other pixels, other probabilities
    mean = np.mean(softmax, axis=0)
    assert [got.probs[w] for w in three.scale.words] == pytest.approx(list(mean), abs=1e-6)
    assert got.score == pytest.approx(float(np.dot(mean, [0, 0.25, 0.5, 0.75, 1.0])), abs=1e-6)
    centre = one.score(clip)[0]
    assert [centre.probs[w] for w in one.scale.words] == pytest.approx(list(softmax[0]), abs=1e-6)
    assert three.score(clip)[0].score == pytest.approx(got.score, abs=1e-7)
    assert three.settings["fragment_views"] == 3
    whole = QualityScorer.from_pretrained(path, num_frames=2, fragment_views=3)
    assert whole.views == 1 and "fragment_views" not in whole.settings
    with pytest.raises(ValueError, match="at least 1"):
        QualityScorer.from_pretrained(path, fragment_views=0, **frames)
