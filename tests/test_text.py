"""s2i_hf.text: every answer states the stored levels, yes/no is truthful and balanced, output is seeded and
clean chat, rating protection accepts faithful rewrites and rejects the rest; a golden justification."""

from __future__ import annotations

import json
import random
import re
import time

import pytest

from s2i_hf.dimensions import DIMENSION_IDS, DIMENSIONS, GROUPS
from s2i_hf.levels import DEFAULT_SCALE, LEVEL_WORDS
from s2i_hf.scoring.pipeline import DimensionScores
from s2i_hf.text import (
    TASKS,
    bench_items,
    build_rewrite_prompt,
    check_templates,
    expected_ratings,
    extract_ratings,
    justification,
    parse_ratings,
    record_from_scores,
    stage1_items,
    stage2_items,
    validate_record,
    verify_rewrite,
    what_how_items,
    yes_no_items,
)


DEFINITION = {d.id: d.definition for d in DIMENSIONS}


def make_record(video_id: str, scores: dict, caption=None) -> dict:
    """A text record as the builder makes one: levels from DimensionScores.from_scores, extra keys ignored."""
    ds = DimensionScores.from_scores(scores)
    return {
        "video_id": video_id,
        "scores": ds.scores,
        "levels": ds.levels,
        "group_levels": ds.group_levels,
        "overall_score": ds.overall_score,
        "overall_level": ds.overall_level,
        "caption": caption,
        "split": "train",
    }


def random_record(i: int) -> dict:
    """Scores spread over all levels: some records skew low, some high, some uniform."""
    rng = random.Random(i)
    skew = (0.3, 1.0, 2.5, 6.0)[i % 4]
    scores = {d: rng.random() ** skew for d in DIMENSION_IDS}
    if i % 17 == 5:  # every dimension at the same level
        scores = {d: 0.61 + 0.01 * rng.random() for d in DIMENSION_IDS}
    caption = ("a cyclist riding through a park", "Two dogs playing on a beach.", None)[i % 3]
    return make_record(f"video-{i:04d}", scores, caption=caption)


RECORDS = [random_record(i) for i in range(120)]


def answer(row) -> str:
    (turn,) = [m for m in row["messages"] if m["role"] == "assistant"]
    (block,) = turn["content"]
    return block["text"]


def question(row) -> str:
    user = row["messages"][0]
    return user["content"][1]["text"]


def target_of(row, rec) -> str:
    """The target a short row is about: its one dimension, its group, or the overall quality."""
    dims = row["dimensions"]
    if not dims:
        return "overall"
    if len(dims) == 1:
        return dims[0]
    return next(g for g in GROUPS if set(dims) == {d.id for d in DIMENSIONS if d.group == g})


# --- templates and records -----------------------------------------------------------------------------


def test_templates_are_consistent():
    assert check_templates() == []


def test_record_from_scores_follows_the_scale_and_aggregation():
    for rec in RECORDS[:10]:
        again = record_from_scores(rec["video_id"], rec["scores"], caption=rec["caption"])
        assert again == {k: v for k, v in rec.items() if k != "split"}
    rec = record_from_scores("v", dict.fromkeys(DIMENSION_IDS, 0.5))
    assert set(rec["levels"].values()) == {"fair"} and rec["group_levels"] == {
        "distortion": "fair",
        "aesthetic": "fair",
    }
    assert rec["overall_level"] == "fair" and abs(rec["overall_score"] - 0.5) < 1e-12
    for rec in RECORDS[:20]:
        assert all(rec["levels"][d] == DEFAULT_SCALE.level(rec["scores"][d]) for d in DIMENSION_IDS)
        assert rec["overall_level"] == DEFAULT_SCALE.level(rec["overall_score"])
        validate_record(rec)
    with pytest.raises(ValueError, match="video 'x'.*flicker"):
        record_from_scores("x", {d: 0.5 for d in DIMENSION_IDS if d != "flicker"})
    with pytest.raises(ValueError, match=r"video 'x'.*\[0, 1\].*noise"):
        record_from_scores("x", {**dict.fromkeys(DIMENSION_IDS, 0.5), "noise": 1.5})


