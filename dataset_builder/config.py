"""Options of ``s2i build`` (command line or YAML via ``--config``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from s2i_hf.options import take_alias


__all__ = ["BuildArguments"]


@dataclass
class BuildArguments:
    output_dir: str | None = field(
        default=None,
        metadata={"help": "Output folder: Parquet configs + README (load_dataset(OUTPUT_DIR, 'stage1'))."},
    )
    labeled: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Maxwell-format label CSV(s). Files whose name contains 'val' are test labels: "
            "kept out of the data unless --use_val_for_training."
        },
    )
    labeled_names: list[str] = field(
        default_factory=list, metadata={"help": "Name list per --labeled CSV without a name column (same order)."}
    )
    mos: list[str] = field(
        default_factory=list,
        metadata={"help": "Generic 'name, mos' manifest(s): videos scored, MOS kept as metadata."},
    )
    video_dir: str | None = field(
        default=None,
        metadata={"help": "Folder that names in --labeled/--mos are relative to (default: the label file's folder)."},
    )
    exclude: list[str] = field(
        default_factory=list, metadata={"help": "Name lists / CSVs of videos to keep out (test sets)."}
    )
    use_val_for_training: bool = field(
        default=False, metadata={"help": "Do not exclude the videos of '*val*' label files."}
    )
    seed: int = field(default=0, metadata={"help": "Seed of every random choice (phrasings, bench split, balancing)."})
    bench_size: int = field(default=400, metadata={"help": "Questions in the bench config (0: no bench)."})
    bench_fraction: float = field(
        default=0.1, metadata={"help": "Share of videos held out for the bench (at least one when bench_size > 0)."}
    )
    what_how_per_video: int = field(default=3, metadata={"help": "What/how QA pairs per training video."})
    yes_no_per_video: int = field(
        default=4, metadata={"help": "Yes/no QA pairs per training video (balanced yes/no)."}
    )
    stage1_overall: bool = field(
        default=True,
        metadata={
            "help": "Add an overall-rating turn to each stage1 conversation (what Q-Align overall scoring asks)."
        },
    )
    stage1_dimensions: list[str] = field(
        default_factory=lambda: ["all"],
        metadata={
            "help": "Dimensions asked in each stage1 conversation: 'all' (the 14), 'none' (with --stage1_overall: "
            "the overall rating alone, a short row), or dimension ids."
        },
    )
    content_from: str = field(
        default="none",
        metadata={
            "help": "Where each video's source content (the `content_id` column) comes from: 'folder', the name of "
            "its parent folder (a layout such as SCENE/pristine.mp4, SCENE/blur_2.mp4: a clip and its distorted "
            "versions, as the demo writes them; Stage I's --content_batches reads it); 'none': left empty."
        },
    )
    balance_size: int | None = field(
        default=None,
        metadata={"help": "Quality-balance the unlabeled pool down to this many videos (default: keep all)."},
    )
    balance_bins: int = field(default=10, metadata={"help": "Proxy-score bins for balancing."})
    max_disagreement: float = field(
        default=0.35,
        metadata={"help": "With balancing: drop videos whose proxy and full overall score differ by more."},
    )
    frames: int = field(default=48, metadata={"help": "Frames decoded per video for scoring."})
    window: int = field(default=8, metadata={"help": "Consecutive frames per sampling window."})
    fps: float | None = field(default=None, metadata={"help": "Start a sampling window every 1/fps seconds instead."})
    max_side: int | None = field(default=None, metadata={"help": "Resize frames at decode time for scoring."})
    keep_bars: bool = field(
        default=False,
        metadata={"help": "Score whole frames, black letterbox or pillarbox bars included (default: the picture)."},
    )
    workers: int = field(default=1, metadata={"help": "Scoring processes (per rank under accelerate launch)."})
    cache_dir: str | None = field(
        default=None,
        metadata={"help": "Score cache folder (default OUTPUT_DIR/.score_cache); share it across ranks and nodes."},
    )
    rewrite_model: str | None = field(
        default=None,
        metadata={"help": "Causal LM (Hub id or folder) that rewrites justifications with rating protection."},
    )
    rewrite_max_new_tokens: int = field(
        default=768, metadata={"help": "Token budget of one rewrite (a full justification is ~450-600 tokens)."}
    )
    captioner: str | None = field(
        default=None, metadata={"help": "Video LMM (Hub id or folder) that writes a content caption per video."}
    )
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Allow custom model code for --rewrite_model/--captioner."}
    )
    max_shard_size: str = field(default="500MB", metadata={"help": "Largest Parquet shard."})
    quiet: bool = field(default=False, metadata={"help": "No progress bars."})
    out: str | None = field(default=None, metadata={"help": "Deprecated spelling of --output_dir."})

    def __post_init__(self):
        take_alias(self, "out")
        self.stage1_dimension_ids  # validates --stage1_dimensions
        if self.content_from not in ("none", "folder"):
            raise ValueError(f"--content_from {self.content_from!r}: use 'folder' or 'none'")

    @property
    def stage1_dimension_ids(self) -> list[str] | None:
        """The dimensions of the stage1 conversations (``None``: all 14)."""
        from s2i_hf.dimensions import DIMENSION_IDS

        names = [n for item in self.stage1_dimensions for n in str(item).replace(",", " ").split()]
        if names in ([], ["all"]):
            return None
        if names == ["none"]:
            chosen = []
        else:
            unknown = [n for n in names if n not in DIMENSION_IDS]
            if unknown:
                raise ValueError(
                    f"--stage1_dimensions: unknown {', '.join(unknown)}; use all, none or ids of: "
                    + ", ".join(DIMENSION_IDS)
                )
            chosen = [d for d in DIMENSION_IDS if d in names]
        if not chosen and not self.stage1_overall:
            raise ValueError("--stage1_dimensions none needs --stage1_overall: a stage1 conversation needs a turn")
        return chosen
