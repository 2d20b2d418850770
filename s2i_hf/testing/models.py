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

from .chat_templates import CHAT_TEMPLATES
from .families import TINY_FAMILIES
from .tokenization import SPECIAL_TOKENS, build_tiny_tokenizer

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


def _ids(tokenizer, family: str) -> dict[str, int | None]:
    spec = SPECIAL_TOKENS[family]
    out = {name: tokenizer.convert_tokens_to_ids(tok) for name, tok in spec["named"].items()}
    for name in ("bos_token", "eos_token", "pad_token"):
        tok = spec["special"].get(name)
        out[name] = tokenizer.convert_tokens_to_ids(tok) if tok is not None else None
    return out


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


def _qwen2_5_vl(tokenizer, ids):
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    config = Qwen2_5_VLConfig(
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
        image_token_id=ids["image_token"],
        video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_start_token"],
        vision_end_token_id=ids["vision_end_token"],
        tie_word_embeddings=False,
    )
    pix = {"patch_size": PATCH_SIZE, "temporal_patch_size": 2, "merge_size": 2}
    image_processor = Qwen2VLImageProcessor(size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64}, **pix)
    video_processor = Qwen2VLVideoProcessor(
        size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64},
        min_frames=2,
        max_frames=DEFAULT_NUM_FRAMES,
        fps=2,
        do_sample_frames=True,
        cap_pixels_per_frame=False,
        **pix,
    )
    processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)
    return config, Qwen2_5_VLForConditionalGeneration, processor


def _qwen3_vl(tokenizer, ids):
    from transformers import (
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    config = Qwen3VLConfig(
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
        image_token_id=ids["image_token"],
        video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_start_token"],
        vision_end_token_id=ids["vision_end_token"],
        tie_word_embeddings=False,
    )
    pix = {"patch_size": PATCH_SIZE, "temporal_patch_size": 2, "merge_size": 2}
    image_processor = Qwen2VLImageProcessor(size={"shortest_edge": 16 * 16, "longest_edge": 64 * 64}, **pix)
    video_processor = Qwen3VLVideoProcessor(
        # Qwen3-VL budgets pixels over the whole clip (frames x height x width)
        size={"shortest_edge": 2 * 16 * 16, "longest_edge": DEFAULT_NUM_FRAMES * 64 * 64},
        min_frames=2,
        max_frames=DEFAULT_NUM_FRAMES,
        fps=2,
        do_sample_frames=True,
        cap_pixels_per_frame=False,
        **pix,
    )
    processor = Qwen3VLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor)
    return config, Qwen3VLForConditionalGeneration, processor


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


def _llava_onevision(tokenizer, ids):
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    config = LlavaOnevisionConfig(
        vision_config={"model_type": "siglip_vision_model", **_vision_tower(vision_use_head=False)},
        text_config={"model_type": "qwen2", **_text_common(tokenizer, ids)},
        image_token_index=ids["image_token"],
        video_token_index=ids["video_token"],
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=_PINPOINTS,
        vision_aspect_ratio="anyres_max_9",
        tie_word_embeddings=False,
    )
    size = {"height": FRAME_SIZE, "width": FRAME_SIZE}
    image_processor = LlavaOnevisionImageProcessor(size=size, image_grid_pinpoints=_PINPOINTS)
    video_processor = LlavaOnevisionVideoProcessor(size=size, num_frames=DEFAULT_NUM_FRAMES, do_sample_frames=True)
    processor = LlavaOnevisionProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        num_image_tokens=(FRAME_SIZE // PATCH_SIZE) ** 2,
        vision_feature_select_strategy="full",
        vision_aspect_ratio="anyres_max_9",
    )
    return config, LlavaOnevisionForConditionalGeneration, processor