def test_bad_records_get_a_clear_error():
    rec = dict(RECORDS[0], levels={**RECORDS[0]["levels"], "noise": "great"})
    with pytest.raises(ValueError, match=r"video 'video-0000'.*noise='great'"):
        stage1_items(rec)
    with pytest.raises(ValueError, match="overall_level"):
        justification(dict(RECORDS[0], overall_level=None))


# --- Stage I -------------------------------------------------------------------------------------------


def test_stage1_answers_state_exactly_the_stored_level():
    for rec in RECORDS:
        rows = stage1_items(rec, seed=11, include_overall=True)
        assert [r["dimensions"] for r in rows] == [[d] for d in DIMENSION_IDS] + [[]]
        for row in rows:
            assert row["task"] == "dimension_rating" and row["video_id"] == rec["video_id"]
            target = target_of(row, rec)
            level = rec["overall_level"] if target == "overall" else rec["levels"][target]
            text = answer(row)
            assert extract_ratings(text) == {target: level}, (text, target, level)
            assert re.findall(r"\b(?:" + "|".join(LEVEL_WORDS) + r")\b", text) == [level]  # the one level word
            if target != "overall":  # the definition, never the bare id, in question and answer
                assert DEFINITION[target] in question(row) and DEFINITION[target] in text
                assert "_" not in question(row) + text
        default = stage1_items(rec, seed=11)  # the default: exactly one row per dimension
        assert [r["dimensions"] for r in default] == [[d] for d in DIMENSION_IDS]
        for row in default:
            (dim,) = row["dimensions"]
            assert extract_ratings(answer(row))[dim] == rec["levels"][dim]


def test_stage1_items_of_chosen_dimensions_keep_their_phrasing():
    """``dimensions`` keeps only the named dimensions (catalogue order), each phrased as in the full set; an
    overall-only conversation is one turn; unknown names and an empty conversation are refused."""
    from s2i_hf.dataset_builder.config import BuildArguments
    from s2i_hf.text import stage1_conversation

    rec = RECORDS[0]
    full = {tuple(r["dimensions"]): r["messages"] for r in stage1_items(rec, seed=3, include_overall=True)}
    some = stage1_items(rec, seed=3, include_overall=True, dimensions=["noise", "sharpness"])
    assert [r["dimensions"] for r in some] == [["sharpness"], ["noise"], []]
    assert all(r["messages"] == full[tuple(r["dimensions"])] for r in some)
    only = stage1_conversation(rec, seed=3, include_overall=True, dimensions=[])
    assert only["dimensions"] == ["overall"] and len(only["messages"]) == 2
    assert answer({"messages": only["messages"]}) == answer({"messages": full[()]})
    with pytest.raises(ValueError, match="unknown dimension"):
        stage1_items(rec, dimensions=["sharpnes"])
    with pytest.raises(ValueError, match="at least one turn"):
        stage1_conversation(rec, include_overall=False, dimensions=[])
    assert BuildArguments(stage1_dimensions=["noise,sharpness"]).stage1_dimension_ids == ["sharpness", "noise"]
    assert (
        BuildArguments().stage1_dimension_ids is None
        and BuildArguments(stage1_dimensions=["none"]).stage1_dimension_ids == []
    )
    with pytest.raises(ValueError, match="needs --stage1_overall"):
        BuildArguments(stage1_dimensions=["none"], stage1_overall=False)
    with pytest.raises(ValueError, match="unknown sharpnes"):
        BuildArguments(stage1_dimensions=["sharpnes"])


# --- justification -------------------------------------------------------------------------------------


def test_every_justification_states_every_stored_level():
    for i, rec in enumerate(RECORDS):
        text = justification(rec, seed=i)
        parsed = parse_ratings(text)
        assert parsed.ratings() == expected_ratings(rec), text
        assert parsed.unattributed == 0 and not parsed.off_scale and not parsed.conflicts()
        assert re.search(rf"the overall quality of (this|the) video is {rec['overall_level']}\.$", text), (
            text
        )  # concludes
        for g, phrase in (("distortion", "the distortion-related quality"), ("aesthetic", "the aesthetic quality")):
            assert re.search(
                re.escape(phrase) + r"( of (this|the) video)? (is|comes out) " + rec["group_levels"][g], text
            ), (g, text)
        for d in DIMENSION_IDS:
            assert DEFINITION[d] in text
        assert "_" not in text
        if rec["caption"]:
            first = text.split(". ")[0]
            assert rec["caption"].rstrip(".")[1:] in first  # opens with the content description


