"""``run_training``: Stage I then Stage II (or one of them) from a model id and a data folder, with outputs that the
model card and ``s2i push model`` read. Its three arguments are what ``s2i train`` parses, in TRL's order: the
script arguments, the training config and the model config (model id, revision, dtype, attention, LoRA)::

    OUT/stage1/                 full Stage I model + processor
    OUT/stage2/                 the Stage II LoRA adapter (+ the projector, saved by peft) + processor
    OUT/merged/                 Stage II merged into the model + processor (Auto classes load it)
    OUT/training_summary.json   stages, steps, losses, trainable parameters, data sizes, frame sampling
    OUT/checkpoints/stage{1,2}/ Trainer checkpoints; a rerun resumes from the last one

A stage already completed (recorded in the summary, its folder present) is not run again on a rerun; delete its
folder to retrain it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from s2i_hf.artifacts import SUMMARY_FILE, load_training_summary, save_training_summary

from .assistant_spans import LABEL_SOURCES
from .config import S2IModelConfig, S2IScriptArguments, S2ITrainConfig, lora_target_names
from .data import load_stage_data, stage_items


__all__ = ["run_training"]

logger = logging.getLogger(__name__)


def _load_model(path: str, revision: str | None, trust_remote_code: bool, model_args: S2IModelConfig):
    """The model at ``path`` loaded as ``model_args`` says (dtype, attention implementation), as TRL's scripts do."""
    import torch
    from transformers import AutoModelForImageTextToText

    dtype = model_args.dtype if model_args.dtype in ("auto", None) else getattr(torch, model_args.dtype)
    kwargs = {"attn_implementation": model_args.attn_implementation} if model_args.attn_implementation else {}
    return AutoModelForImageTextToText.from_pretrained(
        path, revision=revision, trust_remote_code=trust_remote_code, dtype=dtype, **kwargs
    )


def _last_checkpoint(folder: str) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(folder) if os.path.isdir(folder) else None


def _stage_record(trainer, result, data, items, cfg, output_dir: str, seconds: float) -> dict[str, Any]:
    state = trainer.state
    losses = [[int(e["step"]), float(e["loss"])] for e in state.log_history if "loss" in e and "step" in e]
    streamed = not hasattr(data, "__len__")
    return {
        # videos (rows of the config) and the training items made of them; unknown when streamed
        "rows": None if streamed else len(data),
        "items": None if streamed else len(items),
        "streaming": streamed,
        "steps": int(state.global_step),
        "epochs": float(state.epoch or 0.0),
        "train_loss": float(result.training_loss) if result is not None else None,
        "losses": losses,
        "learning_rate": float(cfg.learning_rate),
        "lr_scheduler_type": str(getattr(cfg.lr_scheduler_type, "value", cfg.lr_scheduler_type)),
        "per_device_train_batch_size": int(cfg.per_device_train_batch_size),
        "gradient_accumulation_steps": int(cfg.gradient_accumulation_steps),
        "world_size": int(trainer.args.world_size),
        "seed": int(cfg.seed),
        "trainable_parameters": trainer.trainable_parameters(),
        # how the assistant-only labels were made (trainers.assistant_spans.LABEL_SOURCES)
        "assistant_labels": getattr(trainer.data_collator, "label_source", None),
        "total_parameters": trainer.total_parameters(),
        "output_dir": os.path.basename(output_dir),
        "runtime_seconds": round(seconds, 2),
        "completed": True,
    }


