"""Training configs: dataclasses extending TRL's ``SFTConfig``, parsed from the CLI or a YAML file by ``TrlParser``.

- :class:`S2IStage1Config`: Stage I alone (language model frozen, vision encoder + projector trained).
- :class:`S2IStage2Config`: Stage II alone (LoRA on the language model, projector trainable).
- :class:`S2ITrainConfig`: what ``s2i train`` parses: the settings both stages share and per-stage learning
  rate / epochs / steps (``stage1_learning_rate`` ...); :meth:`S2ITrainConfig.stage_config` turns it into the
  config of one stage.
- :class:`S2IModelConfig`: TRL's ``ModelConfig`` (model id, revision, dtype, attention, LoRA settings as TRL names
  them: ``--lora_r``, ``--lora_target_modules`` ...) with the defaults of this curriculum: ``--model`` is accepted
  for ``--model_name_or_path``, LoRA is on (Stage II) and targets the language model's attention and MLP
  projections. Stage II's LoRA config is TRL's ``get_peft_config`` of it, restricted to the language model.
- :class:`S2IScriptArguments`: data and which stage(s) to run (the output folder is the training config's
  ``output_dir``).

``TrlParser((S2IScriptArguments, S2ITrainConfig, S2IModelConfig))`` parses all three, as TRL's own scripts do.

Defaults differ from ``SFTConfig`` where video training needs it: ``max_length=None`` (a cut through the video
tokens breaks the forward), ``remove_unused_columns=False`` and ``skip_prepare_dataset`` (the collator needs the
raw ``messages`` and ``video``), no activation checkpointing (opt in with ``--activation_checkpointing``) and bf16 only
where a GPU supports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

from trl import ModelConfig, SFTConfig

from s2i_hf.frames import FrameSampling


__all__ = [
    "DEFAULT_LORA_TARGETS",
    "S2IModelConfig",
    "S2IScriptArguments",
    "S2IStage1Config",
    "S2IStage2Config",
    "S2ITrainConfig",
    "lora_target_names",
]

DEFAULT_LORA_TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _mps_available() -> bool:
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def _bf16_available() -> bool:
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


@dataclass
class S2IStage1Config(SFTConfig):
    """Stage I: the language model frozen, the vision encoder and projector trained on ``stage1``."""

    num_frames: int | None = field(
        default=8, metadata={"help": "Frames per video, spread evenly (exclusive with --fps)."}
    )
    fps: float | None = field(default=None, metadata={"help": "Frames per second to sample instead of --num_frames."})
    max_pixels: int | None = field(
        default=None, metadata={"help": "Cap on each frame's area in pixels (aspect kept)."}
    )
    max_frames: int = field(default=64, metadata={"help": "Most frames per video when sampling by --fps."})
    frame_span: float | None = field(
        default=None,
        metadata={
            "help": "With --num_frames: the frames cover this many seconds around each video's middle instead of "
            "the whole video, so the time between them does not depend on the clip's length (Qwen2-VL-style models "
            "fuse frame pairs). Recorded with the model; `s2i eval` uses it."
        },
    )
    fragments: int | None = field(
        default=None,
        metadata={
            "help": "Show each frame as a mosaic of FRAGMENTS x FRAGMENTS native-resolution patches (FAST-VQA's "
            "fragments) instead of the whole frame shrunk to the pixel budget; recorded with the model, so s2i eval "
            "shows the same."
        },
    )
    fragment_size: int = field(default=32, metadata={"help": "Side of each fragment in pixels (with --fragments)."})
    fragment_jitter: bool = field(
        default=True,
        metadata={
            "help": "With --fragments: cut each fragment at a random place inside its grid cell every time a row is "
            "rendered (FAST-VQA's training-time sampling; seeded by --seed), so each epoch shows other pixels of a "
            "video; evaluation scores fixed placements. --render_cache_mb then also keeps decoded frames."
        },
    )
    render_cache_mb: float = field(
        default=0.0,
        metadata={
            "help": "Keep up to this many MB of rendered rows (decoded frames through the processor, tokens) in "
            "memory per data-loading process, so later epochs do not decode the videos again (with "
            "--fragment_jitter: the decoded frames alone); 0: off."
        },
    )
    learning_rate: float = field(default=2e-5, metadata={"help": "Initial AdamW learning rate."})
    train_lm_head: bool = field(
        default=False,
        metadata={
            "help": "Also train the output layer (lm_head) in full, in Stage I beside the vision encoder and in "
            "Stage II beside the LoRA layers. A pretrained model already writes the rating words; a language model "
            "built from scratch (the demo's tiny model) cannot learn to with its output layer frozen."
        },
    )
    level_score_sigma: float = field(
        default=0.0,
        metadata={
            "help": "Stage I only: train each rating's level word towards a Gaussian of this width (score units; "
            "levels are 0.25 apart) over the five level words around the score the turn states, instead of the one "
            "word, so that two videos of one level are still told apart (e.g. 0.1); 0: off."
        },
    )
    score_head_weight: float = field(
        default=0.0,
        metadata={
            "help": "Stage I only: also fit the row's overall score from the mean of its visual tokens (as the "
            "language model receives them) with a linear head, weighted this much beside the answer's loss (mean "
            "squared error, scores in [0, 1]; e.g. 10). The head is not saved (a resumed run starts a new one): it "
            "only gives the vision encoder and projector a direct signal of quality; 0: off."
        },
    )
    content_batches: bool = field(
        default=False,
        metadata={
            "help": "Stage I only, with --score_head_weight: every batch holds versions of one source content (the "
            "rows' `content_id` column, `s2i build --content_from folder`: a clip and its distorted copies), and the "
            "score head fits how their scores differ from the batch's mean, which the scene cannot explain, plus "
            "--score_head_absolute_weight times the plain error. Rows without a content share batches at random."
        },
    )
    score_head_absolute_weight: float = field(
        default=0.1,
        metadata={"help": "With --content_batches: the weight of the score head's plain squared error."},
    )
    max_length: int | None = field(
        default=None, metadata={"help": "Token cap per row; None: never cut (video tokens)."}
    )
    remove_unused_columns: bool = field(default=False, metadata={"help": "Keep messages/video for the collator."})
    gradient_checkpointing: bool | None = field(
        default=None, metadata={"help": "Deprecated alias of --activation_checkpointing."}
    )
    activation_checkpointing: bool | None = field(
        default=False, metadata={"help": "Recompute activations to save memory."}
    )
    bf16: bool | None = field(
        default=None, metadata={"help": "bf16 mixed precision; default: on where the GPU supports it."}
    )
    logging_steps: float = field(default=1, metadata={"help": "Log the loss every N steps."})
    ddp_find_unused_parameters: bool | None = field(
        default=True,
        metadata={
            "help": "DDP: tolerate trainable parameters a video batch does not use (LLaVA's image_newline, "
            "vision layers after the feature layer)."
        },
    )
    dataset_kwargs: dict[str, Any] | str | None = field(
        default_factory=lambda: {"skip_prepare_dataset": True},
        metadata={"help": "The collator renders rows itself: the dataset is not tokenized ahead."},
    )

    def __post_init__(self):
        if self.bf16 is None:
            self.bf16 = _bf16_available() and not self.fp16
        if not _cuda_available():
            self.dataloader_pin_memory = False  # nothing to pin to; avoids a warning per epoch
            if not _mps_available():
                # a CPU-only machine: processes started by `accelerate launch` then form a gloo group (DDP on CPU)
                self.use_cpu = True
        super().__post_init__()
        self.frame_sampling  # validates num_frames / fps

    @property
    def frame_sampling(self) -> FrameSampling:
        num_frames = None if self.fps is not None else self.num_frames
        return FrameSampling(
            num_frames=num_frames,
            fps=self.fps,
            max_pixels=self.max_pixels,
            max_frames=self.max_frames,
            fragments=self.fragments,
            fragment_size=self.fragment_size,
            span=self.frame_span,
        )


@dataclass
class S2IStage2Config(S2IStage1Config):
    """Stage II: LoRA on the language model only (projector kept trainable) on ``stage2``. The LoRA settings are
    TRL's (:class:`S2IModelConfig`'s ``lora_*`` fields); this config says what else trains beside them."""

    learning_rate: float = field(default=2e-4, metadata={"help": "Initial AdamW learning rate."})
    train_projector: bool = field(default=True, metadata={"help": "Keep the projector trainable in Stage II."})
    train_vision: bool = field(
        default=False,
        metadata={
            "help": "Also train the vision encoder in full in Stage II (saved with the adapter). "
            "The paper keeps it as Stage I left it."
        },
    )


_STAGE_FIELDS = ("learning_rate", "num_train_epochs", "max_steps")


@dataclass
class S2ITrainConfig(S2IStage2Config):
    """Both stages from one command: shared settings and per-stage overrides (LoRA: :class:`S2IModelConfig`).

    ``learning_rate`` / ``num_train_epochs`` / ``max_steps`` apply to both stages; ``stage1_*`` / ``stage2_*``
    override them for one stage. Left unset, the learning rates are the stages' defaults (2e-5 and 2e-4).
    """

    output_dir: str | None = field(
        default=None,
        metadata={
            "help": "Output folder: stage1/, stage2/, merged/, training_summary.json; Trainer checkpoints in "
            "OUTPUT_DIR/checkpoints/stage{1,2}/."
        },
    )
    learning_rate: float | None = field(
        default=None, metadata={"help": "Learning rate of both stages (default: per stage)."}
    )
    stage1_learning_rate: float | None = field(
        default=None, metadata={"help": "Stage I learning rate (default 2e-5)."}
    )
    stage2_learning_rate: float | None = field(
        default=None, metadata={"help": "Stage II learning rate (default 2e-4)."}
    )
    stage1_num_train_epochs: float | None = field(default=None, metadata={"help": "Stage I epochs."})
    stage2_num_train_epochs: float | None = field(default=None, metadata={"help": "Stage II epochs."})
    stage1_max_steps: int | None = field(default=None, metadata={"help": "Stage I steps (overrides epochs)."})
    stage2_max_steps: int | None = field(default=None, metadata={"help": "Stage II steps (overrides epochs)."})

    def __post_init__(self):
        lr = self.learning_rate
        self.learning_rate = 0.0 if lr is None else lr  # TrainingArguments wants a number; stage_config decides
        self._shared_learning_rate = lr
        output_dir = self.output_dir
        super().__post_init__()
        # no "trainer_output" default: s2i train's output folder is this one; each stage's config gets its own
        self.output_dir = None if output_dir is None else self.output_dir

    def stage_config(self, stage: int, output_dir: str) -> S2IStage1Config:
        """The config of one stage, its checkpoints under ``output_dir``."""
        if stage not in (1, 2):
            raise ValueError(f"stage must be 1 or 2, got {stage}")
        cls = S2IStage1Config if stage == 1 else S2IStage2Config
        names = {f.name for f in fields(cls) if f.init}
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name in names}
        default_lr = next(f.default for f in fields(cls) if f.name == "learning_rate")
        values["learning_rate"] = _first(
            getattr(self, f"stage{stage}_learning_rate"), self._shared_learning_rate, default_lr
        )
        values["num_train_epochs"] = _first(getattr(self, f"stage{stage}_num_train_epochs"), self.num_train_epochs)
        values["max_steps"] = _first(getattr(self, f"stage{stage}_max_steps"), self.max_steps)
        values["output_dir"] = output_dir
        values["run_name"] = f"{self.run_name or 's2i'}-stage{stage}" if self.run_name else None
        return cls(**values)


def _first(*values):
    for v in values:
        if v is not None:
            return v
    return None


@dataclass
class S2IModelConfig(ModelConfig):
    """TRL's ``ModelConfig`` with this curriculum's defaults (see module docs). The LoRA fields configure Stage II;
    ``lora_target_modules`` are module names matched inside the language model only (space- or comma-separated)."""

    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Hub id or local folder of a video LMM (AutoModelForImageTextToText).",
            "aliases": ["--model"],
        },
    )
    dtype: str | None = field(
        default="auto",
        metadata={
            "help": "dtype to load the model in; auto: the checkpoint's own (bf16 for most Hub video LMMs), as "
            "transformers loads it. float32 doubles the weights' memory and the size of merged/."
        },
    )
    use_peft: bool = field(default=True, metadata={"help": "Stage II trains LoRA adapters (it needs this on)."})
    lora_target_modules: list[str] | None = field(
        default_factory=lambda: DEFAULT_LORA_TARGETS.split(","),
        metadata={"help": "Module names inside the language model to adapt with LoRA (never the vision tower)."},
    )


def lora_target_names(model_args: ModelConfig) -> list[str]:
    """``lora_target_modules`` of ``model_args`` as a list of module names: TRL keeps one given name as a string,
    a YAML file may give one comma-separated string; unset (a plain ``trl.ModelConfig``): the default targets."""
    targets = model_args.lora_target_modules
    if targets is None:
        targets = DEFAULT_LORA_TARGETS
    if isinstance(targets, str):
        targets = [targets]
    return [t.strip() for entry in targets for t in entry.split(",") if t.strip()]


@dataclass
class S2IScriptArguments:
    """What ``s2i train`` trains on and where (the model: :class:`S2IModelConfig`)."""

    data: str = field(default=None, metadata={"help": "Folder written by `s2i build`, or a Hub dataset id."})
    output: str | None = field(
        default=None,
        metadata={
            "help": "Deprecated spelling of --output_dir. (In Python: the output folder; default: the training "
            "config's output_dir.)"
        },
    )
    stage: str = field(
        default="both", metadata={"help": "Which stage(s) to run: 1, 2 or both.", "choices": ["1", "2", "both"]}
    )
    data_revision: str | None = field(default=None, metadata={"help": "Revision of a Hub dataset."})
    stage1_model: str | None = field(
        default=None,
        metadata={
            "help": "With --stage 2: the Stage I model to start from (default: OUT/stage1 if it exists, else --model)."
        },
    )
    resume: bool = field(
        default=True, metadata={"help": "Resume each stage from its last checkpoint under OUT/checkpoints."}
    )
    merge: bool = field(default=True, metadata={"help": "Write OUT/merged (Stage II merged into the model)."})
    streaming: bool = field(
        default=False,
        metadata={
            "help": "Stream --data (a folder or Hub id) instead of loading it: for data larger than the local "
            "disk. Needs --max_steps (or --stage1_max_steps / --stage2_max_steps)."
        },
    )
    shuffle_buffer: int = field(
        default=256,
        metadata={
            "help": "With --streaming: items held in the shuffle buffer (memory ~ buffer x clip size; 0: the "
            "stream's own order)."
        },
    )
    threads: int | None = field(
        default=None,
        metadata={
            "help": "CPU threads for torch (default: torch's choice). "
            "On a small shared CPU machine 1 is often fastest."
        },
    )

    def __post_init__(self):
        if not self.data:
            raise ValueError("s2i train needs --data")
        self.stage = str(self.stage)
        if self.stage not in ("1", "2", "both"):
            raise ValueError(f"--stage must be 1, 2 or both, got {self.stage!r}")
        if self.output:
            self.output = os.path.abspath(self.output)
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {self.threads}")
        if self.shuffle_buffer < 0:
            raise ValueError(f"--shuffle_buffer must be >= 0, got {self.shuffle_buffer}")

    @property
    def stages(self) -> tuple[int, ...]:
        return (1, 2) if self.stage == "both" else (int(self.stage),)