@pytest.mark.parametrize(
    "caption",
    [
        "A room with poor lighting.",  # names an aspect with a level word of its own: quoted, never a rating
        "The noise is good and the overall quality is bad",
        "lighting poor The good sharpness",  # random-token captions of a tiny captioner
        "A dog jumps!",
        "Two  people\ntalk.",
    ],
)
def test_captions_enter_verbatim_and_never_rate(caption):
    for i, rec in enumerate(RECORDS[:12]):
        rec = dict(rec, caption=caption)
        text = justification(rec, seed=i)
        first = text.split(".")[0]
        assert "shows" in first
        body = " ".join(caption.split()).rstrip(".")
        assert body in text and not text.startswith(body)
        assert extract_ratings(text) == expected_ratings(rec), text
        assert verify_rewrite(text, text) == (True, [])
        if any(w in caption.lower().split() for w in LEVEL_WORDS):
            assert f'"{body}"' in text
        else:
            assert '"' not in text
    assert "!." not in justification(dict(RECORDS[0], caption="A dog jumps!"), 0)


def test_justification_is_hierarchical():
    rec = RECORDS[3]
    text = justification(rec, 0)

    def pos(phrase):
        return text.index(phrase)

    dist_dims = max(pos(DEFINITION[d]) for d in DIMENSION_IDS if d in ("sharpness", "noise", "flicker", "compression"))
    assert (
        dist_dims
        < pos("the distortion-related quality")
        < min(pos(DEFINITION[d]) for d in ("content", "color", "lighting"))
    )
    assert pos("the aesthetic quality") > max(
        pos(DEFINITION[d]) for d in ("content", "color", "lighting", "trajectory", "composition")
    )
    assert text.rindex("overall quality") > pos("the aesthetic quality")


# --- Stage II ------------------------------------------------------------------------------------------


def test_stage2_rows_are_truthful():
    for i, rec in enumerate(RECORDS):
        truth = expected_ratings(rec)
        rows = stage2_items(rec, seed=i, n_what_how=4, n_yes_no=5)
        assert [r["task"] for r in rows] == ["justification"] + ["what_how"] * 4 + ["yes_no"] * 5
        assert rows[0]["dimensions"] == list(DIMENSION_IDS)
        assert extract_ratings(answer(rows[0])) == truth
        for row in rows[1:]:
            stated = parse_ratings(answer(row))
            assert stated.stated and not stated.unattributed and not stated.conflicts(), answer(row)
            for target, level in stated.ratings().items():
                assert truth[target] == level, (question(row), answer(row))


def test_what_how_kinds_and_answers():
    rec = RECORDS[2]
    truth = expected_ratings(rec)
    rows = what_how_items(rec, seed=5, n=12)
    assert len(rows) == 12 and len({question(r) for r in rows}) == 12
    questions = " ".join(question(r) for r in rows)
    assert "weakest" in questions or "most problematic" in questions or "limits the quality" in questions
    for row in rows:
        q, a = question(row), answer(row)
        if "weakest" in q or "most problematic" in q or "limits the quality" in q:
            (d,) = row["dimensions"]
            assert truth[d] == min((truth[x] for x in DIMENSION_IDS), key=LEVEL_WORDS.index)
        if q.startswith("Which aspects"):
            level = next(w for w in LEVEL_WORDS if f" {w}?" in q)
            assert sorted(row["dimensions"]) == sorted(d for d in DIMENSION_IDS if truth[d] == level)
            assert extract_ratings(a) == dict.fromkeys(row["dimensions"], level)


def _yes_no_truth(q: str, true_level: str) -> bool:
    (asked,) = [w for w in LEVEL_WORDS if re.search(rf"\b{w}\b", q)]
    t, a = LEVEL_WORDS.index(true_level), LEVEL_WORDS.index(asked)
    if "or better" in q or "at least" in q:
        return t >= a
    if "or worse" in q or "at most" in q:
        return t <= a
    return t == a


