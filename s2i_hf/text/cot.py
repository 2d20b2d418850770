"""The hierarchical chain-of-thought justification of one scored video, and the template machinery shared
by :mod:`s2i_hf.text`.

Bottom-up, as in Score2Instruct: (optional content description) -> for each group (distortion, aesthetic)
the impact of its dimensions, grouped by level into strengths and weaknesses -> an intermediate rating of
the group -> the overall rating from both groups. Dimensions appear through their definitions. Every
sentence that states a level follows the rules of ``catalog/templates.yaml``, so that
:func:`s2i_hf.text.verify.extract_ratings` reads every level back.

Everything that does not depend on a record is formatted once (:func:`load_templates`): per (dimension,
level) the one-dimension sentences and the short answers, per dimension the questions. Generation then is
mostly ``rng.choice`` over tuples of ready strings.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product

from ..catalog import load_yaml
from ..dimensions import DIMENSION_IDS, DIMENSIONS, GROUPS, dimensions_in_group
from ..levels import LEVEL_WORDS


__all__ = [
    "Templates",
    "bucket_sentences",
    "caption_body",
    "content_sentence",
    "dimension_sentence",
    "group_reason_kind",
    "group_statement",
    "join_definitions",
    "justification",
    "level_buckets",
    "load_templates",
    "overall_statement",
    "rng_for",
    "validate_record",
]

_LEVELS = frozenset(LEVEL_WORDS)
_WORDS = re.compile(r"[a-z]+")

# --- templates -----------------------------------------------------------------------------------------


def upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def lower_first(s: str) -> str:
    return s[:1].lower() + s[1:]


def rng_for(seed, video_id: str, task: str) -> random.Random:
    """The RNG of one (seed, video, task): never global state, identical on every machine and Python run."""
    return random.Random(f"{seed}:{video_id}:{task}")


def _tuple(x) -> tuple[str, ...]:
    if isinstance(x, str):
        return (x,)
    return tuple(str(v) for v in x)


@dataclass(frozen=True)
class Templates:
    raw: dict
    definition: Mapping[str, str]  # dim -> definition
    Definition: Mapping[str, str]  # dim -> capitalised definition
    level_index: Mapping[str, int]  # level word -> 0 (worst) .. 4
    polarity: Mapping[str, int]
    group_dims: Mapping[str, tuple[str, ...]]
    group_phrase: Mapping[str, str]
    # justification pieces
    caption: tuple[str, ...]
    intro: tuple[str, ...]
    group_intro: Mapping[str, tuple[str, ...]]
    single: Mapping[tuple[str, str], tuple[str, ...]]  # (dim, level) -> ready sentences, capitalised
    single_lower: Mapping[tuple[str, str], tuple[str, ...]]  # the same, first letter lower case
    many: tuple[str, ...]
    impact: Mapping[str, tuple[str, ...]]
    contrast: tuple[str, ...]
    cont: tuple[str, ...]
    group_statement: Mapping[tuple[str, str, str], tuple[str, ...]]  # (group, level, reason kind) -> ready
    group_summary: Mapping[tuple[str, str, str], tuple[str, ...]]  # the same, standing alone
    overall_statement: tuple[str, ...]
    # QA pieces
    q: dict
    dim_question: Mapping[str, tuple[str, ...]]  # dim -> ready Stage I questions
    dim_answer: Mapping[tuple[str, str], tuple[str, ...]]  # (dim, level) -> ready short answers
    dim_how: Mapping[str, tuple[str, ...]]
    overall_question: tuple[str, ...]
    overall_answer: Mapping[str, tuple[str, ...]]
    group_question: Mapping[str, tuple[str, ...]]
    group_answer: Mapping[tuple[str, str], tuple[str, ...]]
    list_pair: str
    list_sep: str
    list_last: str
    temporal_dimensions: tuple[str, ...]


def _build(raw: dict) -> Templates:
    definition = {d.id: d.definition for d in DIMENSIONS}
    Definition = {k: upper_first(v) for k, v in definition.items()}
    levels = LEVEL_WORDS
    impact = {lv: _tuple(raw["impact"][lv]) for lv in levels}
    single, single_lower = {}, {}
    for dim, lv in product(definition, levels):
        out = tuple(
            t.format(**{"def": definition[dim], "Def": Definition[dim]}, level=lv, impact=imp)
            for t in raw["dimension_single"]
            for imp in impact[lv]
        )
        single[(dim, lv)] = tuple(upper_first(s) for s in out)
        single_lower[(dim, lv)] = tuple(lower_first(s) for s in out)
    group_phrase = {g: str(raw["group_phrase"][g]) for g in GROUPS}
    reasons = {k: _tuple(v) for k, v in raw["group_reason"].items()}

    def per_group(tpls):
        return {
            (g, lv, kind): tuple(
                upper_first(t.format(group=group_phrase[g], Group=upper_first(group_phrase[g]), level=lv, reason=r))
                for t in tpls
                for r in rs
            )
            for g in GROUPS
            for lv in levels
            for kind, rs in reasons.items()
        }

    group_statement = per_group(raw["group_statement"])
    group_summary = per_group(raw["group_summary"])
    q = raw["questions"]

    def fmt_d(tpls, dim, **kw):
        return tuple(upper_first(t.format(**{"def": definition[dim], "Def": Definition[dim]}, **kw)) for t in tpls)

    return Templates(
        raw=raw,
        definition=definition,
        Definition=Definition,
        level_index={w: i for i, w in enumerate(levels)},
        polarity={lv: int(raw["polarity"][lv]) for lv in levels},
        group_dims={g: tuple(d.id for d in dimensions_in_group(g)) for g in GROUPS},
        group_phrase=group_phrase,
        caption=_tuple(raw["caption"]),
        intro=_tuple(raw["intro"]),
        group_intro={g: _tuple(raw["group_intro"][g]) for g in GROUPS},
        single=single,
        single_lower=single_lower,
        many=_tuple(raw["dimension_many"]),
        impact=impact,
        contrast=_tuple(raw["connector"]["contrast"]),
        cont=_tuple(raw["connector"]["continue"]),
        group_statement=group_statement,
        group_summary=group_summary,
        overall_statement=_tuple(raw["overall_statement"]),
        q=q,
        dim_question={dim: fmt_d(q["dimension_rating"], dim) for dim in definition},
        dim_answer={(dim, lv): fmt_d(q["dimension_answer"], dim, level=lv) for dim in definition for lv in levels},
        dim_how={dim: fmt_d(q["dimension_how"], dim) for dim in definition},
        overall_question=_tuple(q["overall_rating"]),
        overall_answer={lv: tuple(t.format(level=lv) for t in q["overall_answer"]) for lv in levels},
        group_question={
            g: tuple(upper_first(t.format(group=group_phrase[g])) for t in q["group_rating"]) for g in GROUPS
        },
        group_answer={
            (g, lv): tuple(
                upper_first(t.format(group=group_phrase[g], Group=upper_first(group_phrase[g]), level=lv))
                for t in q["group_answer"]
            )
            for g in GROUPS
            for lv in levels
        },
        list_pair=str(raw["list"]["pair"]),
        list_sep=str(raw["list"]["separator"]),
        list_last=str(raw["list"]["last"]),
        temporal_dimensions=_tuple(raw["temporal_dimensions"]),
    )


@cache
def load_templates() -> Templates:
    """The packaged templates, parsed and pre-formatted once per process."""
    raw = load_yaml("templates.yaml")
    missing = [
        k
        for k in (
            "caption",
            "intro",
            "group_intro",
            "dimension_single",
            "dimension_many",
            "impact",
            "connector",
            "polarity",
            "group_phrase",
            "group_statement",
            "group_summary",
            "group_reason",
            "overall_statement",
            "questions",
            "bench",
            "rewrite_prompt",
            "aliases",
            "verify",
            "list",
            "temporal_dimensions",
        )
        if k not in raw
    ]
    if missing:
        raise ValueError(f"s2i_hf/catalog/templates.yaml lacks the sections {missing}")
    return _build(raw)


def join_definitions(dims: Sequence[str], t: Templates | None = None) -> str:
    """Definitions of several dimensions as one list ("A as well as B", "A; B; and C")."""
    t = t or load_templates()
    defs = [t.definition[d] for d in dims]
    if len(defs) == 1:
        return defs[0]
    if len(defs) == 2:
        return t.list_pair.format(a=defs[0], b=defs[1])
    return t.list_sep.join(defs[:-1]) + t.list_last + defs[-1]


# --- records -------------------------------------------------------------------------------------------


def validate_record(record: Mapping) -> None:
    """Raise ``ValueError`` naming the video and the field when a record cannot be turned into text."""
    vid = record.get("video_id") if isinstance(record, Mapping) else None
    if not isinstance(vid, str) or not vid:
        raise ValueError(f"record needs a non-empty string video_id, got {vid!r}")
    levels = record.get("levels")
    if not isinstance(levels, Mapping):
        raise ValueError(f"video {vid!r}: 'levels' must map dimension ids to level words")
    bad = [d for d in DIMENSION_IDS if levels.get(d) not in _LEVELS]
    if bad:
        raise ValueError(
            f"video {vid!r}: missing or unknown level for {bad} (levels are {', '.join(LEVEL_WORDS)}): "
            + ", ".join(f"{d}={levels.get(d)!r}" for d in bad)
        )
    groups = record.get("group_levels")
    if not isinstance(groups, Mapping) or any(groups.get(g) not in _LEVELS for g in GROUPS):
        raise ValueError(f"video {vid!r}: 'group_levels' must give a level word for {list(GROUPS)}, got {groups!r}")
    if record.get("overall_level") not in _LEVELS:
        raise ValueError(f"video {vid!r}: unknown overall_level {record.get('overall_level')!r}")
    caption = record.get("caption")
    if caption is not None and not isinstance(caption, str):
        raise ValueError(f"video {vid!r}: caption must be a string or None, got {type(caption).__name__}")


# --- the justification ---------------------------------------------------------------------------------


def caption_body(caption: str, t: Templates | None = None) -> str:
    """The caption as it enters the text: verbatim (whitespace runs made single spaces, a final period left to
    the template), in double quotes when it holds a level word, so that a caption such as "a room with poor
    lighting" is quoted content, never a rating (:mod:`s2i_hf.text.verify` skips quoted spans)."""
    body = caption.strip()
    if any(c in body for c in "\n\t\r\f\v"):
        body = " ".join(body.split())
    body = body.rstrip(".")
    if any(w in _LEVELS for w in _WORDS.findall(body.lower())):
        body = '"' + body.replace('"', "'") + '"'
    return body