def _llava_next_video(tokenizer, ids):
    from transformers import (
        LlavaNextImageProcessor,
        LlavaNextVideoConfig,
        LlavaNextVideoForConditionalGeneration,
        LlavaNextVideoProcessor,
        LlavaNextVideoVideoProcessor,
    )

    patches = (FRAME_SIZE // PATCH_SIZE) ** 2
    config = LlavaNextVideoConfig(
        vision_config={"model_type": "clip_vision_model", "projection_dim": 32, **_vision_tower()},
        text_config={"model_type": "llama", **_text_common(tokenizer, ids)},
        image_token_index=ids["image_token"],
        video_token_index=ids["video_token"],
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
        image_grid_pinpoints=_PINPOINTS,
        spatial_pool_mode="average",
        spatial_pool_stride=2,
        image_seq_length=patches,
        video_seq_length=patches // 4,
        tie_word_embeddings=False,
    )
    image_processor = LlavaNextImageProcessor(
        size={"shortest_edge": FRAME_SIZE},
        crop_size={"height": FRAME_SIZE, "width": FRAME_SIZE},
        image_grid_pinpoints=_PINPOINTS,
    )
    video_processor = LlavaNextVideoVideoProcessor(
        size={"shortest_edge": FRAME_SIZE},
        crop_size={"height": FRAME_SIZE, "width": FRAME_SIZE},
        num_frames=DEFAULT_NUM_FRAMES,
        do_sample_frames=True,
    )
    processor = LlavaNextVideoProcessor(
        video_processor=video_processor,
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=PATCH_SIZE,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS token
    )
    return config, LlavaNextVideoForConditionalGeneration, processor


def _smolvlm(tokenizer, ids):
    from transformers import (
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
    )

    scale_factor = 2
    config = SmolVLMConfig(
        vision_config=_vision_tower(),
        text_config={"model_type": "llama", **_text_common(tokenizer, ids)},
        image_token_id=ids["image_token"],
        scale_factor=scale_factor,
        pad_token_id=ids["pad_token"],
        tie_word_embeddings=False,
    )
    image_processor = SmolVLMImageProcessor(
        size={"longest_edge": 2 * FRAME_SIZE},
        max_image_size={"longest_edge": FRAME_SIZE},
        do_image_splitting=False,
    )
    video_processor = SmolVLMVideoProcessor(
        size={"longest_edge": FRAME_SIZE},
        max_image_size={"longest_edge": FRAME_SIZE},
        num_frames=DEFAULT_NUM_FRAMES,
        fps=1,
        do_sample_frames=True,
    )
    processor = SmolVLMProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        image_seq_len=(FRAME_SIZE // PATCH_SIZE) ** 2 // scale_factor**2,
    )
    return config, SmolVLMForConditionalGeneration, processor


def _internvl(tokenizer, ids):
    from transformers import (
        GotOcr2ImageProcessor,
        InternVLConfig,
        InternVLForConditionalGeneration,
        InternVLProcessor,
        InternVLVideoProcessor,
    )

    downsample = 0.5
    seq = int((FRAME_SIZE // PATCH_SIZE) ** 2 * downsample**2)
    config = InternVLConfig(
        vision_config=_vision_tower(image_size=[FRAME_SIZE, FRAME_SIZE], patch_size=[PATCH_SIZE, PATCH_SIZE]),
        text_config={"model_type": "qwen2", **_text_common(tokenizer, ids)},
        image_token_id=ids["context_image_token"],
        image_seq_length=seq,
        downsample_ratio=downsample,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
        tie_word_embeddings=False,
    )
    size = {"height": FRAME_SIZE, "width": FRAME_SIZE}
    image_processor = GotOcr2ImageProcessor(size=size, crop_to_patches=False, min_patches=1, max_patches=4)
    video_processor = InternVLVideoProcessor(size=size, num_frames=DEFAULT_NUM_FRAMES, do_sample_frames=True)
    processor = InternVLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor, image_seq_length=seq
    )
    return config, InternVLForConditionalGeneration, processor


_BUILDERS = {
    "qwen2_5_vl": _qwen2_5_vl,
    "qwen3_vl": _qwen3_vl,
    "llava_onevision": _llava_onevision,
    "llava_next_video": _llava_next_video,
    "smolvlm": _smolvlm,
    "internvl": _internvl,
}


def make_tiny_model(family: str, path: str | os.PathLike, *, seed: int = 0) -> str:
    """Build a tiny random video LMM of ``family`` (one of :data:`TINY_FAMILIES`) into the folder ``path``.

    The folder holds ``config.json``, ``generation_config.json``, ``model.safetensors`` (< 1 MB), the tokenizer
    files, ``processor_config.json`` (image and video processor inside) and ``chat_template.jinja``; load it with
    ``AutoProcessor.from_pretrained(path)`` and ``AutoModelForImageTextToText.from_pretrained(path)``. Works
    offline and never uses remote code; the same ``seed`` gives byte-identical files (the tokenizer does not
    depend on the seed). Returns ``path`` as a string.
    """
    if family not in _BUILDERS:
        raise ValueError(f"unknown tiny model family {family!r}; choose one of {', '.join(TINY_FAMILIES)}")
    import torch

    path = os.fspath(path)
    template = CHAT_TEMPLATES[family]
    tokenizer = build_tiny_tokenizer(family, template)
    ids = _ids(tokenizer, family)
    config, model_cls, processor = _BUILDERS[family](tokenizer, ids)
    processor.chat_template = template

    with torch.random.fork_rng(devices=[]):  # leave the caller's RNG alone
        torch.manual_seed(seed)
        model = model_cls(config)
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
