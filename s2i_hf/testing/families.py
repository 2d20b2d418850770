"""What trainers and tests need to know about each tiny model family (true of the real checkpoints as well)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model_parts import catalog_entry, find_model_parts, get_module

__all__ = ["FAMILY_INFO", "TINY_FAMILIES", "TinyFamily", "get_module", "get_modules", "get_parameters"]

TINY_FAMILIES: tuple[str, ...] = ("qwen2_5_vl", "qwen3_vl", "llava_onevision", "llava_next_video", "smolvlm", "internvl")


@dataclass(frozen=True)
class TinyFamily:
    """One family: its tokens, the layout of its model and how its processor takes a video.

    - ``end_of_turn``: the token that closes an assistant turn (the generation ``eos_token_id``).
    - ``assistant_prefix``: what the assistant mask holds before the answer. Where the template puts the answer
      right after ``Assistant:`` / ``ASSISTANT:`` (SmolVLM, LLaVA-NeXT-Video) the answer starts with a space that
      the model generates first; it is inside the mask.
    - ``vision`` / ``projector`` / ``language`` / ``projector_params``: dotted attribute paths from the
      ``...ForConditionalGeneration`` object, read from ``catalog/model_parts.yaml`` (the table the trainers use;
      see :mod:`s2i_hf.model_parts`). Qwen's projectors live *inside* the vision tower (``visual.merger``, plus
      ``visual.deepstack_merger_list`` in Qwen3-VL): freeze the tower's other parameters, not the whole tower.
      :func:`get_parameters` sorts every parameter into one part.
    - ``video_token``: the placeholder the chat template writes for a video block; ``visual_token``: the token the
      model replaces with visual features after the processor expanded the placeholder (InternVL and SmolVLM turn
      a video into per-frame image tokens).
    - ``video_keys``: the processor outputs that carry the video, which a collator has to keep. Qwen's
      ``mm_token_type_ids`` is one of them: Qwen3-VL refuses a video without it, Qwen2.5-VL silently falls back to
      1-D positions.
    - ``needs_explicit_template``: the processor swaps in a marker-less template when a video is present unless
      ``chat_template=processor.chat_template`` is passed (SmolVLM): without it the assistant mask is all zeros.
    - ``conflicting_default``: a saved video-processor default that wins over the other sampling option:
      ``"fps"`` (Qwen: pass ``fps=None`` with ``num_frames``, :meth:`sampling_kwargs` does) or ``"num_frames"``
      (LLaVA-OV, LLaVA-NeXT-Video, InternVL: set ``processor.video_processor.num_frames = None`` before sampling
      by fps, no call kwarg can undo it).
    """

    name: str
    model_type: str
    end_of_turn: str
    assistant_prefix: str
    video_token: str
    visual_token: str
    video_keys: tuple[str, ...]
    needs_explicit_template: bool = False
    conflicting_default: str | None = None

    @property
    def vision(self) -> str:
        return catalog_entry(self.model_type)["vision"]

    @property
    def projector(self) -> tuple[str, ...]:
        return tuple(catalog_entry(self.model_type)["projector"])

    @property
    def language(self) -> str:
        return catalog_entry(self.model_type)["language"]

    @property
    def projector_params(self) -> tuple[str, ...]:
        return tuple(catalog_entry(self.model_type).get("projector_params", ()))

    def expected_assistant_text(self, answer: str) -> str:
        """What the assistant tokens of a one-answer conversation decode to."""
        return f"{self.assistant_prefix}{answer}{self.end_of_turn}"

    def template_kwargs(self, processor) -> dict[str, Any]:
        """Extra ``apply_chat_template`` kwargs this family needs (SmolVLM: its own template, explicitly)."""
        return {"chat_template": processor.chat_template} if self.needs_explicit_template else {}

    def frames_kwargs(self, metadata: dict | None = None) -> dict[str, Any]:
        """``processor_kwargs`` for pre-sampled frames: a (T, C, H, W) uint8 tensor or a list of frames.

        ``metadata`` (keys of ``transformers.video_utils.VideoMetadata``: ``total_num_frames``, ``fps``,
        ``frames_indices``, ``duration``, ...) gives the frames their true timestamps (Qwen3-VL and SmolVLM
        print them in the prompt, Qwen2.5-VL derives its temporal position ids from the sampled fps); without it
        they assume 24 fps and warn.
        """
        kwargs: dict[str, Any] = {"do_sample_frames": False}
        if metadata is not None:
            kwargs["video_metadata"] = [dict(metadata)]
        return kwargs

    def sampling_kwargs(self, num_frames: int | None = None, fps: float | None = None) -> dict[str, Any]:
        """``processor_kwargs`` to let the processor decode a video file and sample ``num_frames`` or ``fps``.

        See ``conflicting_default`` for the one case kwargs cannot handle.
        """
        if (num_frames is None) == (fps is None):
            raise ValueError("give exactly one of num_frames and fps")
        kwargs: dict[str, Any] = {"do_sample_frames": True}
        if num_frames is not None:
            kwargs["num_frames"] = int(num_frames)
            kwargs["fps"] = None
        else:
            kwargs["fps"] = float(fps)
            kwargs["num_frames"] = None
        return kwargs

    def num_frames(self, inputs) -> int:
        """How many frames of the first video reached the processor outputs ``inputs``."""
        if self.model_type in ("qwen2_5_vl", "qwen3_vl"):
            return int(inputs["video_grid_thw"][0][0]) * 2  # temporal patches of 2 frames
        if self.model_type == "internvl":  # frames flattened into the image batch (one video)
            return int(inputs["pixel_values"].shape[0])
        return int(inputs[self.video_keys[0]].shape[1])  # (batch, frames, C, H, W)


FAMILY_INFO: dict[str, TinyFamily] = {
    "qwen2_5_vl": TinyFamily(
        name="qwen2_5_vl",
        model_type="qwen2_5_vl",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        video_token="<|video_pad|>",
        visual_token="<|video_pad|>",
        video_keys=("pixel_values_videos", "video_grid_thw", "second_per_grid_ts", "mm_token_type_ids"),
        conflicting_default="fps",
    ),
    "qwen3_vl": TinyFamily(
        name="qwen3_vl",
        model_type="qwen3_vl",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        video_token="<|video_pad|>",
        visual_token="<|video_pad|>",
        video_keys=("pixel_values_videos", "video_grid_thw", "mm_token_type_ids"),
        conflicting_default="fps",
    ),
    "llava_onevision": TinyFamily(
        name="llava_onevision",
        model_type="llava_onevision",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        video_token="<video>",
        visual_token="<video>",
        video_keys=("pixel_values_videos",),
        conflicting_default="num_frames",
    ),
    "llava_next_video": TinyFamily(
        name="llava_next_video",
        model_type="llava_next_video",
        end_of_turn="</s>",
        assistant_prefix=" ",
        video_token="<video>",
        visual_token="<video>",
        video_keys=("pixel_values_videos",),
        conflicting_default="num_frames",
    ),
    "smolvlm": TinyFamily(
        name="smolvlm",
        model_type="smolvlm",
        end_of_turn="<end_of_utterance>",
        assistant_prefix=" ",
        video_token="<video>",
        visual_token="<image>",
        video_keys=("pixel_values", "pixel_attention_mask"),
        needs_explicit_template=True,
    ),
    "internvl": TinyFamily(
        name="internvl",
        model_type="internvl",
        end_of_turn="<|im_end|>",
        assistant_prefix="",
        video_token="<video>",
        visual_token="<IMG_CONTEXT>",
        video_keys=("pixel_values",),
        conflicting_default="num_frames",
    ),
}


def get_modules(model, family: str) -> dict[str, list]:
    """``{"vision": [...], "projector": [...], "language": [...]}``: the family's parts of ``model``."""
    info = FAMILY_INFO[family]
    return {
        "vision": [get_module(model, info.vision)],
        "projector": [get_module(model, path) for path in info.projector],
        "language": [get_module(model, info.language)],
    }


def get_parameters(model, family: str) -> dict[str, list]:
    """Every parameter of ``model`` in exactly one part: ``vision``, ``projector``, ``language`` or ``lm_head``.

    ``vision`` excludes the projector even where it lives inside the tower (Qwen); ``projector`` includes the
    family's bare projector parameters; ``lm_head`` is the output layer, which ``language`` does not hold.
    A parameter no part claims raises ``ValueError`` (a family layout that changed). The same sorting the
    trainers use (:func:`s2i_hf.model_parts.find_model_parts`).
    """
    if model.config.model_type != FAMILY_INFO[family].model_type:
        raise ValueError(f"a {model.config.model_type} model is not of the {family} family")
    return {part: [p for _, p in params] for part, params in find_model_parts(model).params.items()}
