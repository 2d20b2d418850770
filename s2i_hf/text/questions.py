"""Question-answer items: Stage I "dimension -> rating", Stage II justification, what/how and balanced
yes/no questions, and open-ended bench questions with reference answers.

Rows follow the chat format of transformers processors and TRL: a user turn with a ``{"type": "video"}``
placeholder and the question, an assistant turn with the answer. Text blocks carry exactly ``type`` and
``text`` (no ``None`` padding).
"""

from __future__ import annotations

from ..dimensions import DIMENSION_IDS, DIMENSIONS, GROUPS
from ..levels import LEVEL_WORDS
from .justify import _dimension_sentence, justification, rng_for
from .templates import capitalise, definition, templates

__all__ = ["stage1_items", "stage2_items", "bench_items", "conversation"]

_INDEX = {w: i for i, w in enumerate(LEVEL_WORDS)}


def conversation(question: str, answer: str) -> list[dict]:
    return [
        {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": question}]},
        {"role": "assistant", "content": [{"type": "text", "text": answer}]},
    ]


def _row(record, task, question, answer, dims) -> dict:
    return {"video_id": record["video_id"], "messages": conversation(question, answer), "task": task, "dimensions": list(dims)}


def _fmt(tpl: str, dim: str | None = None, **kw) -> str:
    if dim is not None:
        kw["def"] = definition(dim)
        kw["Def"] = definition(dim, True)
    return tpl.format(**kw)


def stage1_items(record: dict, seed=0) -> list[dict]:
    """One short "dimension -> rating" item per dimension."""
    q = templates()["questions"]
    rng = rng_for(seed, record["video_id"], "stage1")
    rows = []
    for dim in DIMENSION_IDS:
        level = record["levels"][dim]
        rows.append(_row(record, "dimension_rating", _fmt(rng.choice(q["dimension_rating"]), dim), _fmt(rng.choice(q["dimension_answer"]), dim, level=level), [dim]))
    return rows


def _extremes(record):
    scores = record.get("scores") or {}
    key = (lambda d: (scores[d], d)) if scores else (lambda d: (_INDEX[record["levels"][d]], d))
    ordered = sorted(DIMENSION_IDS, key=key)
    return ordered[0], ordered[-1]


def _what_how_candidates(record, rng) -> list[tuple[str, str, list[str]]]:
    q = templates()["questions"]
    t = templates()
    levels = record["levels"]
    weakest, strongest = _extremes(record)
    out = [
        (rng.choice(q["overall_question"]), rng.choice(q["overall_answer"]).format(level=record["overall_level"]), []),
        (rng.choice(q["weakest_question"]), _fmt(rng.choice(q["weakest_answer"]), weakest, level=levels[weakest]), [weakest]),
        (rng.choice(q["strongest_question"]), _fmt(rng.choice(q["strongest_answer"]), strongest, level=levels[strongest]), [strongest]),
    ]
    for group in GROUPS:
        phrase = t["group_phrase"][group]
        dims = [d.id for d in DIMENSIONS if d.group == group]
        out.append((rng.choice(q["group_question"]).format(group=phrase), rng.choice(q["group_answer"]).format(Group=capitalise(phrase), level=record["group_levels"][group]), dims))
    for dim in rng.sample(list(DIMENSION_IDS), 4):
        out.append((_fmt(rng.choice(q["dimension_how"]), dim), _dimension_sentence(rng, dim, levels[dim]), [dim]))
    return out


def _yes_no(record, rng, n) -> list[tuple[str, str, list[str]]]:
    q = templates()["questions"]
    levels = record["levels"]
    dims = rng.sample(list(DIMENSION_IDS), min(n, len(DIMENSION_IDS)))
    answers = [i % 2 == 0 for i in range(len(dims))]  # balanced: yes, no, yes, no, ...
    rng.shuffle(answers)
    out = []
    for dim, yes in zip(dims, answers):
        true = levels[dim]
        asked = true if yes else rng.choice([w for w in LEVEL_WORDS if w != true])
        question = _fmt(rng.choice(q["yes_no"]), dim, level=asked)
        answer = _fmt(rng.choice(q["yes_answer" if yes else "no_answer"]), dim, level=true)
        out.append((question, answer, [dim]))
    return out


def stage2_items(record: dict, seed=0, n_what_how: int = 3, n_yes_no: int = 4) -> list[dict]:
    """The justification, ``n_what_how`` what/how items and ``n_yes_no`` balanced yes/no items."""
    q = templates()["questions"]
    rng = rng_for(seed, record["video_id"], "stage2")
    rows = [_row(record, "justification", rng.choice(q["justification"]), justification(record, seed), DIMENSION_IDS)]
    cands = _what_how_candidates(record, rng)
    for question, answer, dims in rng.sample(cands, min(n_what_how, len(cands))):
        rows.append(_row(record, "what_how", question, answer, dims))
    for question, answer, dims in _yes_no(record, rng, n_yes_no):
        rows.append(_row(record, "yes_no", question, answer, dims))
    return rows


def bench_items(record: dict, seed=0, n: int = 4) -> list[dict]:
    """Open-ended questions with reference answers (S2I-Bench style) for a held-out video."""
    q = templates()["questions"]
    t = templates()
    rng = rng_for(seed, record["video_id"], "bench")
    levels = record["levels"]
    weakest, strongest = _extremes(record)
    items = [
        {"question": rng.choice(q["bench_overall"]), "reference": justification(record, seed), "question_type": "overall", "dimensions": list(DIMENSION_IDS)},
        {"question": rng.choice(q["bench_weakest"]), "reference": _fmt(rng.choice(q["weakest_answer"]), weakest, level=levels[weakest]) + " " + _dimension_sentence(rng, weakest, levels[weakest]), "question_type": "weakest", "dimensions": [weakest]},
        {"question": rng.choice(q["bench_strongest"]), "reference": _fmt(rng.choice(q["strongest_answer"]), strongest, level=levels[strongest]), "question_type": "strongest", "dimensions": [strongest]},
    ]
    for group in GROUPS:
        phrase = t["group_phrase"][group]
        dims = [d.id for d in DIMENSIONS if d.group == group]
        ref = " ".join(_dimension_sentence(rng, d, levels[d]) for d in dims)
        ref += " " + rng.choice(t["group_statement"]).format(group=phrase, level=record["group_levels"][group])
        items.append({"question": rng.choice(q["bench_group"]).format(group=phrase), "reference": ref, "question_type": "group", "dimensions": dims})
    for dim in rng.sample(list(DIMENSION_IDS), len(DIMENSION_IDS)):
        items.append({"question": _fmt(rng.choice(q["bench_dimension"]), dim), "reference": _dimension_sentence(rng, dim, levels[dim]), "question_type": "dimension", "dimensions": [dim]})
    return items[:n]
