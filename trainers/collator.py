"""The video collator: rows of the ``stage1``/``stage2`` configs -> a padded batch with assistant-only labels.

Each row (``messages`` + ``video``) is rendered on its own with the model's processor and chat template, its
``{"type": "video"}`` placeholder filled with frames chosen by a :class:`~.frames.FrameSampling`; the rows are
then padded and their visual tensors joined. Rendering rows one at a time is what lets rows with a video and
text-only rows share a batch, and keeps one processor quirk from leaking into another row (SmolVLM describes
frame counts from the padded batch).

Labels are the input ids where the template's ``{% generation %}`` markers put the assistant's tokens (its
end-of-turn token included in our templates), ``-100`` elsewhere. A template without markers is replaced by
TRL's training version of it when TRL knows the template; otherwise the collator refuses to start, because the
loss would silently be 0.0 or cover the prompt.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Sequence

from ..frames import FrameSampling, sample_frames
from ..video import VideoError

logger = logging.getLogger(__name__)

__all__ = ["S2IVideoCollator", "training_chat_template"]

# Outputs with one entry per token: padded along the sequence.
_TOKEN_KEYS = ("input_ids", "attention_mask", "mm_token_type_ids", "token_type_ids")


def training_chat_template(processor) -> str:
    """A chat template whose ``{% generation %}`` markers cover the assistant's answers."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    template = processor.chat_template
    if isinstance(template, dict):
        template = template.get("default")
    if not template:
        raise ValueError(f"{type(processor).__name__} has no chat template: pass one (a .jinja file with generation markers)")
    if has_generation_markers(template):
        return template
    try:
        patched = get_training_chat_template(processor)
    except Exception as err:  # noqa: BLE001 - TRL raises for templates it does not know
        raise ValueError(
            f"the chat template of {type(processor).__name__} has no {{% generation %}} markers and TRL has no training "
            f"version of it ({err}); without markers the assistant-only loss cannot be masked. Pass a template with "
            "markers (chat_template_path=...jinja)."
        ) from None
    return patched or template


class S2IVideoCollator:
    """Collate S2I conversation rows for a video LMM.

    Args:
        processor: the model's processor (``AutoProcessor.from_pretrained``).
        sampling: which frames the model sees (:class:`FrameSampling`; default 8 frames).
        chat_template: a template with generation markers; default :func:`training_chat_template`.
        video_column / messages_column: column names of the rows.
    """

    def __init__(self, processor, sampling: FrameSampling | None = None, chat_template: str | None = None,
                 video_column: str = "video", messages_column: str = "messages"):
        self.processor = processor
        self.sampling = sampling or FrameSampling()
        self.chat_template = chat_template or training_chat_template(processor)
        self.video_column = video_column
        self.messages_column = messages_column
        tokenizer = getattr(processor, "tokenizer", processor)
        self.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if self.pad_token_id is None:
            raise ValueError(f"{type(tokenizer).__name__} has neither a pad nor an eos token to pad with")

    # --- one row ------------------------------------------------------------------------------------------
    def render(self, row: dict[str, Any]) -> dict[str, Any]:
        """Processor outputs of one row plus ``labels`` (a (1, L) batch of one)."""
        import torch

        messages = copy.deepcopy(row[self.messages_column])
        video_blocks = [b for m in messages for b in (m["content"] if isinstance(m["content"], list) else []) if b.get("type") == "video"]
        kwargs: dict[str, Any] = {}
        if video_blocks:
            video = row.get(self.video_column)
            if video is None:
                raise ValueError(f"row {row.get('video_id', '?')}: the conversation has a video block but the row has no video")
            frames, metadata = sample_frames(video, self.sampling)
            for block in video_blocks:
                block.clear()
                block.update({"type": "video", "video": frames})
            kwargs = {"do_sample_frames": False, "video_metadata": [metadata] * len(video_blocks)}
        out = self.processor.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_tensors="pt", return_assistant_tokens_mask=True,
            chat_template=self.chat_template, processor_kwargs=kwargs,
        )
        mask = torch.as_tensor(out.pop("assistant_masks")).bool().reshape(out["input_ids"].shape)
        if not bool(mask.any()):
            raise ValueError(
                f"row {row.get('video_id', '?')}: the chat template marks no assistant token (no answer to learn); "
                "check the template's {% generation %} markers"
            )
        labels = out["input_ids"].clone()
        labels[~mask] = -100
        out = dict(out)
        out["labels"] = labels
        return out

    # --- a batch ------------------------------------------------------------------------------------------
    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """A batch of ``rows``. A row whose video cannot be decoded is left out with a warning naming it (a
        corrupt file must not end a long run); a batch with no usable row raises the first row's error."""
        parts, errors = [], []
        for row in rows:
            try:
                parts.append(self.render(row))
            except VideoError as err:
                errors.append(err)
                logger.warning("skipping row %s: %s", row.get("video_id", "?"), err)
        if not parts:
            raise errors[0]
        return self.merge(parts)

    def merge(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        """Right-pad the token outputs of single-row renders and join their visual tensors."""
        import torch

        length = max(p["input_ids"].shape[1] for p in parts)
        batch: dict[str, Any] = {}
        pad_values = {"input_ids": self.pad_token_id, "labels": -100}
        for key in (*_TOKEN_KEYS, "labels"):
            present = [p for p in parts if key in p]
            if not present:
                continue
            if len(present) != len(parts):
                if key != "mm_token_type_ids":
                    raise ValueError(f"only some rows produced {key!r}")
                # text-only rows of Qwen: every token is text (type 0)
                for p in parts:
                    p.setdefault(key, torch.zeros_like(p["input_ids"]))
            value = pad_values.get(key, 0)
            batch[key] = torch.cat([
                torch.nn.functional.pad(torch.as_tensor(p[key]), (0, length - p["input_ids"].shape[1]), value=value) for p in parts
            ])
        visual_keys = sorted({k for p in parts for k in p} - set(batch))
        for key in visual_keys:
            values = [p[key] for p in parts if key in p]
            batch[key] = _join(key, values)
        return batch


def _join(key: str, values: list) -> Any:
    """Concatenate per-row visual outputs along their first axis (videos / frames / patches); per-row image stacks
    of different lengths (SmolVLM's ``pixel_values`` (1, N, C, H, W)) are zero-padded along N first, which the
    model drops as padding images."""
    import torch

    if not all(isinstance(v, torch.Tensor) for v in values):
        flat = []
        for v in values:
            flat += list(v) if isinstance(v, (list, tuple)) else [v]
        return torch.as_tensor(flat) if all(isinstance(x, (int, float)) for x in flat) else flat
    if len({tuple(v.shape[1:]) for v in values}) > 1:
        if len({v.dim() for v in values}) > 1 or any(v.dim() < 2 for v in values):
            raise ValueError(f"cannot join {key!r} of shapes {[tuple(v.shape) for v in values]}")
        target = [max(v.shape[d] for v in values) for d in range(1, values[0].dim())]
        padded = []
        for v in values:
            pad = []
            for d in reversed(range(1, v.dim())):
                pad += [0, target[d - 1] - v.shape[d]]
            padded.append(torch.nn.functional.pad(v, pad, value=0))
        values = padded
    return torch.cat(values)