@pytest.mark.parametrize("n", [1, 2, 4, 5, 8, 17, 20])
def test_yes_no_is_truthful_and_balanced(n):
    answers_seen = set()
    for i, rec in enumerate(RECORDS):
        rows = yes_no_items(rec, seed=i, n=n)
        assert len(rows) == n and all(r["task"] == "yes_no" for r in rows)
        verdicts = []
        for row in rows:
            target = target_of(row, rec)
            true = expected_ratings(rec)[target]
            verdict = answer(row).split(".")[0]
            assert verdict in ("Yes", "No")
            assert (verdict == "Yes") == _yes_no_truth(question(row), true), (question(row), answer(row), true)
            assert extract_ratings(answer(row)) == {target: true}  # the answer also states the truth
            verdicts.append(verdict)
            answers_seen.add(verdict)
        assert abs(verdicts.count("Yes") - verdicts.count("No")) <= 1, verdicts
        if n <= 17:
            assert len({target_of(r, rec) for r in rows}) == n  # distinct targets
    assert answers_seen == {"Yes", "No"}


def test_bench_items_have_checkable_references():
    for i, rec in enumerate(RECORDS[:40]):
        truth = expected_ratings(rec)
        items = bench_items(rec, seed=i, n=30)
        assert items[0]["question_type"] == "overall" and extract_ratings(items[0]["reference"]) == truth
        assert len({it["question"] for it in items}) == len(items)
        kinds = {it["question_type"] for it in items}
        assert {"overall", "group", "temporal", "dimension"} <= kinds
        assert ("content" in kinds) == bool(rec["caption"])
        for it in items:
            assert set(it) == {"video_id", "question", "reference", "question_type", "dimensions"}
            parsed = parse_ratings(it["reference"])
            assert parsed.stated and not parsed.unattributed
            for target, level in parsed.ratings().items():
                assert truth[target] == level
            for d in it["dimensions"]:
                assert d in truth
        assert [it["question"] for it in bench_items(rec, seed=i, n=2)] == [it["question"] for it in items[:2]]


# --- determinism and format ----------------------------------------------------------------------------


def _all_rows(rec, seed):
    return stage1_items(rec, seed) + stage2_items(rec, seed) + [{"bench": it} for it in bench_items(rec, seed, n=6)]


def test_same_seed_same_output_other_seed_other_output():
    for rec in RECORDS[:20]:
        assert _all_rows(rec, 3) == _all_rows(dict(rec), 3)
        assert justification(rec, 0) != justification(rec, 1)
        assert stage1_items(rec, 0) != stage1_items(rec, 1)
        assert stage2_items(rec, 0) != stage2_items(rec, 1)
        assert justification(rec, 0) != justification(dict(rec, video_id=rec["video_id"] + "x"), 0)


def test_global_random_state_is_untouched():
    random.seed(1234)
    expected = [random.random() for _ in range(3)]
    random.seed(1234)
    for rec in RECORDS[:5]:
        _all_rows(rec, 0)
    assert [random.random() for _ in range(3)] == expected


