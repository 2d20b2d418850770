"""Two-stage training of video LMMs on S2I data (TRL ``SFTTrainer`` subclasses).

- :class:`S2IVideoCollator` renders ``stage1``/``stage2`` rows with the model's own processor and chat template,
  frames chosen by a :class:`FrameSampling`, labels on assistant tokens only.
- :func:`find_model_parts` locates vision encoder / projector / language model (catalogue + fallback).
- :class:`S2IStage1Trainer` (language model frozen) and :class:`S2IStage2Trainer` (LoRA on the language model,
  projector trainable) with their configs :class:`S2IStage1Config` / :class:`S2IStage2Config`; the model and LoRA
  settings are TRL's ``ModelConfig`` (:class:`S2IModelConfig`: this curriculum's defaults).
- :func:`run_training` (``s2i train``): both stages, outputs ``stage1/``, ``stage2/``, ``merged/`` and
  ``training_summary.json``.

Importing this package loads TRL (and with it torch and transformers).
"""

from s2i_hf.artifacts import SUMMARY_FILE
from s2i_hf.frames import FrameSampling, sample_frames
from s2i_hf.model_parts import ModelParts, ModelPartsError, find_model_parts

from .collator import S2IVideoCollator, resolve_chat_template
from .config import S2IModelConfig, S2IScriptArguments, S2IStage1Config, S2IStage2Config, S2ITrainConfig
from .data import load_stage_data, stage_items
from .run import run_training
from .stages import S2IStage1Trainer, S2IStage2Trainer, freeze_for_stage1, lora_config_for


__all__ = [
    "FrameSampling",
    "ModelParts",
    "ModelPartsError",
    "S2IModelConfig",
    "S2IScriptArguments",
    "S2IStage1Config",
    "S2IStage1Trainer",
    "S2IStage2Config",
    "S2IStage2Trainer",
    "S2ITrainConfig",
    "S2IVideoCollator",
    "SUMMARY_FILE",
    "find_model_parts",
    "freeze_for_stage1",
    "load_stage_data",
    "lora_config_for",
    "run_training",
    "stage_items",
    "sample_frames",
    "resolve_chat_template",
]
