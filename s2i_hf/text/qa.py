"""Question-answer rows: Stage I "dimension -> rating", Stage II justification + what/how + balanced yes/no,
and open-ended S2I-Bench questions with reference answers.

Rows are chat conversations in the format of transformers processors and TRL: a user turn holding a
``{"type": "video"}`` placeholder and the question, an assistant turn holding the answer. Text blocks carry
exactly ``type`` and ``text``; nothing is ``None``. A row is
``{"video_id", "messages", "task", "dimensions"}`` with ``task`` one of ``dimension_rating``,
``justification``, ``what_how``, ``yes_no`` and ``dimensions`` the ids the row is about (empty for rows about
the overall quality only; a group's dimensions for rows about a group). Every answer states levels only in
the forms that :func:`s2i_hf.text.verify.extract_ratings` reads back, and always the stored ones.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Mapping, Sequence

from ..dimensions import DIMENSION_IDS, GROUPS
from ..levels import LEVEL_WORDS
from .cot import (
    Templates,
    bucket_sentences,
    content_sentence,
    dimension_sentence,
    group_statement,
    join_definitions,
    justification,
    load_templates,
    overall_statement,
    rng_for,
    upper_first,
    validate_record,
)


__all__ = [
    "TASKS",
    "bench_items",
    "conversation",
    "record_from_scores",
    "stage1_conversation",
    "stage1_items",
    "stage2_items",
    "what_how_items",
    "yes_no_items",
]

TASKS = ("dimension_rating", "justification", "what_how", "yes_no")
_ALL_DIMS = list(DIMENSION_IDS)


def conversation(question: str, answer: str) -> list[dict]:
    """One user question about the video and the assistant's answer, as chat messages."""
    return [
        {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": question}]},
        {"role": "assistant", "content": [{"type": "text", "text": answer}]},
    ]


def _row(video_id: str, task: str, question: str, answer: str, dims) -> dict:
    return {"video_id": video_id, "messages": conversation(question, answer), "task": task, "dimensions": list(dims)}


def _ranked(record: Mapping, t: Templates) -> list[str]:
    """Dimensions from weakest to strongest: by level, then by score when scores are given."""
    idx, levels = t.level_index, record["levels"]
    scores = record.get("scores")
    if isinstance(scores, Mapping) and all(isinstance(scores.get(d), numbers.Real) for d in DIMENSION_IDS):
        return sorted(DIMENSION_IDS, key=lambda d: (idx[levels[d]], scores[d]))
    return sorted(DIMENSION_IDS, key=lambda d: idx[levels[d]])


# --- records -------------------------------------------------------------------------------------------


def record_from_scores(video_id: str, scores: Mapping[str, float], *, caption: str | None = None, **kwargs) -> dict:
    """A text record ``{video_id, scores, levels, group_levels, overall_score, overall_level, caption}`` from
    the 14 dimension scores in [0, 1], through :meth:`s2i_hf.scoring.pipeline.DimensionScores.from_scores`
    (the catalogue's level scale and aggregation unless ``scale`` / ``aggregation`` are given)."""
    from ..scoring.pipeline import DimensionScores

    try:
        ds = DimensionScores.from_scores(scores, **kwargs)
    except ValueError as e:
        raise ValueError(f"video {video_id!r}: {e}") from None
    return {
        "video_id": str(video_id),
        "scores": ds.scores,
        "levels": ds.levels,
        "group_levels": ds.group_levels,
        "overall_score": ds.overall_score,
        "overall_level": ds.overall_level,
        "caption": caption,
    }


# --- Stage I -------------------------------------------------------------------------------------------


def stage1_items(
    record: Mapping,
    seed=0,
    *,
    include_overall: bool = False,
    dimensions: Sequence[str] | None = None,
    validate: bool = True,
) -> list[dict]:
    """One short "dimension -> rating" item per dimension, 14 in catalogue order (or those of ``dimensions``), each
    ``dimensions == [id]`` and an answer that names the dimension's definition and states its level. With
    ``include_overall`` one overall rating item (``dimensions`` empty) follows. Task ``dimension_rating``. A
    dimension's phrasing does not depend on which others are asked."""
    if validate:
        validate_record(record)
    t = load_templates()
    vid, levels = record["video_id"], record["levels"]
    rng = rng_for(seed, vid, "stage1")
    choice = rng.choice
    rows = [
        _row(vid, "dimension_rating", choice(t.dim_question[d]), choice(t.dim_answer[(d, levels[d])]), (d,))
        for d in DIMENSION_IDS
    ]
    if dimensions is not None:
        unknown = sorted(set(dimensions) - set(DIMENSION_IDS))
        if unknown:
            raise ValueError(f"unknown dimension(s) {', '.join(unknown)}; known: {', '.join(DIMENSION_IDS)}")
        wanted = set(dimensions)
        rows = [row for row, d in zip(rows, DIMENSION_IDS) if d in wanted]
    if include_overall:
        rows.append(
            _row(
                vid,
                "dimension_rating",
                choice(t.overall_question),
                choice(t.overall_answer[record["overall_level"]]),
                (),
            )
        )
    return rows


def stage1_conversation(
    record: Mapping,
    seed=0,
    *,
    include_overall: bool = True,
    dimensions: Sequence[str] | None = None,
    validate: bool = True,
) -> dict:
    """The Stage I items of :func:`stage1_items` as the turns of ONE multi-turn conversation, in an order shuffled
    per video by ``seed``: the video block sits in the first user turn only, so a model sees the clip once and
    learns every rating from that one pass. Returns ``{video_id, messages, task: "dimension_rating",
    dimensions}`` with ``dimensions[i]`` the dimension the i-th turn asks about (``"overall"`` for the overall
    rating)."""
    from ..data_layout import OVERALL

    items = stage1_items(record, seed, include_overall=include_overall, dimensions=dimensions, validate=validate)
    if not items:
        raise ValueError("a stage1 conversation needs at least one turn: name a dimension or include the overall one")
    rng_for(seed, record["video_id"], "stage1-order").shuffle(items)
    messages: list[dict] = []
    for i, item in enumerate(items):
        user, assistant = item["messages"]
        content = user["content"] if i == 0 else [b for b in user["content"] if b["type"] != "video"]
        messages += [{"role": "user", "content": content}, assistant]
    dims = [item["dimensions"][0] if item["dimensions"] else OVERALL for item in items]
    return {"video_id": record["video_id"], "messages": messages, "task": "dimension_rating", "dimensions": dims}


# --- Stage II: what / how ------------------------------------------------------------------------------


def _what_how(
    kind: str, record: Mapping, rng: random.Random, t: Templates, used: set, ranked: list
) -> tuple[str, str, tuple] | None:
    q = t.q
    levels = record["levels"]
    idx = t.level_index
    if kind == "dimension_how":
        free = [d for d in _ALL_DIMS if d not in used] or _ALL_DIMS
        d = rng.choice(free)
        used.add(d)
        return rng.choice(t.dim_how[d]), dimension_sentence(d, levels[d], rng, t), (d,)
    if kind in ("weakest", "strongest"):
        d = ranked[0] if kind == "weakest" else ranked[-1]
        lv = levels[d]
        answer = rng.choice(q[kind + "_answer"]).format(
            **{"def": t.definition[d]}, level=lv, impact=rng.choice(t.impact[lv])
        )
        return rng.choice(q[kind]), upper_first(answer), (d,)
    if kind == "which_level":
        present = sorted({levels[d] for d in _ALL_DIMS}, key=idx.__getitem__)
        lv = rng.choice(present)
        dims = [d for d in _ALL_DIMS if levels[d] == lv]
        answer = rng.choice(q["which_level_answer"]).format(level=lv, defs=join_definitions(dims, t))
        return rng.choice(q["which_level"]).format(level=lv), upper_first(answer), tuple(dims)
    if kind == "compare":
        a = rng.choice(_ALL_DIMS)
        others = [d for d in _ALL_DIMS if levels[d] != levels[a]]
        b = rng.choice(others)
        hi, lo = (a, b) if idx[levels[a]] > idx[levels[b]] else (b, a)
        question = rng.choice(q["compare"]).format(def_a=t.definition[a], def_b=t.definition[b])
        answer = rng.choice(q["compare_answer"]).format(
            def_hi=t.definition[hi], level_hi=levels[hi], def_lo=t.definition[lo], level_lo=levels[lo]
        )
        return upper_first(question), upper_first(answer), (a, b)
    if kind == "group_how":
        g = rng.choice(tuple(GROUPS))
        dims = list(t.group_dims[g])
        answer = " ".join([*bucket_sentences(dims, levels, rng, t), group_statement(g, record, rng, t)])
        return upper_first(rng.choice(q["group_how"]).format(group=t.group_phrase[g])), answer, tuple(t.group_dims[g])
    if kind == "group_rating":
        g = rng.choice(tuple(GROUPS))
        return (
            rng.choice(t.group_question[g]),
            rng.choice(t.group_answer[(g, record["group_levels"][g])]),
            tuple(t.group_dims[g]),
        )
    if kind == "overall_why":
        gl = record["group_levels"]
        answer = rng.choice(q["overall_why_answer"]).format(
            dist_group=t.group_phrase["distortion"],
            dist=gl["distortion"],
            aes_group=t.group_phrase["aesthetic"],
            aes=gl["aesthetic"],
            level=record["overall_level"],
        )
        return rng.choice(q["overall_why"]), upper_first(answer), ()
    if kind == "overall_rating":
        return rng.choice(t.overall_question), rng.choice(t.overall_answer[record["overall_level"]]), ()
    raise ValueError(f"unknown what/how kind {kind!r}")


_KINDS = (
    "dimension_how",
    "weakest",
    "strongest",
    "which_level",
    "compare",
    "group_how",
    "group_rating",
    "overall_why",
    "overall_rating",
)


def what_how_items(record: Mapping, seed=0, n: int = 3, *, validate: bool = True) -> list[dict]:
    """``n`` what/how items of distinct kinds (beyond the nine kinds: more "how is <definition>" items)."""
    if validate:
        validate_record(record)
    if n <= 0:
        return []
    t = load_templates()
    levels = record["levels"]
    rng = rng_for(seed, record["video_id"], "what_how")
    ranked = _ranked(record, t)
    uniform = levels[ranked[0]] == levels[ranked[-1]]
    kinds = [k for k in _KINDS if not (uniform and k in ("weakest", "strongest", "compare"))]
    rng.shuffle(kinds)
    chosen = kinds[:n] + ["dimension_how"] * max(0, n - len(kinds))
    used: set = set()
    rows = []
    for kind in chosen:
        question, answer, dims = _what_how(kind, record, rng, t, used, ranked)
        rows.append(_row(record["video_id"], "what_how", question, answer, dims))
    return rows


# --- Stage II: yes / no --------------------------------------------------------------------------------


def _asked_levels(relation: str, true: int, yes: bool) -> list[int]:
    """Levels that can be asked about under ``relation`` so that the truthful answer is ``yes``. "at least"
    and "at most" never ask about the scale's ends (always-true or exact questions)."""
    top = len(LEVEL_WORDS) - 1
    if relation == "exact":
        return [true] if yes else [i for i in range(top + 1) if i != true]
    inner = range(1, top)
    if relation == "at_least":
        return [i for i in inner if (i <= true) == yes]
    return [i for i in inner if (i >= true) == yes]  # at_most


def yes_no_items(record: Mapping, seed=0, n: int = 4, *, validate: bool = True) -> list[dict]:
    """``n`` yes/no items, balanced (|#yes - #no| <= 1) and truthful. Each asks whether a dimension (or a
    group, or the overall quality) is at / at least / at most a level; the answer says "Yes." or "No." and
    states the stored level."""
    if validate:
        validate_record(record)
    if n <= 0:
        return []
    t = load_templates()
    vid = record["video_id"]
    rng = rng_for(seed, vid, "yes_no")
    idx = t.level_index
    pool = [*_ALL_DIMS, "overall", *GROUPS]
    targets = rng.sample(pool, min(n, len(pool)))
    targets += [rng.choice(pool) for _ in range(n - len(targets))]
    answers = [True] * (n // 2) + [False] * (n // 2)
    if n % 2:
        answers.append(rng.random() < 0.5)
    rng.shuffle(answers)
    q = t.q
    rows = []
    for target, yes in zip(targets, answers):
        if target == "overall":
            true, family, dims = record["overall_level"], q["yes_no_overall"], ()
            statement = rng.choice(t.overall_answer[true])
            fields = {}
        elif target in GROUPS:
            true, family, dims = record["group_levels"][target], q["yes_no_group"], t.group_dims[target]
            statement = rng.choice(t.group_answer[(target, true)])
            fields = {"group": t.group_phrase[target]}
        else:
            true, family, dims = record["levels"][target], q["yes_no"], (target,)
            statement = rng.choice(t.dim_answer[(target, true)])
            fields = {"def": t.definition[target]}
        options = [
            (rel, lv) for rel in ("exact", "at_least", "at_most") for lv in [_asked_levels(rel, idx[true], yes)] if lv
        ]
        relation, asked = rng.choice(options)
        question = upper_first(rng.choice(family[relation]).format(level=LEVEL_WORDS[rng.choice(asked)], **fields))
        answer = rng.choice(q["yes" if yes else "no"]) + statement
        rows.append(_row(vid, "yes_no", question, answer, dims))
    return rows


# --- Stage II ------------------------------------------------------------------------------------------


def stage2_items(
    record: Mapping, seed=0, n_what_how: int = 3, n_yes_no: int = 4, *, validate: bool = True
) -> list[dict]:
    """The justification row (``dimensions``: all 14), then ``n_what_how`` what/how rows and ``n_yes_no``
    balanced yes/no rows."""
    if validate:
        validate_record(record)
    t = load_templates()
    vid = record["video_id"]
    rng = rng_for(seed, vid, "stage2")
    rows = [
        _row(
            vid,
            "justification",
            rng.choice(t.q["justification"]),
            justification(record, seed, validate=False),
            _ALL_DIMS,
        )
    ]
    rows += what_how_items(record, seed, n_what_how, validate=False)
    rows += yes_no_items(record, seed, n_yes_no, validate=False)
    return rows


# --- S2I-Bench -----------------------------------------------------------------------------------------


def _bench_item(kind: str, arg, record: Mapping, seed, rng: random.Random, t: Templates, ranked: list) -> dict:
    b = t.raw["bench"]
    q = t.q
    levels = record["levels"]
    if kind == "overall":
        question, reference, dims = rng.choice(b["overall"]), justification(record, seed, validate=False), _ALL_DIMS
    elif kind in ("weakest", "strongest"):
        d = ranked[0] if kind == "weakest" else ranked[-1]
        lv = levels[d]
        g = next(g for g in GROUPS if d in t.group_dims[g])
        first = upper_first(
            rng.choice(q[kind + "_answer"]).format(
                **{"def": t.definition[d]}, level=lv, impact=rng.choice(t.impact[lv])
            )
        )
        question, dims = rng.choice(b[kind]), [d]
        reference = " ".join(
            [
                first,
                group_statement(g, record, rng, t, standalone=True),
                upper_first(overall_statement(record, rng, t)),
            ]
        )
    elif kind == "group":
        dims = list(t.group_dims[arg])
        question = upper_first(rng.choice(b["group"]).format(group=t.group_phrase[arg]))
        reference = " ".join([*bucket_sentences(dims, levels, rng, t), group_statement(arg, record, rng, t)])
    elif kind == "temporal":
        dims = list(t.temporal_dimensions)
        question, reference = rng.choice(b["temporal"]), " ".join(bucket_sentences(dims, levels, rng, t))
    elif kind == "content":
        question, dims = rng.choice(b["content"]), []
        reference = " ".join(
            [content_sentence(record["caption"], rng, t), rng.choice(t.overall_answer[record["overall_level"]])]
        )
    elif kind == "dimension":
        dims = [arg]
        question = upper_first(rng.choice(b["dimension"]).format(**{"def": t.definition[arg]}))
        reference = dimension_sentence(arg, levels[arg], rng, t)
    else:
        raise ValueError(f"unknown bench question type {kind!r}")
    return {
        "video_id": record["video_id"],
        "question": question,
        "reference": reference,
        "question_type": kind,
        "dimensions": list(dims),
    }


def bench_items(record: Mapping, seed=0, n: int = 4, *, validate: bool = True) -> list[dict]:
    """Up to ``n`` open-ended questions with reference answers for a held-out video: first the overall
    justification question, then a seeded mix of weakest / strongest aspect, each group, temporal behaviour,
    content (with a caption) and single-dimension questions. Items are dicts ``{video_id, question,
    reference, question_type, dimensions}``; questions within a video are distinct."""
    if validate:
        validate_record(record)
    if n <= 0:
        return []
    t = load_templates()
    rng = rng_for(seed, record["video_id"], "bench")
    ranked = _ranked(record, t)
    levels = record["levels"]
    kinds: list[tuple[str, object]] = [("group", g) for g in GROUPS] + [("temporal", None)]
    if levels[ranked[0]] != levels[ranked[-1]]:
        kinds += [("weakest", None), ("strongest", None)]
    caption = record.get("caption")
    if caption and caption.strip():
        kinds.append(("content", None))
    rng.shuffle(kinds)
    dims = list(_ALL_DIMS)
    rng.shuffle(dims)
    plan = [("overall", None), *kinds, *(("dimension", d) for d in dims)][:n]
    return [_bench_item(kind, arg, record, seed, rng, t, ranked) for kind, arg in plan]
