"""Configs, processors and weights of the tiny models, and :func:`make_tiny_model`.

Every family: a 2-layer language model (hidden 64, 4 heads of 16, 2 KV heads), a 2-layer vision tower (hidden 32)
on 8-pixel patches, the family's projector, random weights from ``seed``; processors that keep frames small
(32x32 for LLaVA-OV, LLaVA-NeXT-Video, SmolVLM and InternVL; at most 64x64 pixels for Qwen) and sample 8 frames
from a file by default (Qwen-VL: 2 fps, at most 8). Visual tokens: Qwen 1 to 16 per pair of frames (patch 8, merge
2; 12 for a 176x144 clip), LLaVA-OV 4 per frame + 1 newline per video, LLaVA-NeXT-Video 4 per frame, SmolVLM 4 per
frame (+ timestamp text and wrapper tokens), InternVL 4 per frame (+ "FrameN: <img></img>").
"""

from __future__ import annotations

import os
from types import SimpleNamespace

from .families import FAMILY_INFO, TINY_FAMILIES, TinyFamily
from .tokenization import build_tiny_tokenizer


__all__ = ["DEFAULT_NUM_FRAMES", "FRAME_SIZE", "PATCH_SIZE", "make_tiny_model"]

_TEXT = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    # Wider than the usual 0.02: with 64-d hidden states a 0.02 output layer caps every logit near 1, so even a
    # perfect fit cannot push the loss much below log(vocab); 0.1 leaves room to learn (see test_training_loss_falls)
    "initializer_range": 0.1,
}
_TEXT_HEAD_DIM = 16  # 64 / 4
FRAME_SIZE = 32  # side of a frame after the video processor (LLaVA-*, SmolVLM, InternVL); Qwen: <= 64x64 pixels
PATCH_SIZE = 8
DEFAULT_NUM_FRAMES = 8


def _ids(tokenizer, info: TinyFamily) -> dict[str, int | None]:
    spec = info.tokenizer
    out = {name: tokenizer.convert_tokens_to_ids(tok) for name, tok in spec.named.items()}
    for name in ("bos_token", "eos_token", "pad_token"):
        tok = spec.special.get(name)
        out[name] = tokenizer.convert_tokens_to_ids(tok) if tok is not None else None
    return out


def _classes(info: TinyFamily) -> SimpleNamespace:
    """The family's transformers classes, by role (config, model, processor, image_processor, video_processor)."""
    import transformers

    return SimpleNamespace(**{role: getattr(transformers, name) for role, name in info.classes.items()})


def _token_ids(info: TinyFamily, ids) -> dict[str, int]:
    """Config keyword -> token id, for the tokens the family's config names (``config_token_ids``)."""
    return {keyword: ids[token] for keyword, token in info.config_token_ids.items()}


def _backbone(info: TinyFamily, part: str, config: dict) -> dict:
    """``config`` of the ``text`` / ``vision`` sub-model, with the ``model_type`` the family's config needs."""
    model_type = info.backbones.get(part)
    return {"model_type": model_type, **config} if model_type else config


def _text_common(tokenizer, ids, **extra):
    return {
        "vocab_size": len(tokenizer),
        "max_position_embeddings": 4096,
        "bos_token_id": ids["bos_token"],
        "eos_token_id": ids["eos_token"],
        "pad_token_id": ids["pad_token"],
        "tie_word_embeddings": False,
        **_TEXT,
        **extra,
    }


def _qwen2_5_vl(c, info, tokenizer, ids):
    config = c.config(
        text_config=_text_common(
            tokenizer,
            ids,
            # mrope_section sums to head_dim / 2
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]},
        ),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": PATCH_SIZE,
            "temporal_patch_size": 2,
            "spatial_merge_size": 2,
            "window_size": 2 * 2 * PATCH_SIZE,
            "fullatt_block_indexes": [1],
            "out_hidden_size": _TEXT["hidden_size"],
            "tokens_per_second": 2,
        },
        **_token_ids(info, ids),
        tie_word_embeddings=False,
    )
    pix = {"patch_size": PATCH_SIZE, "temporal_patch_size": 2, "merge_size": 2}
    image_processor = c.image_processor(size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64}, **pix)
    video_processor = c.video_processor(
        size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64},
        min_frames=2,
        max_frames=DEFAULT_NUM_FRAMES,
        fps=2,
        do_sample_frames=True,
        cap_pixels_per_frame=False,
        **pix,
    )
    processor = c.processor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)
    return config, processor


