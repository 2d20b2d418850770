"""The demo's settings (:class:`DemoConfig`, parsed by ``s2i demo``) and its fixed data: sources, names."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple


__all__ = ["DemoConfig", "DemoSource", "DEMO_SOURCES", "QUICK_SOURCES", "MARKER", "HELDOUT_SET", "OFFLINE_ENV"]


class DemoSource(NamedTuple):
    """One scene of the demo: ``content`` names a source of :mod:`s2i_hf.real_content` (a photograph panned into a
    clip, or a segment of a real clip, from ``start`` seconds where given); ``heldout`` sources are never trained on
    and are the evaluation set of known quality order."""

    name: str
    content: str
    heldout: bool
    start: float | None = None


# Training and held-out sources are different scenes (not other seconds of the same clips): the held-out figures
# say how the tuned model ranks quality on content it never saw.
DEMO_SOURCES: tuple[DemoSource, ...] = (
    DemoSource("china", "china", False),
    DemoSource("grace_hopper", "grace_hopper", False),
    DemoSource("aero", "aero", False),
    DemoSource("ascent", "ascent", False),
    DemoSource("hopper_backdrop", "hopper_backdrop", False),
    DemoSource("china_sky", "china_sky", False),
    DemoSource("bikes", "bikes_cut", False),
    DemoSource("bunny", "bunny_a", False),
    DemoSource("flower", "flower", True),
    DemoSource("flower_backdrop", "flower_backdrop", True),
    DemoSource("quokka", "quokka", True),
    DemoSource("quokka_sky", "quokka_sky", True),
)
QUICK_SOURCES: tuple[DemoSource, ...] = (
    DemoSource("china", "china", False),
    DemoSource("aero", "aero", False),
    DemoSource("flower", "flower", True),
)
# the windows of --views: zoom (1/share of the source's width and height) and centre ranges, drawn per window
VIEW_ZOOM = (1.4, 2.4)
VIEW_CENTRE_X = (0.2, 0.8)
VIEW_CENTRE_Y = (0.25, 0.75)
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

    output_dir: str = field(
        default="s2i_demo", metadata={"help": "Output folder (created; a previous demo's folder is reused)."}
    )
    quick: bool = field(
        default=False,
        metadata={"help": "A reduced run (3 sources, 3 families, a few steps): checks the wiring in about a minute."},
    )
    seed: int = field(default=0, metadata={"help": "Seed of the distortion ladders, the build and the training."})
    width: int | None = field(
        default=None,
        metadata={"help": "Width of the generated clips in pixels, height at 272/480 of it (default 480; quick 240)."},
    )
    seconds: float | None = field(default=None, metadata={"help": "Length of each clip in seconds (default 1)."})
    families: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Distortion families (default: the nine of the label-calibration corpus, catalog/distortions.yaml "
            "`calibration`, at its ladders; quick: blur noise darken)."
        },
    )
    views: int | None = field(
        default=None,
        metadata={
            "help": "More training scenes: this many zoomed, mirrored windows of each training source "
            "(s2i_hf.real_content.View), each with --view_steps random strengths per family (default 3; quick 0)."
        },
    )
    view_steps: int = field(default=2, metadata={"help": "Ladder steps per family in a window's clips (of 4)."})
    steps: list[int] = field(
        default_factory=list, metadata={"help": "Ladder steps per family, 0-3 (default all four; quick: 0 3)."}
    )
    model_family: str = field(
        default="qwen2_5_vl", metadata={"help": "Tiny model family built offline (s2i_hf.testing.TINY_FAMILIES)."}
    )
    num_frames: int = field(
        default=2, metadata={"help": "Frames per video the model sees in training and evaluation."}
    )
    frame_span: float | None = field(
        default=0.5,
        metadata={
            "help": "The model's frames cover this many seconds around each clip's middle (s2i train --frame_span), "
            "so a pair keeps the 0.5-s gap of the 1-s training clips on longer clips too: Qwen2.5-VL fuses the pair "
            "into one temporal patch, and 1.5 s apart a panning shot no longer lines up. 0: spread over the clip."
        },
    )
    fragments: int | None = field(
        default=4,
        metadata={
            "help": "Show the model each frame as a FRAGMENTS x FRAGMENTS mosaic of native-resolution patches "
            "(FAST-VQA's fragments; s2i train --fragments), so blur, grain and compression stay as visible as they "
            "are in the clip; 0: the whole frame, shrunk to --max_pixels."
        },
    )
    fragment_size: int = field(
        default=32,
        metadata={
            "help": "Side of each fragment in pixels: a multiple of the tiny model's 16-px visual token (8-px patches "
            "merged 2 x 2), so that its processor does not resample the mosaic."
        },
    )
    max_pixels: int | None = field(
        default=None,
        metadata={
            "help": "The tiny model's pixel budget per frame (its processor resizes each frame to at most this "
            "many pixels). Default: the fragment mosaic's area; 128 x 128 for whole frames (the tiny default "
            "64 x 64 hides most blur and grain of a 480-pixel clip)."
        },
    )
    fragment_jitter: bool = field(
        default=True,
        metadata={
            "help": "Train on fragments cut at random places inside their grid cells, anew at every step (s2i train "
            "--fragment_jitter); evaluation scores fixed placements. It raised the mean held-out ladder SRCC of "
            "three seeds by 0.06 (benchmarks/README.md, session 8)."
        },
    )
    fragment_views: int = field(
        default=8,
        metadata={
            "help": "Evaluation: score each held-out clip from this many placements of its fragments and average "
            "(s2i eval --fragment_views); 1: the cells' centres alone."
        },
    )
    stage1_dimensions: list[str] = field(
        default_factory=lambda: ["none"],
        metadata={
            "help": "Dimensions asked in the stage1 conversations (s2i build --stage1_dimensions); the default, "
            "the overall rating alone, keeps a Stage I step short (a 15-turn row costs ~15x more)."
        },
    )
    stage1_steps: int | None = field(
        default=None, metadata={"help": "Stage I optimizer steps (default 1500; quick 2)."}
    )
    stage2_steps: int | None = field(
        default=None,
        metadata={
            "help": "Stage II optimizer steps (default 50; quick 2). More wash out, on the tiny model, the ratings "
            "Stage I taught (held-out ladder SRCC 0.44 after 50 steps, 0.33 after 150)."
        },
    )
    stage1_learning_rate: float = field(
        default=2e-3, metadata={"help": "Stage I learning rate (vision encoder + projector + output layer)."}
    )
    stage2_learning_rate: float = field(
        default=2e-4,
        metadata={
            "help": "Stage II learning rate (LoRA + output layer, and the projector with --stage2_train_projector). "
            "At 2e-3 the justifications of stage2 wash out what Stage I learned (the tuned model's scores stop "
            "varying between videos)."
        },
    )
    stage2_train_projector: bool = field(
        default=False,
        metadata={
            "help": "Stage II also trains the projector (s2i train --train_projector). Off in the demo: with the "
            "projector Stage I trained kept as it is, the tuned model's bench answers state an overall rating "
            "(5 seeds: 92% of answers, against 59%) and its held-out ladder SRCC is kept (benchmarks/README.md)."
        },
    )
    train_lm_head: bool = field(
        default=True,
        metadata={
            "help": "Train the output layer in both stages: the tiny language model is random and cannot write "
            "the rating words with a frozen one (a pretrained model can)."
        },
    )
    label_smoothing_factor: float = field(
        default=0.1,
        metadata={"help": "Label smoothing of the answer tokens (keeps the tiny model from memorising scenes)."},
    )
    zero_query: bool = field(
        default=True,
        metadata={
            "help": "Build the tiny model with its language model's query projections at zero (make_tiny_model "
            "zero_query): its random attention then averages the visual tokens evenly instead of picking a few at "
            "random, which Stage I (language model frozen) cannot change."
        },
    )
    score_head_weight: float = field(
        default=10.0,
        metadata={
            "help": "Stage I also fits each video's overall score from the mean of its visual tokens with a linear "
            "head, at this weight (s2i train --score_head_weight; the head is not kept); 0: off."
        },
    )
    content_batches: bool = field(
        default=True,
        metadata={
            "help": "Stage I batches each hold versions of one scene, and the score head fits how their scores "
            "differ (s2i train --content_batches; the build records each clip's scene, s2i build --content_from "
            "folder); off: batches of any clips and the head fits the scores themselves."
        },
    )
    level_score_sigma: float = field(
        default=0.0,
        metadata={
            "help": "Stage I trains each rating's level word towards a Gaussian of this width over the five level "
            "words around the turn's score (s2i train --level_score_sigma); 0: the answer's word alone."
        },
    )
    weight_decay: float = field(default=0.1, metadata={"help": "AdamW weight decay."})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Learning-rate schedule of both stages."})
    render_cache_mb: float = field(
        default=1024,
        metadata={"help": "Rendered training rows kept in memory, so later epochs do not decode the clips again."},
    )
    train_vision: bool = field(
        default=False,
        metadata={"help": "Stage II also trains the vision encoder in full, beside the LoRA layers and projector."},
    )
    batch_size: int = field(default=8, metadata={"help": "Rows per training step."})
    bench_size: int | None = field(default=None, metadata={"help": "S2I-Bench questions (default 24; quick 4)."})
    max_new_tokens: int | None = field(
        default=None, metadata={"help": "Tokens per bench answer (default 48; quick 8)."}
    )
    workers: int = field(
        default=2,
        metadata={
            "help": "Processes for scoring and ffmpeg jobs; above 1, training also loads its data in a process, "
            "and the base model is evaluated in another while the tuned one trains."
        },
    )
    threads: int = field(
        default=1,
        metadata={"help": "torch threads for the tiny model (1 is fastest for it, and kind to a shared machine)."},
    )
    dataset_repo: str = field(
        default="s2i-demo/s2i-demo-data", metadata={"help": "Repo id the dataset dry run is staged for."}
    )
    model_repo: str = field(default="s2i-demo/tiny-s2i", metadata={"help": "Repo id the model dry run is staged for."})
    quiet: bool = field(default=False, metadata={"help": "No progress bars."})
    out: str | None = field(default=None, metadata={"help": "Deprecated spelling of --output_dir."})

    def __post_init__(self):
        from ..options import take_alias

        take_alias(self, "out")

    def resolved(self) -> "DemoConfig":
        """A copy with the defaults of the chosen mode filled in."""
        from ..distortions import DEMO_FAMILIES

        q = self.quick
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        defaults = {
            "width": 240 if q else 480,
            "seconds": 1.0,
            "families": ["blur", "noise", "darken"] if q else list(DEMO_FAMILIES),
            "steps": [0, 3] if q else [0, 1, 2, 3],
            "views": 0 if q else 3,
            "stage1_steps": 2 if q else 1500,
            "stage2_steps": 2 if q else 50,
            "bench_size": 4 if q else 24,
            "max_new_tokens": 8 if q else 48,
        }
        for k, v in defaults.items():
            if values[k] in (None, []):
                values[k] = v
        values["fragments"] = values["fragments"] or None  # 0: whole frames
        values["frame_span"] = values["frame_span"] or None  # 0: spread over the whole clip
        if values["max_pixels"] is None:
            values["max_pixels"] = (values["fragments"] * self.fragment_size) ** 2 if values["fragments"] else 128**2
        return DemoConfig(**values)

    @property
    def sources(self) -> tuple[DemoSource, ...]:
        return QUICK_SOURCES if self.quick else DEMO_SOURCES

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the clips: the real-content catalogue's 480 x 272 shape at :attr:`width`."""
        w = int(self.width or 480) // 2 * 2
        return w, max(2, int(round(w * 272 / 480 / 2)) * 2)