def content_sentence(caption: str, rng: random.Random, t: Templates | None = None) -> str:
    """The opening content description ("Here is what the video shows: <caption>.")."""
    t = t or load_templates()
    body = caption_body(caption, t)
    sentence = rng.choice(t.caption).format(caption=body)
    if body[-1:] in "!?" and sentence.endswith(body + "."):
        sentence = sentence[:-1]
    return sentence


def dimension_sentence(
    dim: str, level: str, rng: random.Random, t: Templates | None = None, lower: bool = False
) -> str:
    """One dimension's impact at its level ("Regarding <definition>, the video is <level>, which ...")."""
    t = t or load_templates()
    return rng.choice((t.single_lower if lower else t.single)[(dim, level)])


def level_buckets(dims: Sequence[str], levels: Mapping[str, str]) -> dict[str, list[str]]:
    """level -> the dimensions (of ``dims``, in order) at that level."""
    out: dict[str, list[str]] = {}
    for d in dims:
        out.setdefault(levels[d], []).append(d)
    return out


def bucket_sentences(
    dims: Sequence[str], levels: Mapping[str, str], rng: random.Random, t: Templates | None = None
) -> list[str]:
    """The impact sentences of ``dims``: one sentence per level, strengths and weaknesses apart, ordered best
    first or worst first (seeded), with a connector where the polarity turns."""
    t = t or load_templates()
    buckets = level_buckets(dims, levels)
    order = sorted(buckets, key=t.level_index.__getitem__, reverse=rng.random() < 0.5)
    out = []
    prev = None
    last_connector = ""
    for level in order:
        members = buckets[level]
        pol = t.polarity[level]
        connector = ""
        if prev is not None:
            options = t.contrast if pol != prev else t.cont
            connector = rng.choice(options)
            if connector == last_connector and len(options) > 1:  # no "However, ... However, ..."
                connector = rng.choice([c for c in options if c != last_connector])
            last_connector = connector
        if len(members) == 1:
            sentence = rng.choice((t.single_lower if connector else t.single)[(members[0], level)])
        else:
            rng.shuffle(members)
            sentence = rng.choice(t.many).format(
                defs=join_definitions(members, t), level=level, impact=rng.choice(t.impact[level])
            )
            if connector:
                sentence = lower_first(sentence)
        out.append(connector + sentence)
        prev = pol
    return out