def _qwen3_vl(c, info, tokenizer, ids):
    config = c.config(
        text_config=_text_common(
            tokenizer,
            ids,
            head_dim=_TEXT_HEAD_DIM,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": 5000000.0,
                "mrope_section": [4, 2, 2],  # sums to head_dim / 2
                "mrope_interleaved": True,
            },
        ),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": PATCH_SIZE,
            "temporal_patch_size": 2,
            "spatial_merge_size": 2,
            "out_hidden_size": _TEXT["hidden_size"],
            "num_position_embeddings": 64,  # an 8x8 grid, interpolated to the frame's patch grid
            "deepstack_visual_indexes": [0],
        },
        **_token_ids(info, ids),
        tie_word_embeddings=False,
    )
    pix = {"patch_size": PATCH_SIZE, "temporal_patch_size": 2, "merge_size": 2}
    image_processor = c.image_processor(size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64}, **pix)
    video_processor = c.video_processor(
        # Qwen3-VL budgets pixels over the whole clip (frames x height x width)
        size={"shortest_edge": 2 * 16 * 16, "longest_edge": DEFAULT_NUM_FRAMES * 64 * 64},
        min_frames=2,
        max_frames=DEFAULT_NUM_FRAMES,
        fps=2,
        do_sample_frames=True,
        cap_pixels_per_frame=False,
        **pix,
    )
    processor = c.processor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)
    return config, processor


def _vision_tower(**extra):
    """A SigLIP / CLIP / SmolVLM / InternViT tower: 2 layers, hidden 32, FRAME_SIZE images in PATCH_SIZE patches."""
    return {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": FRAME_SIZE,
        "patch_size": PATCH_SIZE,
        **extra,
    }


_PINPOINTS = [[h * FRAME_SIZE, w * FRAME_SIZE] for h in (1, 2) for w in (1, 2)]  # LLaVA any-resolution grid


def _llava_onevision(c, info, tokenizer, ids):
    config = c.config(
        vision_config=_backbone(info, "vision", _vision_tower(vision_use_head=False)),
        text_config=_backbone(info, "text", _text_common(tokenizer, ids)),
        **_token_ids(info, ids),
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=_PINPOINTS,
        vision_aspect_ratio="anyres_max_9",
        tie_word_embeddings=False,
    )
    size = {"height": FRAME_SIZE, "width": FRAME_SIZE}
    image_processor = c.image_processor(size=size, image_grid_pinpoints=_PINPOINTS)
    video_processor = c.video_processor(size=size, num_frames=DEFAULT_NUM_FRAMES, do_sample_frames=True)
    processor = c.processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        num_image_tokens=(FRAME_SIZE // PATCH_SIZE) ** 2,
        vision_feature_select_strategy="full",
        vision_aspect_ratio="anyres_max_9",
    )
    return config, processor


