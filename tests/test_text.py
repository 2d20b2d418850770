"""Instruction text: every answer states the stored levels, yes/no is truthful and balanced, output is
seeded, chat blocks are clean, and rating protection accepts faithful rewrites and rejects the rest."""

import random
import time

import pytest

from s2i_hf import DIMENSION_IDS
from s2i_hf.scoring import DimensionScores
from s2i_hf.text import bench_items, build_rewrite_prompt, extract_ratings, justification, stage1_items, stage2_items, verify_rewrite


def record(seed, caption=None):
    rng = random.Random(seed)
    ds = DimensionScores.from_scores({d: rng.random() for d in DIMENSION_IDS})
    return {"video_id": f"vid{seed}", "scores": ds.scores, "levels": ds.levels, "group_levels": ds.group_levels,
            "overall_level": ds.overall_level, "caption": caption}


def answer(row):
    (turn,) = [m for m in row["messages"] if m["role"] == "assistant"]
    return turn["content"][0]["text"]


def question(row):
    return row["messages"][0]["content"][1]["text"]


RECORDS = [record(i, caption="a cyclist riding through a park" if i % 3 == 0 else None) for i in range(60)]


@pytest.mark.parametrize("rec", RECORDS[:30], ids=lambda r: r["video_id"])
def test_justification_states_every_stored_level(rec):
    got = extract_ratings(justification(rec, seed=1))
    expected = {**rec["levels"], **rec["group_levels"], "overall": rec["overall_level"]}
    assert got == expected


def test_stage1_answers_state_the_level_of_their_dimension():
    for rec in RECORDS:
        rows = stage1_items(rec, seed=0)
        assert [r["dimensions"] for r in rows] == [[d] for d in DIMENSION_IDS]
        for row in rows:
            (dim,) = row["dimensions"]
            assert row["task"] == "dimension_rating"
            assert extract_ratings(answer(row)) == {dim: rec["levels"][dim]}
            assert rec["levels"][dim] in answer(row)


def test_stage2_what_how_and_yes_no():
    for rec in RECORDS:
        rows = stage2_items(rec, seed=0, n_what_how=3, n_yes_no=4)
        assert [r["task"] for r in rows] == ["justification"] + ["what_how"] * 3 + ["yes_no"] * 4
        for row in rows[1:4]:
            stated = extract_ratings(answer(row))
            assert len(stated) == 1
            (target, level), = stated.items()
            truth = rec["levels"].get(target) or rec["group_levels"].get(target) or (rec["overall_level"] if target == "overall" else None)
            assert level == truth, (question(row), answer(row))
        yes_no = rows[4:]
        verdicts = [answer(r).split(".")[0] for r in yes_no]
        assert set(verdicts) <= {"Yes", "No"} and abs(verdicts.count("Yes") - verdicts.count("No")) <= 1
        for row, verdict in zip(yes_no, verdicts):
            (dim,) = row["dimensions"]
            asked = next(w for w in ("bad", "poor", "fair", "good", "excellent") if f" {w}" in question(row))
            assert (asked == rec["levels"][dim]) == (verdict == "Yes"), question(row)
            assert extract_ratings(answer(row)) == {dim: rec["levels"][dim]}  # the answer states the truth


def test_bench_items_have_reference_answers():
    rec = RECORDS[5]
    items = bench_items(rec, seed=0, n=6)
    assert len(items) == 6 and len({i["question"] for i in items}) == 6
    assert {i["question_type"] for i in items} >= {"overall", "weakest", "strongest", "group"}
    overall = items[0]
    assert extract_ratings(overall["reference"])["overall"] == rec["overall_level"]
    for item in items:
        for target, level in extract_ratings(item["reference"]).items():
            assert level == {**rec["levels"], **rec["group_levels"], "overall": rec["overall_level"]}[target]


def test_seeded_determinism():
    rec = RECORDS[7]
    assert stage2_items(rec, seed=3) == stage2_items(rec, seed=3)
    assert stage1_items(rec, seed=3) == stage1_items(rec, seed=3)
    assert justification(rec, 3) == justification(rec, 3)
    assert any(justification(rec, 3) != justification(rec, s) for s in (4, 5, 6))
    other = dict(rec, video_id="another")
    assert justification(rec, 3) != justification(other, 3) or stage1_items(rec, 3) != stage1_items(other, 3)


def test_chat_blocks_are_clean():
    for rec in RECORDS[:10]:
        for row in stage1_items(rec) + stage2_items(rec):
            assert set(row) == {"video_id", "messages", "task", "dimensions"}
            user, assistant = row["messages"]
            assert user["role"] == "user" and assistant["role"] == "assistant"
            assert user["content"][0] == {"type": "video"}
            for block in user["content"][1:] + assistant["content"]:
                assert set(block) == {"type", "text"} and block["type"] == "text" and block["text"]