def group_reason_kind(group: str, record: Mapping, t: Templates | None = None) -> str:
    """Why the group has its level, from its dimensions' levels: uniform | held_back | offset | other."""
    t = t or load_templates()
    idx = t.level_index
    levels = record["levels"]
    values = [idx[levels[d]] for d in t.group_dims[group]]
    g = idx[record["group_levels"][group]]
    lo, hi = min(values), max(values)
    if lo == g == hi:
        return "uniform"
    if lo == g < hi:
        return "held_back"
    if lo < g <= hi:
        return "offset"
    return "other"


def group_statement(
    group: str, record: Mapping, rng: random.Random, t: Templates | None = None, *, standalone: bool = False
) -> str:
    """The intermediate rating of a group, with the reason drawn from its dimensions' levels. ``standalone``:
    phrased to stand without the dimension sentences before it."""
    t = t or load_templates()
    table = t.group_summary if standalone else t.group_statement
    return rng.choice(table[(group, record["group_levels"][group], group_reason_kind(group, record, t))])


def overall_statement(record: Mapping, rng: random.Random, t: Templates | None = None) -> str:
    """The overall rating, derived from both groups."""
    t = t or load_templates()
    g = record["group_levels"]
    tpl = rng.choice(t.overall_statement)
    return tpl.format(
        dist_group=t.group_phrase["distortion"],
        dist=g["distortion"],
        aes_group=t.group_phrase["aesthetic"],
        aes=g["aesthetic"],
        level=record["overall_level"],
    )


def justification(record: Mapping, seed=0, *, validate: bool = True) -> str:
    """The full hierarchical justification of one record (``levels``, ``group_levels``, ``overall_level``,
    optional ``caption``). Deterministic in (``seed``, ``video_id``)."""
    if validate:
        validate_record(record)
    t = load_templates()
    rng = rng_for(seed, record["video_id"], "justification")
    parts = []
    caption = record.get("caption")
    if caption and caption.strip():
        parts.append(content_sentence(caption, rng, t))
    parts.append(rng.choice(t.intro))
    levels = record["levels"]
    for group in GROUPS:
        parts.append(rng.choice(t.group_intro[group]))
        parts.extend(bucket_sentences(list(t.group_dims[group]), levels, rng, t))
        parts.append(group_statement(group, record, rng, t))
    parts.append(upper_first(overall_statement(record, rng, t)))
    return " ".join(parts)