def _llava_next_video(c, info, tokenizer, ids):
    patches = (FRAME_SIZE // PATCH_SIZE) ** 2
    config = c.config(
        vision_config=_backbone(info, "vision", {"projection_dim": 32, **_vision_tower()}),
        text_config=_backbone(info, "text", _text_common(tokenizer, ids)),
        **_token_ids(info, ids),
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
        image_grid_pinpoints=_PINPOINTS,
        spatial_pool_mode="average",
        spatial_pool_stride=2,
        image_seq_length=patches,
        video_seq_length=patches // 4,
        tie_word_embeddings=False,
    )
    image_processor = c.image_processor(
        size={"shortest_edge": FRAME_SIZE},
        crop_size={"height": FRAME_SIZE, "width": FRAME_SIZE},
        image_grid_pinpoints=_PINPOINTS,
    )
    video_processor = c.video_processor(
        size={"shortest_edge": FRAME_SIZE},
        crop_size={"height": FRAME_SIZE, "width": FRAME_SIZE},
        num_frames=DEFAULT_NUM_FRAMES,
        do_sample_frames=True,
    )
    processor = c.processor(
        video_processor=video_processor,
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=PATCH_SIZE,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS token
    )
    return config, processor


def _smolvlm(c, info, tokenizer, ids):
    scale_factor = 2
    config = c.config(
        vision_config=_backbone(info, "vision", _vision_tower()),
        text_config=_backbone(info, "text", _text_common(tokenizer, ids)),
        **_token_ids(info, ids),
        scale_factor=scale_factor,
        pad_token_id=ids["pad_token"],
        tie_word_embeddings=False,
    )
    image_processor = c.image_processor(
        size={"longest_edge": 2 * FRAME_SIZE},
        max_image_size={"longest_edge": FRAME_SIZE},
        do_image_splitting=False,
    )
    video_processor = c.video_processor(
        size={"longest_edge": FRAME_SIZE},
        max_image_size={"longest_edge": FRAME_SIZE},
        num_frames=DEFAULT_NUM_FRAMES,
        fps=1,
        do_sample_frames=True,
    )
    processor = c.processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        image_seq_len=(FRAME_SIZE // PATCH_SIZE) ** 2 // scale_factor**2,
    )
    return config, processor


def _internvl(c, info, tokenizer, ids):
    downsample = 0.5
    seq = int((FRAME_SIZE // PATCH_SIZE) ** 2 * downsample**2)
    config = c.config(
        vision_config=_backbone(
            info, "vision", _vision_tower(image_size=[FRAME_SIZE, FRAME_SIZE], patch_size=[PATCH_SIZE, PATCH_SIZE])
        ),
        text_config=_backbone(info, "text", _text_common(tokenizer, ids)),
        **_token_ids(info, ids),
        image_seq_length=seq,
        downsample_ratio=downsample,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
        tie_word_embeddings=False,
    )
    size = {"height": FRAME_SIZE, "width": FRAME_SIZE}
    image_processor = c.image_processor(size=size, crop_to_patches=False, min_patches=1, max_patches=4)
    video_processor = c.video_processor(size=size, num_frames=DEFAULT_NUM_FRAMES, do_sample_frames=True)
    processor = c.processor(
        image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor, image_seq_length=seq
    )
    return config, processor


_BUILDERS = {
    "qwen2_5_vl": _qwen2_5_vl,
    "qwen3_vl": _qwen3_vl,
    "llava_onevision": _llava_onevision,
    "llava_next_video": _llava_next_video,
    "smolvlm": _smolvlm,
    "internvl": _internvl,
}


# families whose processors read size["longest_edge"] as an area in pixels (the others: as a side length)
_AREA_BUDGET = ("qwen2_5_vl", "qwen3_vl")


def _set_pixel_budget(processor, family: str, max_pixels: int) -> None:
    """Scale the per-frame pixel budget of a Qwen-style processor (``size["longest_edge"]``, per frame for images,
    per clip for Qwen3-VL's video processor) from the tiny default of 64 x 64 to ``max_pixels``."""
    if family not in _AREA_BUDGET:
        raise ValueError(
            f"max_pixels is for the tiny families whose processor budgets pixels by area "
            f"({', '.join(_AREA_BUDGET)}), not {family}"
        )
    if max_pixels < 16 * 16:
        raise ValueError(f"max_pixels must be at least 256 (16 x 16), got {max_pixels}")
    found = False
    for name in ("image_processor", "video_processor"):
        sub = getattr(processor, name, None)
        size = getattr(sub, "size", None)
        longest = size.get("longest_edge") if hasattr(size, "get") else getattr(size, "longest_edge", None)
        if longest is None:
            continue
        sub.size = {**dict(size), "longest_edge": int(longest * max_pixels / (64 * 64))}
        found = True
    if not found:
        raise ValueError(f"the tiny {family} processor has no per-frame pixel budget to set (max_pixels)")


def _zero_language_queries(model) -> None:
    """Zero the language model's query projections (weights and biases): every attention layer then spreads its
    attention evenly over the tokens before it, as muP's zero-initialised queries do (Yang et al. 2021, Tensor
    Programs V)."""
    import torch

    from ..model_parts import find_model_parts

    prefix = find_model_parts(model).language_prefix + "."
    found = 0
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.startswith(prefix) and name.rsplit(".", 1)[-1] == "q_proj":
                for tensor in (module.weight, getattr(module, "bias", None)):
                    if tensor is not None:
                        tensor.zero_()
                found += 1
    if not found:
        raise ValueError(f"{type(model).__name__} has no q_proj under {prefix[:-1]} to zero")


def make_tiny_model(
    family: str,
    path: str | os.PathLike,
    *,
    seed: int = 0,
    max_pixels: int | None = None,
    zero_query: bool = False,
) -> str:
    """Build a tiny random video LMM of ``family`` (one of :data:`TINY_FAMILIES`) into the folder ``path``.

    The folder holds ``config.json``, ``generation_config.json``, ``model.safetensors`` (< 1 MB), the tokenizer
    files, ``processor_config.json`` (image and video processor inside) and ``chat_template.jinja``; load it with
    ``AutoProcessor.from_pretrained(path)`` and ``AutoModelForImageTextToText.from_pretrained(path)``. Works
    offline and never uses remote code; the same ``seed`` gives byte-identical files (the tokenizer does not
    depend on the seed). Returns ``path`` as a string.

    ``max_pixels``: the processor's pixel budget per frame (default 64 x 64 = 4096: frames of ~80 x 48), for the
    families whose processors have one (Qwen's ``size["longest_edge"]``); more pixels let the model see finer
    damage (blur, grain, compression) at the cost of more visual tokens.
    """
    if family not in _BUILDERS:
        raise ValueError(f"unknown tiny model family {family!r}; choose one of {', '.join(TINY_FAMILIES)}")
    import torch

    path = os.fspath(path)
    info = FAMILY_INFO[family]
    classes = _classes(info)
    template = info.chat_template
    tokenizer = build_tiny_tokenizer(family, template)
    ids = _ids(tokenizer, info)
    config, processor = _BUILDERS[family](classes, info, tokenizer, ids)
    processor.chat_template = template
    if max_pixels is not None:
        _set_pixel_budget(processor, family, int(max_pixels))

    with torch.random.fork_rng(devices=[]):  # leave the caller's RNG alone
        torch.manual_seed(seed)
        model = classes.model(config)
    if zero_query:
        _zero_language_queries(model)
    model.eval()
    generation = model.generation_config
    generation.eos_token_id = ids["eos_token"]
    generation.pad_token_id = ids["pad_token"]
    if ids["bos_token"] is not None:
        generation.bos_token_id = ids["bos_token"]
    generation.do_sample = False

    os.makedirs(path, exist_ok=True)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