def _walk(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def test_rows_are_clean_chat():
    for rec in RECORDS[:30]:
        for row in stage1_items(rec) + stage2_items(rec, n_what_how=9, n_yes_no=6):
            assert set(row) == {"video_id", "messages", "task", "dimensions"} and row["task"] in TASKS
            assert all(d in DIMENSION_IDS for d in row["dimensions"])
            user, assistant = row["messages"]
            assert set(user) == set(assistant) == {"role", "content"}
            assert user["role"] == "user" and assistant["role"] == "assistant"
            assert user["content"][0] == {"type": "video"} and len(user["content"]) == 2
            for block in user["content"][1:] + assistant["content"]:
                assert set(block) == {"type", "text"} and block["type"] == "text" and block["text"].strip()
            for key, value in _walk(row["messages"]):
                assert value is not None and key in {"role", "content", "type", "text"}
            assert json.loads(json.dumps(row)) == row


# --- rating extraction and rewrite verification ---------------------------------------------------------

GOLDEN_SCORES = dict(zip(DIMENSION_IDS, [0.9, 0.85, 0.3, 0.7, 0.65, 0.5, 0.1, 0.95, 0.9, 0.45, 0.6, 0.8, 0.55, 0.75]))
GOLDEN_RECORD = record_from_scores("golden", GOLDEN_SCORES, caption="A street at night.")

# checked by hand: distortion 0.3 * mean(.9,.85,.3,.7,.65,.5,.1,.95,.9 = .65) + 0.7 * min .1 = .265 -> poor;
# aesthetic 0.3 * mean(.45,.6,.8,.55,.75 = .63) + 0.7 * .45 = .504 -> fair; overall .65 * .265 + .35 * .504 = .349 -> poor
GOLDEN = (
    "Here is what the video shows: A street at night. "
    "To judge this video, I first look at each aspect on its own and then combine them. "
    "I start with the technical side: the distortions introduced during shooting, compression and transmission. "
    "As for how free the frames are from compression artifacts such as blocks and smearing, it is bad, a serious flaw of the video. "
    "Also, in terms of how free the frames are from grain and noise, the video is poor, with problems that are easy to see. "
    "However, in terms of how well the frames are exposed, neither too dark nor too bright, the video is fair, which is acceptable though clearly imperfect. "
    "By comparison, when it comes to how clear moving objects stay while they move, and also how steady the camera is, free of shaking, I would rate the video good, which works in the video's favour. "
    "Also, regarding the clarity of fine details in the frames; how smoothly the video plays, free of stutters and frozen frames; how well the main subject is in focus; and the variation smoothness between adjacent frames, the video is excellent, which makes a very positive impression. "
    "Weighing them, the distortion-related quality is poor, as the stronger aspects partly make up for the weaker ones. "
    "Next, the aesthetic aspects. "
    "In terms of how vivid and harmonious the colors are, the video is excellent, with no visible problems. "
    "In addition, in terms of how well organized the layout of each scene is, and also how consistent and purposeful the camera movement is, the video is good in every respect, which supports a pleasant viewing experience. "
    "However, as for how interesting and meaningful the content is, and also how pleasant and well contrasted the lighting is, each of these is fair, with noticeable but tolerable shortcomings. "
    "Taking these aspects together, the aesthetic quality of the video is fair, held back by its weakest aspects. "
    "Since the distortion-related quality is poor and the aesthetic quality is fair, the overall quality of this video is poor."
)

# a faithful rewrite, written by hand: other words, other order, names and keywords instead of definitions
PARAPHRASE = (
    "At night, a street is shown. Technically, the video holds up in places: the sharpness is excellent, the focus is "
    "excellent, and both the fluency and the flicker are excellent too. Motion blur is good and the camera stability is good. "
    "The exposure is fair. The noise is poor, and compression artifacts are bad, which really hurts. "
    "All in all, the technical quality is poor. On the aesthetic side, the color is excellent, the composition is good "
    "and the camera movement is good, while the content is fair and the lighting is fair. The aesthetic quality is "
    "therefore fair. Since the technical quality is poor and the aesthetic quality is fair, the overall quality is poor."
)


def test_golden_justification():
    assert GOLDEN_RECORD["levels"]["compression"] == "bad" and GOLDEN_RECORD["group_levels"] == {
        "distortion": "poor",
        "aesthetic": "fair",
    }
    assert GOLDEN_RECORD["overall_level"] == "poor"
    assert justification(GOLDEN_RECORD, seed=0) == GOLDEN


def test_extract_ratings_reads_common_phrasings():
    assert extract_ratings("The sharpness is good, while the focus is poor.") == {"sharpness": "good", "focus": "poor"}
    assert extract_ratings("The video has excellent colors and bad lighting.") == {
        "color": "excellent",
        "lighting": "bad",
    }
    assert extract_ratings("These aspects are fair: the noise; the exposure; and the flicker.") == {
        "noise": "fair",
        "exposure": "fair",
        "flicker": "fair",
    }
    assert extract_ratings("With poor technical quality and good aesthetic quality, the overall quality is fair.") == {
        "distortion": "poor",
        "aesthetic": "good",
        "overall": "fair",
    }
    assert extract_ratings("On the aesthetic side, the composition is good.") == {"composition": "good"}
    assert (
        extract_ratings("Overall, the video is good.")
        == {"overall": "good"}
        == extract_ratings("The video is good overall.")
    )
    assert extract_ratings("Overall, the sharpness is good.") == {"sharpness": "good"}  # "overall" as a topic
    # the video itself as the subject of a level word that rates no aspect: the overall quality
    for text in ("The video is fair.", "The quality of this video is fair.", "This clip looks fair."):
        assert extract_ratings(text) == {"overall": "fair"}, text
    assert extract_ratings("The sharpness is good and the video is poor.") == {"sharpness": "good", "overall": "poor"}
    assert extract_ratings("The video is of poor quality.") == {"overall": "poor"}
    assert extract_ratings("Regarding the noise, the video is poor.") == {"noise": "poor"}  # an aspect is rated
    assert extract_ratings("The video is good in sharpness.") == {"sharpness": "good"}
    assert (
        extract_ratings("The video is not good.") == {} and parse_ratings("The video is not good.").unattributed == 1
    )
    assert extract_ratings("The audio is good.") == {}  # not the video
    assert extract_ratings("Excellent sharpness, good focus.") == {"sharpness": "excellent", "focus": "good"}
    assert extract_ratings("The camera isn't good, but the noise is fair.") == {"noise": "fair"}
    assert extract_ratings("The noise is not good.") == {}  # negated: no statement
    assert extract_ratings("The sharpness is good or excellent.") == {"sharpness": "good"}  # the hedge is unattributed
    assert parse_ratings("The sharpness is good or excellent.").unattributed == 1
    assert extract_ratings("The sound is good.") == {} and parse_ratings("The sound is good.").unattributed == 1
    assert extract_ratings("The noise is good. Later, the noise is poor.") == {}  # conflicting: left out
    assert parse_ratings("The noise is good. Later, the noise is poor.").conflicts() == {"noise": ["good", "poor"]}
    assert extract_ratings("") == {}


def test_verify_accepts_the_original_and_a_faithful_paraphrase():
    for rec in RECORDS[:30]:
        text = justification(rec, 0)
        assert verify_rewrite(text, text) == (True, [])
        assert verify_rewrite(rec, text) == (True, [])
    assert verify_rewrite(GOLDEN, PARAPHRASE) == (True, [])
    assert verify_rewrite(GOLDEN_RECORD, PARAPHRASE) == (True, [])
    for row in stage1_items(RECORDS[1]):  # short answers too
        assert verify_rewrite(answer(row), answer(row))[0]


def _kinds(result):
    ok, reasons = result
    assert not ok and reasons
    return {r.split(":")[0] for r in reasons}


def test_verify_rejects_changed_levels():
    assert _kinds(verify_rewrite(GOLDEN, PARAPHRASE.replace("The exposure is fair", "The exposure is good"))) == {
        "changed"
    }
    assert (
        "changed: exposure is fair in the original, good in the rewrite"
        in verify_rewrite(GOLDEN, PARAPHRASE.replace("The exposure is fair", "The exposure is good"))[1]
    )
    swapped = GOLDEN.replace("grain and noise, the video is poor", "grain and noise, the video is fair")
    assert _kinds(verify_rewrite(GOLDEN, swapped)) == {"changed"}
    assert _kinds(
        verify_rewrite(
            GOLDEN_RECORD,
            GOLDEN.replace("overall quality of this video is poor", "overall quality of this video is good"),
        )
    ) == {"changed"}
    # a changed level hidden behind a second statement of the same aspect
    assert _kinds(verify_rewrite(GOLDEN, PARAPHRASE + " Honestly, the exposure is poor.")) == {"conflicting"}
    # negated or off-scale statements do not keep a level
    assert "unattributed" in _kinds(
        verify_rewrite(GOLDEN, PARAPHRASE.replace("The exposure is fair", "The exposure is not fair"))
    )
    assert "off-scale" in _kinds(
        verify_rewrite(GOLDEN, PARAPHRASE.replace("The exposure is fair", "The exposure is average"))
    )
    # random records: change one level word at a random place
    for i, rec in enumerate(RECORDS[:30]):
        text = justification(rec, i)
        spots = list(re.finditer(r"\b(" + "|".join(LEVEL_WORDS) + r")\b", text))
        m = random.Random(i).choice(spots)
        other = next(w for w in LEVEL_WORDS if w != m.group(1))
        assert not verify_rewrite(text, text[: m.start()] + other + text[m.end() :])[0]


def test_verify_rejects_dropped_dimensions():
    dropped = PARAPHRASE.replace("The exposure is fair. ", "")
    ok, reasons = verify_rewrite(GOLDEN, dropped)
    assert not ok and reasons == ["missing: the rating of exposure (fair) is not stated"]
    no_color = GOLDEN.replace(
        "In terms of how vivid and harmonious the colors are, the video is excellent, with no visible problems. ", ""
    )
    assert verify_rewrite(GOLDEN_RECORD, no_color) == (
        False,
        ["missing: the rating of color (excellent) is not stated"],
    )
    no_overall = GOLDEN.rsplit(". ", 1)[0] + "."
    assert _kinds(verify_rewrite(GOLDEN, no_overall)) == {"missing"}
    # one definition removed from a list sentence
    no_focus = GOLDEN.replace("; how well the main subject is in focus", "")
    assert verify_rewrite(GOLDEN, no_focus) == (False, ["missing: the rating of focus (excellent) is not stated"])


def test_verify_rejects_garbage_and_additions():
    assert verify_rewrite(GOLDEN, "") == (False, ["empty: the rewrite is empty"])
    assert verify_rewrite(GOLDEN, "  \n ") == (False, ["empty: the rewrite is empty"])
    assert "missing" in _kinds(verify_rewrite(GOLDEN, "lorem ipsum dolor sit amet, consectetur adipiscing elit"))
    vocabulary = GOLDEN.split() + list(LEVEL_WORDS) * 3
    for seed in range(50):
        rng = random.Random(seed)
        salad = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 400)))
        assert not verify_rewrite(GOLDEN, salad)[0], salad
        shuffled = GOLDEN.split()
        rng.shuffle(shuffled)
        assert not verify_rewrite(GOLDEN, " ".join(shuffled))[0]
    # a level word attached to something the original does not rate
    assert _kinds(verify_rewrite(GOLDEN, PARAPHRASE + " The soundtrack is good.")) == {"unattributed"}
    short = answer(stage1_items(GOLDEN_RECORD)[0])  # about sharpness only
    assert _kinds(verify_rewrite(short, short + " The noise is poor.")) == {"added"}
    assert _kinds(verify_rewrite(GOLDEN, " ".join([PARAPHRASE] * 12))) == {"too long"}
    # an original that contradicts itself (e.g. through its caption) cannot be protected
    self_contradicting = "The video shows a room with poor lighting. " + GOLDEN.split(". ", 1)[1]
    assert verify_rewrite(self_contradicting, self_contradicting) == (
        False,
        ["unverifiable: the original states conflicting levels for lighting (fair/poor)"],
    )


def test_rewrite_prompt_lists_the_ratings_to_keep():
    prompt = build_rewrite_prompt(GOLDEN)
    assert GOLDEN in prompt and "bad, poor, fair, good, excellent" in prompt
    assert "- the overall quality: poor" in prompt and "- how free the frames are from grain and noise: poor" in prompt
    assert prompt.count("\n- ") == len(DIMENSION_IDS) + len(GROUPS) + 1
    assert "{x}" in build_rewrite_prompt("Braces {x} survive; the noise is good.")


# --- throughput (printed, never asserted) --------------------------------------------------------------


def test_generation_throughput_is_printed(capsys):
    records = RECORDS * 3
    for rec in records[:10]:  # warm-up
        _all_rows(rec, 0)
    start = time.perf_counter()
    n = 0
    for rec in records:
        n += len(stage1_items(rec, 0)) + len(stage2_items(rec, 0)) + len(bench_items(rec, 0, n=2))
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(
            f"\ntext generation: {n} rows from {len(records)} records in {elapsed:.3f} s = {n / elapsed:,.0f} rows/s on one core"
        )
    assert n == len(records) * (14 + 8 + 2)
