"""Assistant-only labels for a chat template without ``{% generation %}`` markers that TRL does not know.

The spans are derived from the template itself. For each assistant turn ``k`` of a conversation ``m``, the
template renders ``m[:k]`` with the generation prompt (``P_k``) and ``m[:k + 1]`` without it (``F_k``): what
``F_k`` adds to ``P_k`` is what the model has to produce for that turn, cut after its end-of-turn token (the
first special token after the answer text; the separator a template writes after it is not generated). Those
characters sit at the same place in the rendering of the whole conversation only if the template is
*prefix-preserving*: ``P_k`` is a prefix of ``F_k`` and ``F_k`` a prefix of the whole rendering, for every ``k``.
A template that rewrites earlier turns (drops the reasoning blocks of past turns, numbers turns from the end,
...) or ignores the generation prompt is refused with :class:`UnsoundTemplateError`.

The spans are character spans of the rendered prompt; :func:`token_mask` maps them onto the tokens through the
processor's offset mapping, shifted past the video and image placeholders the processor expands between
rendering and tokenising (its ``text_replacement_offsets``).
"""

from __future__ import annotations

import bisect
from typing import Any, Callable, Sequence


__all__ = ["LABEL_SOURCES", "UnsoundTemplateError", "assistant_char_spans", "check_template", "token_mask"]

# which path made the assistant-only labels: recorded in training_summary.json and printed at the start of training
LABEL_SOURCES = {
    "template_markers": "the chat template's own {% generation %} markers",
    "trl_training_template": "TRL's training version of the model's chat template (it has markers)",
    "derived_spans": "assistant spans derived from the marker-less chat template (prefix renders)",
}

# the conversation a template is checked on before training: the shape of the S2I data (a video in the first user
# turn, several assistant turns)
PROBE_CONVERSATION = [
    {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "Rate the sharpness of this video."}]},
    {"role": "assistant", "content": [{"type": "text", "text": "The sharpness of this video is good."}]},
    {"role": "user", "content": [{"type": "text", "text": "And its overall quality?"}]},
    {"role": "assistant", "content": [{"type": "text", "text": "The overall quality of this video is fair."}]},
]

Render = Callable[[list, bool], str]  # (messages, add_generation_prompt) -> rendered text


class UnsoundTemplateError(ValueError):
    """The chat template cannot yield assistant spans by prefix renders (it is not prefix-preserving)."""


def _text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or [] if isinstance(b, dict))


def _first_special_end(text: str, start: int, special_tokens: Sequence[str]) -> int | None:
    hits = [(i, len(t)) for t in special_tokens if t and (i := text.find(t, start)) >= 0]
    if not hits:
        return None
    i, n = min(hits)
    return i + n


def assistant_char_spans(
    render: Render, messages: list, special_tokens: Sequence[str]
) -> tuple[str, list[tuple[int, int]]]:
    """The rendering of ``messages`` and the character span of each assistant turn in it.

    Raises :class:`UnsoundTemplateError` (its message says which turn and how) when the template is not
    prefix-preserving on ``messages`` or ignores the generation prompt."""
    full = render(messages, False)
    spans = []
    for k, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        prompt = render(messages[:k], True)
        through = render(messages[: k + 1], False)
        if prompt == render(messages[:k], False):
            raise UnsoundTemplateError(
                "it ignores add_generation_prompt, so the assistant header cannot be told from the answer"
            )
        if not through.startswith(prompt):
            raise UnsoundTemplateError(
                f"rendering assistant turn {k} changes the text before it (the generation "
                "prompt is not a prefix of the conversation through that turn)"
            )
        if not full.startswith(through):
            raise UnsoundTemplateError(
                f"turns after assistant turn {k} change how it is rendered (e.g. the template "
                "rewrites past turns or drops their reasoning blocks)"
            )
        added = through[len(prompt) :]
        answer = _text_of(message)
        at = added.find(answer) if answer else -1
        after = at + len(answer) if at >= 0 else 0
        end = _first_special_end(added, after, special_tokens)
        if end is None:  # no end-of-turn token: the answer and what the template adds with it, less trailing space
            end = len(added.rstrip())
        if end > 0:
            spans.append((len(prompt), len(prompt) + end))
    return full, spans


def check_template(render: Render, special_tokens: Sequence[str]) -> None:
    """Raise :class:`UnsoundTemplateError` unless spans can be derived on :data:`PROBE_CONVERSATION` (every
    assistant turn yields a non-empty span)."""
    _, spans = assistant_char_spans(render, PROBE_CONVERSATION, special_tokens)
    if len(spans) != sum(m["role"] == "assistant" for m in PROBE_CONVERSATION):
        raise UnsoundTemplateError("some assistant turn renders no text")


def token_mask(
    spans: Sequence[tuple[int, int]],
    offsets: Sequence[Sequence[int]],
    replacements: Sequence[dict[str, Any]] | None = None,
) -> list[bool]:
    """Which tokens overlap a character span of the rendered prompt.

    ``offsets``: each token's ``(start, end)`` in the text the processor tokenised (placeholders expanded);
    ``replacements``: the processor's ``text_replacement_offsets`` for that text (each ``{"span": (s, e),
    "new_span": (s2, e2)}``, in text order), by which the spans of the rendered prompt are shifted. Zero-width
    tokens (added specials, padding) never overlap."""
    replacements = [] if replacements is None else list(replacements)
    ends = [r["span"][1] for r in replacements]
    gained = [0] + [r["new_span"][1] - r["span"][1] for r in replacements]

    def shift(char: int) -> int:
        return char + gained[bisect.bisect_right(ends, char)]

    shifted = [(shift(a), shift(b)) for a, b in spans]
    return [any(s < b and e > a for a, b in shifted) for s, e in ((int(x[0]), int(x[1])) for x in offsets)]
