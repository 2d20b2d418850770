"""What trainers and tests need to know about each tiny model family (true of the real checkpoints as well).

The facts are data in ``catalog/model_families.yaml`` (the ``tiny`` section of each family, read through
:func:`s2i_hf.model_parts.model_families`) and the chat templates are whole files in
``catalog/chat_templates/``; this module turns them into :data:`FAMILY_INFO`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping

from ..model_parts import catalog_entry, find_model_parts, get_module, model_families


__all__ = [
    "CHAT_TEMPLATES",
    "FAMILY_INFO",
    "TINY_FAMILIES",
    "TinyFamily",
    "TokenizerSpec",
    "get_module",
    "get_modules",
    "get_parameters",
    "read_chat_template",
]

_TEMPLATES_DIR = "chat_templates"


@lru_cache(maxsize=None)
def read_chat_template(name: str) -> str:
    """The text of ``catalog/chat_templates/<name>`` (e.g. ``"smolvlm.jinja"``), exactly as stored."""
    from importlib.resources import files

    data = files("s2i_hf.catalog").joinpath(_TEMPLATES_DIR).joinpath(name).read_bytes()
    return data.decode("utf-8")


@dataclass(frozen=True)
class TokenizerSpec:
    """A tiny tokenizer's facts: BPE ``style`` (``"qwen2"`` or ``"bytelevel"``), the ``named`` special tokens the
    processor reads off the tokenizer (stored as named extras), the ``other`` special tokens, and ``special``:
    bos / eos / pad / unk (``None`` where the family has none)."""

    style: str
    named: Mapping[str, str] = field(compare=False)
    other: tuple[str, ...]
    special: Mapping[str, str | None] = field(compare=False)

    def special_tokens(self) -> list[str]:
        """Every special token of the family, ``other`` first, each once."""
        return list(dict.fromkeys([*self.other, *self.named.values()]))

    def style_facts(self) -> Mapping[str, Any]:
        """The catalogue's ``tokenizer_styles`` entry for :attr:`style` (e.g. Qwen2's split regex)."""
        return model_families()["tokenizer_styles"][self.style]


@dataclass(frozen=True)
class TinyFamily:
    """One family: its tokens, the layout of its model and how its processor takes a video.

    - ``end_of_turn``: the token that closes an assistant turn (the generation ``eos_token_id``).
    - ``assistant_prefix``: what the assistant mask holds before the answer. Where the template puts the answer
      right after ``Assistant:`` / ``ASSISTANT:`` (SmolVLM, LLaVA-NeXT-Video) the answer starts with a space that
      the model generates first; it is inside the mask.
    - ``vision`` / ``projector`` / ``language`` / ``projector_params``: dotted attribute paths from the
      ``...ForConditionalGeneration`` object, read from ``catalog/model_families.yaml`` (the table the trainers use;
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
    - ``frame_count``: where :meth:`num_frames` reads the frame count (``"temporal_grid"``, ``"image_batch"``,
      ``"frames_axis"``).
    - ``chat_template_file``: the family's template in ``catalog/chat_templates/`` (:attr:`chat_template` reads it).
    - what :func:`s2i_hf.testing.make_tiny_model` builds from: ``classes`` (transformers class names: config,
      model, processor, image_processor, video_processor), ``backbones`` (the ``model_type`` of the text / vision
      sub-configs where the config needs one), ``config_token_ids`` (config keyword -> named tokenizer token) and
      ``tokenizer`` (:class:`TokenizerSpec`).
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
    frame_count: str = "frames_axis"
    chat_template_file: str = ""
    classes: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    backbones: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    config_token_ids: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    tokenizer: TokenizerSpec | None = field(default=None, repr=False)

    @classmethod
    def from_catalog(cls, model_type: str, tiny: Mapping[str, Any]) -> "TinyFamily":
        """The family ``model_type`` from its catalogue entry's ``tiny`` section."""
        tok = tiny["tokenizer"]
        return cls(
            name=model_type,
            model_type=model_type,
            end_of_turn=tiny["end_of_turn"],
            assistant_prefix=tiny["assistant_prefix"],
            video_token=tiny["video_token"],
            visual_token=tiny["visual_token"],
            video_keys=tuple(tiny["video_keys"]),
            needs_explicit_template=bool(tiny.get("needs_explicit_template", False)),
            conflicting_default=tiny.get("conflicting_default"),
            frame_count=tiny["frame_count"],
            chat_template_file=tiny["chat_template"],
            classes=MappingProxyType(dict(tiny["classes"])),
            backbones=MappingProxyType(dict(tiny.get("backbones", {}))),
            config_token_ids=MappingProxyType(dict(tiny.get("config_token_ids", {}))),
            tokenizer=TokenizerSpec(
                style=tok["style"],
                named=MappingProxyType(dict(tok["named"])),
                other=tuple(tok["other"]),
                special=MappingProxyType(dict(tok["special"])),
            ),
        )

    @property
    def chat_template(self) -> str:
        """The family's chat template (with ``{% generation %}`` markers), read from its ``.jinja`` file."""
        return read_chat_template(self.chat_template_file)

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
        """How many frames of the first video reached the processor outputs ``inputs`` (see ``frame_count``)."""
        if self.frame_count == "temporal_grid":
            return int(inputs["video_grid_thw"][0][0]) * 2  # temporal patches of 2 frames
        if self.frame_count == "image_batch":  # frames flattened into the image batch (one video)
            return int(inputs["pixel_values"].shape[0])
        if self.frame_count == "frames_axis":
            return int(inputs[self.video_keys[0]].shape[1])  # (batch, frames, C, H, W)
        raise ValueError(f"{self.name}: unknown frame_count {self.frame_count!r} in catalog/model_families.yaml")


FAMILY_INFO: dict[str, TinyFamily] = {
    model_type: TinyFamily.from_catalog(model_type, entry["tiny"])
    for model_type, entry in model_families()["families"].items()
    if "tiny" in entry
}
TINY_FAMILIES: tuple[str, ...] = tuple(FAMILY_INFO)
# family -> its chat template (the text of its .jinja file)
CHAT_TEMPLATES: dict[str, str] = {name: info.chat_template for name, info in FAMILY_INFO.items()}


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