def test_golden_justification():
    ds = DimensionScores.from_scores({d: v for d, v in zip(DIMENSION_IDS, [0.9, 0.85, 0.3, 0.7, 0.65, 0.5, 0.1, 0.95, 0.9, 0.45, 0.6, 0.8, 0.55, 0.75])})
    rec = {"video_id": "golden", "levels": ds.levels, "group_levels": ds.group_levels, "overall_level": ds.overall_level, "caption": "a street at night"}
    assert justification(rec, seed=0) == GOLDEN


# checked by hand against the scores: distortion (0.5 x mean .65 + 0.5 x min .1 = .375) poor, aesthetic
# (0.5 x .63 + 0.5 x .45 = .54) fair, overall (.6 x .375 + .4 x .54 = .44) fair.
GOLDEN = (
    'The video shows a street at night. '
    'Let us examine the video aspect by aspect before reaching a verdict. '
    'Consider first the distortions introduced while shooting, compressing and transmitting. '
    'In terms of how free the frames are from compression artifacts such as blocks and smearing, the video is bad, which severely harms the viewing experience. '
    'In terms of how free the frames are from grain and noise, the video is poor, a noticeable weakness. '
    'In terms of how well the frames are exposed, neither too dark nor too bright, the video is fair, which is acceptable though noticeable. '
    'As for how clear moving objects stay while they move, it is good, which supports a pleasant viewing experience. '
    'Regarding how steady the camera is, free of shaking, it is good, which supports a pleasant viewing experience. '
    'In terms of the clarity of fine details in the frames, the video is excellent, with nothing to criticise. '
    'As for the variation smoothness between adjacent frames, it is excellent, which is a clear strength. '
    'Regarding how smoothly the video plays, free of stutters and frozen frames, it is excellent, which is a clear strength. '
    'As for how well the main subject is in focus, it is excellent, with nothing to criticise. '
    'As a result, the distortion-related quality of this video is poor. '
    'Next, the aesthetic aspects. '
    'Regarding how pleasant and well contrasted the lighting is, it is fair, neither a strength nor a serious flaw. '
    'Regarding how interesting and meaningful the content is, it is fair, which is acceptable though noticeable. '
    'In terms of how well organized the layout of each scene is, the video is good, which supports a pleasant viewing experience. '
    'As for how consistent and purposeful the camera movement is, it is good, a strength of the video. '
    'Looking at how vivid and harmonious the colors are, it is excellent, with nothing to criticise. '
    'As a result, the aesthetic quality of this video is fair. '
    'Putting everything together, the overall quality is fair.'
)


def test_verify_rewrite_accepts_faithful_and_rejects_the_rest():
    rec = RECORDS[2]
    text = justification(rec, 0)
    assert verify_rewrite(text, text) == (True, [])
    lv, gl = rec["levels"], rec["group_levels"]
    paraphrase = " ".join(
        [f"When it comes to {d.replace('_', ' ') if d not in ('content',) else 'how interesting and meaningful the content is'}, I find it {lv[d]}." for d in DIMENSION_IDS]
        + [f"All in all the distortion-related quality is {gl['distortion']}.", f"The aesthetic quality is {gl['aesthetic']}.", f"So the overall quality is {rec['overall_level']}."]
    )
    ok, reasons = verify_rewrite(text, paraphrase)
    assert ok, reasons
    wrong = "poor" if lv["noise"] != "poor" else "good"
    changed = paraphrase.replace(f"noise, I find it {lv['noise']}", f"noise, I find it {wrong}")
    ok, reasons = verify_rewrite(text, changed)
    assert not ok and any(r.startswith("changed: noise") for r in reasons)
    dropped = paraphrase.replace(f"When it comes to flicker, I find it {lv['flicker']}.", "")
    ok, reasons = verify_rewrite(text, dropped)
    assert not ok and any(r.startswith("missing: the rating of flicker") for r in reasons)
    salad = "quality video the good is frames noise camera excellent poor bad sharpness color of"
    assert not verify_rewrite(text, salad)[0]
    assert verify_rewrite(text, "   ") == (False, ["empty: the rewrite is empty"])
    added = text.replace("Let me assess", "The sound is excellent. Let me assess").replace("I will look", "The sound is excellent. I will look").replace("Let us examine", "The sound is excellent. Let us examine")
    assert not verify_rewrite(text, added)[0]


def test_rewrite_prompt_carries_the_text_and_the_rules():
    prompt = build_rewrite_prompt("Regarding noise, it is good.")
    assert "Regarding noise, it is good." in prompt and "same rating" in prompt


def test_throughput_is_printed(capsys):
    recs = RECORDS * 5
    start = time.perf_counter()
    n = sum(len(stage1_items(r)) + len(stage2_items(r)) + len(bench_items(r, n=2)) for r in recs)
    rate = n / (time.perf_counter() - start)
    print(f"text generation: {rate:,.0f} rows/s")
    assert n == len(recs) * (14 + 8 + 2)
