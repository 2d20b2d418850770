"""Reading ratings back out of text, and verifying rating-protected rewrites.

A *target* is a dimension id, a group (``distortion``, ``aesthetic``) or ``overall``. Text names a target by
a dimension's definition or by one of the names and paraphrase keywords in ``catalog/templates.yaml``
(``aliases``; where names overlap the longest wins). Inside each sentence (split at ``. ! ?`` and line breaks,
never at semicolons), level words attach to targets by position:

1. a level word rates the not yet rated targets named since the previous level word ("Regarding X and Y,
   the video is good"; "X is good, while Y is poor");
2. a level word with no such target rates the targets after it when a colon follows it ("These aspects are
   good: X; Y"), or the one target right after it ("good X", at most two words between, no punctuation);
3. when the targets a level word rates mix ranks (dimensions, groups, the overall quality), only the most
   specific rank is rated: the others are the topic ("On the aesthetic side, the color is good");
4. a level word that rates nothing by rules 1-2 and directly follows the video itself as subject ("The video is
   fair."; "the quality of this video is poor"; ``verify.video_subjects`` then ``verify.video_verbs``) rates the
   overall quality;
5. a level word with a modifier among the last words before it ("not good", "better than fair", "good or
   excellent"; ``verify.modifiers``), or one that rates nothing by rules 1-4, is *unattributed*.

Targets named without any level word state nothing and are ignored. Quoted content of several words (in
double quotes, straight or curly) is skipped: the justification quotes a caption that holds a level word.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from ..dimensions import DIMENSION_IDS, DIMENSIONS, GROUPS
from ..levels import LEVEL_WORDS
from .cot import load_templates


__all__ = [
    "TARGETS",
    "ParsedRatings",
    "build_rewrite_prompt",
    "expected_ratings",
    "extract_ratings",
    "parse_ratings",
    "target_phrase",
    "verify_rewrite",
]

TARGETS: tuple[str, ...] = ("overall", *GROUPS, *DIMENSION_IDS)
_RANK = {"overall": 2, **dict.fromkeys(GROUPS, 1), **dict.fromkeys(DIMENSION_IDS, 0)}
_LEVEL_SET = frozenset(LEVEL_WORDS)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# quoted content of several words (a caption holding a level word) states no rating; one quoted word
# ('the "sharpness" is good') is not skipped
_QUOTED = re.compile(r'"[^"\n]*\s[^"\n]*"|\u201c[^\u201d\n]*\s[^\u201d\n]*\u201d')
_PRENOMINAL_GAP = re.compile(r"[ \t]*(?:[a-z'-]+[ \t]+){0,%d}")


@dataclass(frozen=True)
class _Vocab:
    regex: re.Pattern
    phrase_target: Mapping[str, str]
    modifiers: frozenset
    window: int
    prenominal: re.Pattern
    video_subject: re.Pattern
    off_scale: frozenset
    max_length_ratio: float


@cache
def _vocab() -> _Vocab:
    raw = load_templates().raw
    phrase_target: dict[str, str] = {}

    def add(phrase: str, target: str):
        p = " ".join(phrase.lower().split())
        if not p:
            return
        if p in _LEVEL_SET or any(w in _LEVEL_SET for w in _WORD.findall(p)):
            raise ValueError(f"templates.yaml: the name {phrase!r} of {target!r} contains a level word")
        if phrase_target.get(p, target) != target:
            raise ValueError(
                f"templates.yaml: the name {phrase!r} is given to both {phrase_target[p]!r} and {target!r}"
            )
        phrase_target[p] = target

    aliases = raw["aliases"]
    unknown = set(aliases) - set(TARGETS)
    if unknown:
        raise ValueError(f"templates.yaml: aliases for unknown targets {sorted(unknown)}")
    for d in DIMENSIONS:
        add(d.definition, d.id)
        add(d.name, d.id)
    for target, names in aliases.items():
        for n in names:
            add(str(n), target)
    for target in ("overall", *GROUPS):
        if not any(t == target for t in phrase_target.values()):
            raise ValueError(f"templates.yaml: no alias names the target {target!r}")
    words = sorted({*phrase_target, *LEVEL_WORDS}, key=lambda s: (-len(s), s))
    regex = re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in words) + r")(?![a-z0-9])")
    v = raw["verify"]
    return _Vocab(
        regex=regex,
        phrase_target=phrase_target,
        modifiers=frozenset(str(m).lower() for m in v["modifiers"]),
        window=int(v["window"]),
        prenominal=re.compile(_PRENOMINAL_GAP.pattern % int(v["prenominal_gap_words"])),
        video_subject=_phrase_then(v["video_subjects"], v["video_verbs"]),
        off_scale=frozenset(str(w).lower() for w in v["off_scale"]),
        max_length_ratio=float(v["max_length_ratio"]),
    )


def _phrase_then(subjects, verbs) -> re.Pattern:
    """A pattern for text that ends with one of ``subjects`` then one of ``verbs`` (words apart by spaces)."""

    def alternatives(phrases):
        words = sorted({" ".join(str(p).lower().split()) for p in phrases}, key=lambda p: (-len(p), p))
        return "|".join(r"[ \t]+".join(re.escape(w) for w in p.split()) for p in words if p)

    return re.compile(r"(?<![a-z0-9'])(?:%s)[ \t]+(?:%s)[ \t]*$" % (alternatives(subjects), alternatives(verbs)))


@dataclass
class ParsedRatings:
    """Everything :func:`parse_ratings` found: each target's stated levels (in order), the number of level
    words that rate nothing clearly, and quality words outside the scale (outside aspect names)."""

    stated: dict[str, list[str]] = field(default_factory=dict)
    unattributed: int = 0
    unattributed_examples: list[str] = field(default_factory=list)
    off_scale: Counter = field(default_factory=Counter)

    def ratings(self) -> dict[str, str]:
        """target -> level for every target stated with exactly one level (conflicting targets left out)."""
        return {k: v[0] for k, v in self.stated.items() if len(set(v)) == 1}

    def conflicts(self) -> dict[str, list[str]]:
        return {k: sorted(set(v)) for k, v in self.stated.items() if len(set(v)) > 1}


def _parse_sentence(s: str, vocab: _Vocab, out: ParsedRatings) -> None:
    items = []  # (is_level, start, end, value)
    for m in vocab.regex.finditer(s):
        w = m.group(0)
        if w in _LEVEL_SET:
            items.append((True, m.start(), m.end(), w))
        else:
            items.append((False, m.start(), m.end(), vocab.phrase_target[w]))
    # quality words outside the scale, counted outside aspect names
    pos = 0
    for _, st, en, _ in items:
        for w in _WORD.findall(s, pos, st):
            if w in vocab.off_scale:
                out.off_scale[w] += 1
        pos = en
    for w in _WORD.findall(s, pos):
        if w in vocab.off_scale:
            out.off_scale[w] += 1
    level_at = [i for i, it in enumerate(items) if it[0]]
    if not level_at:
        return
    claimed = [False] * len(items)
    prev = -1
    for k, li in enumerate(level_at):
        nxt = level_at[k + 1] if k + 1 < len(level_at) else len(items)
        _, lst, len_, level = items[li]
        gap_start = items[li - 1][2] if li > 0 else 0
        before = _WORD.findall(s, gap_start, lst)[-vocab.window :] if vocab.window > 0 else []
        negated = any(w in vocab.modifiers or w.endswith("n't") for w in before)
        targets = [j for j in range(prev + 1, li) if not claimed[j]]
        if not targets and li + 1 < nxt:
            first = li + 1
            gap = s[len_ : items[first][1]]
            if gap.lstrip().startswith(":"):
                targets = list(range(first, nxt))
            elif vocab.prenominal.fullmatch(gap):
                targets = [first]
        if not targets and not negated and vocab.video_subject.search(s, gap_start, lst):
            out.stated.setdefault("overall", []).append(level)  # rule 4: "the video is fair"
            prev = li
            continue
        for j in targets:
            claimed[j] = True
        if len(targets) > 1:
            # "On the aesthetic side, the color is good": a group (or the overall quality) named together with
            # more specific aspects is the topic, not a rated target; the most specific rank is rated
            rank = min(_RANK[items[j][3]] for j in targets)
            targets = [j for j in targets if _RANK[items[j][3]] == rank]
        prev = li
        if negated or not targets:
            out.unattributed += 1
            if len(out.unattributed_examples) < 5:
                out.unattributed_examples.append(s.strip()[:160])
            continue
        seen = set()
        for j in targets:
            target = items[j][3]
            if target not in seen:
                seen.add(target)
                out.stated.setdefault(target, []).append(level)


def parse_ratings(text: str) -> ParsedRatings:
    """Every rating ``text`` states, sentence by sentence (see the module docstring for the rules)."""
    vocab = _vocab()
    out = ParsedRatings()
    if not text:
        return out
    low = text.lower()
    if '"' in low or "\u201c" in low:
        low = _QUOTED.sub('""', low)
    for sentence in _SENTENCE.split(_SPACES.sub(" ", low)):
        if sentence:
            _parse_sentence(sentence, vocab, out)
    return out


def extract_ratings(text: str) -> dict[str, str]:
    """target -> level stated in ``text``; targets are dimension ids, ``distortion``, ``aesthetic`` and
    ``overall``. A target stated with two different levels is left out (use :func:`parse_ratings` to see it)."""
    return parse_ratings(text).ratings()


def expected_ratings(record: Mapping) -> dict[str, str]:
    """What a full justification of ``record`` must state: every dimension, both groups, the overall level."""
    return {
        **{d: record["levels"][d] for d in DIMENSION_IDS},
        **{g: record["group_levels"][g] for g in GROUPS},
        "overall": record["overall_level"],
    }


def target_phrase(target: str) -> str:
    """How a target is named in prompts: a dimension's definition, a group's phrase, 'the overall quality'."""
    t = load_templates()
    if target == "overall":
        return "the overall quality"
    if target in GROUPS:
        return t.group_phrase[target]
    return t.definition[target]


def verify_rewrite(original, rewritten: str) -> tuple[bool, list[str]]:
    """Does ``rewritten`` keep every rating of ``original``? Returns ``(ok, reasons)``.

    ``original`` is the text that was rewritten, or a record (then the rewrite must state every dimension,
    both groups and the overall level of the record, as a full justification does). The rewrite is rejected
    (each reason starts with its kind) when it is ``empty``; a rating of the original is ``missing``,
    ``changed`` or stated with two levels (``conflicting``); it rates a target the original does not rate
    (``added``); it has more level words that rate nothing clearly than the original (``unattributed``: a
    level word attached to no aspect, to something that is not an aspect, or negated / hedged); it uses
    quality words outside the five-level scale more often than the original (``off-scale``); or it is more
    than ``verify.max_length_ratio`` times as long as the original (``too long``). An original text that
    itself states two levels for one target cannot be protected: every rewrite of it is rejected
    (``unverifiable``).
    """
    if not isinstance(rewritten, str) or not rewritten.strip():
        return False, ["empty: the rewrite is empty"]
    vocab = _vocab()
    if isinstance(original, Mapping):
        expected = expected_ratings(original)
        caption = original.get("caption") or ""
        base = parse_ratings(caption)  # a caption may hold level or quality words of its own
        base_unattr, base_off = base.unattributed, base.off_scale
        base_len = None
    else:
        parsed = parse_ratings(original)
        expected = parsed.ratings()
        conflicts = parsed.conflicts()
        if conflicts:  # e.g. a caption that names an aspect with a level of its own: nothing safe to protect
            listed = ", ".join(f"{k} ({'/'.join(v)})" for k, v in conflicts.items())
            return False, [f"unverifiable: the original states conflicting levels for {listed}"]
        base_unattr, base_off = parsed.unattributed, parsed.off_scale
        base_len = len(original)
    got = parse_ratings(rewritten)
    reasons = []
    for target, level in expected.items():
        stated = got.stated.get(target)
        if not stated:
            reasons.append(f"missing: the rating of {target} ({level}) is not stated")
            continue
        levels = sorted(set(stated))
        if len(levels) > 1:
            reasons.append(f"conflicting: {target} is stated as {'/'.join(levels)}, the original says {level}")
        elif levels[0] != level:
            reasons.append(f"changed: {target} is {level} in the original, {levels[0]} in the rewrite")
    for target in got.stated:
        if target not in expected:
            reasons.append(
                f"added: the rewrite rates {target} ({'/'.join(sorted(set(got.stated[target])))}), "
                "which the original does not"
            )
    if got.unattributed > base_unattr:
        ex = f" (e.g. {got.unattributed_examples[0]!r})" if got.unattributed_examples else ""
        reasons.append(
            f"unattributed: {got.unattributed - base_unattr} level word(s) "
            f"not clearly attached to one rated aspect{ex}"
        )
    extra = sorted(w for w, n in got.off_scale.items() if n > base_off.get(w, 0))
    if extra:
        reasons.append(f"off-scale: quality words outside the five levels: {', '.join(extra)}")
    if base_len and len(rewritten) > vocab.max_length_ratio * base_len:
        reasons.append(f"too long: {len(rewritten)} characters for an original of {base_len}")
    return not reasons, reasons


def build_rewrite_prompt(text: str) -> str:
    """The rating-protection prompt for the rewriting LLM: the rules, the ratings to keep, the text."""
    t = load_templates()
    line = t.raw["rewrite_rating_line"]
    ratings = parse_ratings(text).ratings()
    listed = "\n".join(line.format(target=target_phrase(k), level=ratings[k]) for k in TARGETS if k in ratings)
    # str.replace, not format: the text may contain braces
    return t.raw["rewrite_prompt"].replace("{ratings}", listed or "(none)").replace("{text}", text.strip())


def check_templates() -> list[str]:
    """Problems in ``catalog/templates.yaml`` that would make ratings unreadable (empty when all is well):
    every ready-made sentence must state exactly its own level for exactly its own target, with no
    unattributed level word and no off-scale quality word, and each definition must name only its dimension."""
    from itertools import product

    t = load_templates()
    vocab = _vocab()
    problems = []

    def expect(text: str, want: dict, where: str):
        p = parse_ratings(text)
        if p.ratings() != want or p.unattributed or p.off_scale or p.conflicts():
            problems.append(
                f"{where}: {text!r} reads as {p.ratings()} (unattributed {p.unattributed}, "
                f"off-scale {dict(p.off_scale)}), expected {want}"
            )

    for d in DIMENSIONS:
        found = {vocab.phrase_target[m.group(0)] for m in vocab.regex.finditer(d.definition.lower())}
        if found != {d.id}:
            problems.append(f"definition of {d.id} names {sorted(found)}")
    for (dim, lv), sentences in t.single.items():
        for s in sentences:
            expect(s, {dim: lv}, f"dimension_single[{dim}, {lv}]")
    for (dim, lv), sentences in t.dim_answer.items():
        for s in sentences:
            expect(s, {dim: lv}, f"dimension_answer[{dim}, {lv}]")
    for (g, lv, kind), sentences in [*t.group_statement.items(), *t.group_summary.items()]:
        for s in sentences:
            expect(s, {g: lv}, f"group statement[{g}, {lv}, {kind}]")
    for (g, lv), sentences in t.group_answer.items():
        for s in sentences:
            expect(s, {g: lv}, f"group_answer[{g}, {lv}]")
    for lv, sentences in t.overall_answer.items():
        for s in sentences:
            expect(s, {"overall": lv}, f"overall_answer[{lv}]")
    for tpl, (a, b, c) in product(t.overall_statement, [("poor", "good", "fair"), ("excellent", "bad", "good")]):
        s = tpl.format(
            dist_group=t.group_phrase["distortion"], dist=a, aes_group=t.group_phrase["aesthetic"], aes=b, level=c
        )
        want = {"overall": c, **({"distortion": a, "aesthetic": b} if "{dist}" in tpl else {})}
        expect(s, want, "overall_statement")
    for tpl in t.many:
        s = tpl.format(
            defs="; ".join(t.definition[d] for d in ("noise", "stability", "exposure")),
            level="poor",
            impact=t.impact["poor"][0],
        )
        expect(s, {"noise": "poor", "stability": "poor", "exposure": "poor"}, "dimension_many")
    plain = [
        *t.intro,
        *t.caption,
        *(s for v in t.group_intro.values() for s in v),
        *t.contrast,
        *t.cont,
        *(s for v in t.impact.values() for s in v),
    ]
    for s in plain:
        p = parse_ratings(s.format(caption="a dog"))
        if p.stated or p.unattributed or p.off_scale:
            problems.append(f"a sentence without rating states something: {s!r}")
    return problems