def run_training(args: S2IScriptArguments, config: S2ITrainConfig, model_args: S2IModelConfig) -> dict[str, Any]:
    """Run the requested stage(s) of ``model_args.model_name_or_path``; returns the training summary (also written
    to ``OUT/training_summary.json``). ``OUT`` is ``config.output_dir`` (``args.output``, when set, wins: the
    deprecated spelling); each stage's checkpoints go to ``OUT/checkpoints/stage{1,2}/``."""
    from transformers import AutoProcessor

    from s2i_hf import __version__

    from .stages import S2IStage1Trainer, S2IStage2Trainer

    model_id, revision = model_args.model_name_or_path, model_args.model_revision
    if not model_id:
        raise ValueError("s2i train needs --model (--model_name_or_path): the video LMM to train")
    if model_args.load_in_4bit or model_args.load_in_8bit:
        raise ValueError(
            "s2i train does not load quantized models (--load_in_4bit / --load_in_8bit): Stage I trains "
            "the vision encoder in full and Stage II merges the adapter into the model"
        )
    if not (args.output or config.output_dir):
        raise ValueError("s2i train needs --output_dir: the output folder")
    out = os.path.abspath(args.output or config.output_dir)
    os.makedirs(out, exist_ok=True)
    summary_path = os.path.join(out, SUMMARY_FILE)
    previous = load_training_summary(summary_path) if args.resume and os.path.isfile(summary_path) else None
    if previous and (previous.get("base_model"), previous.get("data")) != (model_id, args.data):
        raise ValueError(
            f"{out} holds a run of {previous.get('base_model')} on {previous.get('data')}; use another --output_dir "
            f"for {model_id} on {args.data} (or --resume false to overwrite)"
        )
    sampling = config.frame_sampling
    summary: dict[str, Any] = previous or {
        "base_model": model_id,
        "family": None,
        "data": args.data,
        "frame_sampling": sampling.to_dict(),
        "stages": {},
        "outputs": {},
    }
    if summary.get("frame_sampling") != sampling.to_dict():
        raise ValueError(
            f"{out} was trained with frame sampling {summary.get('frame_sampling')}, not {sampling.to_dict()}"
        )
    summary["package_version"] = __version__
    trust = bool(config.trust_remote_code)
    processor = AutoProcessor.from_pretrained(model_id, revision=revision, trust_remote_code=trust)
    model = None
    stage1_dir, stage2_dir = os.path.join(out, "stage1"), os.path.join(out, "stage2")

    def completed(stage: int, marker: str) -> bool:
        if summary["stages"].get(f"stage{stage}", {}).get("completed") and os.path.isfile(marker):
            logger.warning(
                "Stage %d is already complete in %s: skipped (delete that folder to train it again)", stage, out
            )
            return True
        return False

    def train_stage(stage: int, trainer_cls, model, output_dir: str, **trainer_kwargs):
        cfg = config.stage_config(stage, os.path.join(out, "checkpoints", f"stage{stage}"))
        if args.streaming and (cfg.max_steps is None or cfg.max_steps <= 0):
            raise ValueError(f"--streaming needs --max_steps (or --stage{stage}_max_steps): a stream has no length")
        data = load_stage_data(args.data, f"stage{stage}", args.data_revision, streaming=args.streaming)
        items = stage_items(data, f"stage{stage}")
        if args.streaming and args.shuffle_buffer > 0:  # a map-style dataset is shuffled by the Trainer's sampler
            items = items.shuffle(seed=cfg.seed, buffer_size=args.shuffle_buffer)
        trainer = trainer_cls(model, cfg, items, processor, **trainer_kwargs)
        source = getattr(trainer.data_collator, "label_source", None)
        if source is not None and trainer.is_world_process_zero():
            print(f"Stage {stage}: assistant-only labels from {LABEL_SOURCES[source]}", flush=True)
        start = time.perf_counter()
        result = trainer.train(resume_from_checkpoint=_last_checkpoint(cfg.output_dir) if args.resume else None)
        trainer.save_model(output_dir)
        if not trainer.is_world_process_zero():
            return trainer, None
        processor.save_pretrained(output_dir)
        summary["outputs"][f"stage{stage}"] = f"stage{stage}"
        return trainer, _stage_record(trainer, result, data, items, cfg, output_dir, time.perf_counter() - start)

    if 1 in args.stages and not completed(1, os.path.join(stage1_dir, "config.json")):
        model = _load_model(model_id, revision, trust, model_args)
        summary["family"] = model.config.model_type
        trainer, record = train_stage(1, S2IStage1Trainer, model, stage1_dir)
        if record is not None:
            summary["stages"]["stage1"] = record
            save_training_summary(out, summary)
        # Stage II continues from these weights; its adapter names them as its base
        model.name_or_path = model.config._name_or_path = stage1_dir
        del trainer

    if 2 in args.stages and not completed(2, os.path.join(stage2_dir, "adapter_config.json")):
        stage1_done = os.path.isfile(os.path.join(stage1_dir, "config.json"))
        start_from = args.stage1_model or (stage1_dir if stage1_done else model_id)
        if model is None:
            model = _load_model(start_from, revision if start_from == model_id else None, trust, model_args)
            summary["family"] = summary.get("family") or model.config.model_type
        trainer, record = train_stage(2, S2IStage2Trainer, model, stage2_dir, model_args=model_args)
        if record is not None:
            cfg = trainer.args
            record["starts_from"] = "stage1" if start_from == stage1_dir else start_from
            record["lora"] = {
                "r": model_args.lora_r,
                "alpha": model_args.lora_alpha,
                "dropout": model_args.lora_dropout,
                "target_modules": lora_target_names(model_args),
                "train_projector": cfg.train_projector,
                "train_vision": cfg.train_vision,
            }
            summary["stages"]["stage2"] = record
            if args.merge:
                merged_dir = os.path.join(out, "merged")
                trainer.model.merge_and_unload().save_pretrained(merged_dir)
                processor.save_pretrained(merged_dir)
                summary["outputs"]["merged"] = "merged"
            save_training_summary(out, summary)
    return summary
