"""Vision probe: how well can the tiny model's vision tower alone, trained from scratch, rank held-out clips?

The same clips, held-out split and labels as ``learning_signal.py`` (its ``prepare``; cached in ``--out``), but no
language model: the tiny Qwen2.5-VL vision tower (patch embedding, blocks and merger, from scratch) + a mean over its
visual tokens + a linear head is fitted directly to the estimators' continuous scores (mean squared error), then
scored on the held-out clips with the same **ladder SRCC**. It bounds what the full model can learn from this data:
if a model that regresses the labels directly cannot rank the held-out ladders, a video LMM built on the same tower
and taught through five level words will not either.

``--targets overall`` fits the overall score only (what the Q-Align overall question teaches); ``--targets all``
fits the overall score and the 14 dimension scores together (what the stage1 dimension ratings teach) and ranks
by the overall output.

    python benchmarks/vision_probe.py [--targets overall|all] [--epochs 15] [--max_edge 64] [--num_frames 2] [--fragments 4 --fragment_size 32]
        [--vision_width 32] [--vision_depth 2] [--segments --seconds 1] [--json out.json]

Prints the ladder SRCC on the training and held-out clips every ``--eval_every`` epochs, the mean of the last three
held-out figures (one figure is noisy: 24 ladders of 5 clips), per-family figures and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from learning_signal import add_clip_args, figures, prepare


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_clip_args(ap)
    ap.add_argument("--targets", choices=("overall", "all"), default="overall")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--eval_every", type=int, default=5)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch_size", type=int, default=4)
    ap.add_argument("--num_frames", type=int, default=2)
    ap.add_argument(
        "--max_edge", type=int, default=64, help="pixel budget per frame max_edge^2, as in learning_signal.py"
    )
    ap.add_argument("--fragments", type=int, default=None, help="fragment mosaics, as in learning_signal.py")
    ap.add_argument("--fragment_size", type=int, default=32, help="side of each fragment in pixels")
    ap.add_argument("--vision_width", type=int, default=32, help="hidden size of the tower (make_tiny_model: 32)")
    ap.add_argument("--vision_depth", type=int, default=2, help="blocks of the tower (make_tiny_model: 2)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import pyarrow.parquet as pq
    import torch
    from transformers import AutoConfig, AutoProcessor
    from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VisionTransformerPretrainedModel

    from s2i_hf.data_layout import table_files
    from s2i_hf.dimensions import DIMENSION_IDS
    from s2i_hf.frames import FrameSampling, sample_frames
    from s2i_hf.testing import make_tiny_model
    from s2i_hf.video import video_id_of

    torch.set_num_threads(max(1, args.threads))
    prepared = prepare(args)
    held, fit_clips = prepared["held"], prepared["fit_clips"]
    records = {}
    for name in table_files(prepared["data"]):
        for r in pq.read_table(name, columns=["video_id", "overall_score", "scores"]).to_pylist():
            records[r["video_id"]] = [r["overall_score"]] + [r["scores"][d] for d in DIMENSION_IDS]
    train_paths = [os.path.join(prepared["train_root"], c.name) for c in fit_clips]
    targets = torch.tensor([records[video_id_of(p)] for p in train_paths], dtype=torch.float32)
    if args.targets == "overall":
        targets = targets[:, :1]

    t0 = time.perf_counter()
    base = make_tiny_model(
        "qwen2_5_vl",
        os.path.join(os.path.abspath(args.out), "probe-base"),
        seed=args.seed,
        max_pixels=args.max_edge**2,
    )
    processor = AutoProcessor.from_pretrained(base).video_processor
    sampling = FrameSampling(num_frames=args.num_frames, fragments=args.fragments, fragment_size=args.fragment_size)

    def pixels(path):
        frames, _ = sample_frames(path, sampling)
        out = processor(videos=[frames], do_sample_frames=False, return_tensors="pt")
        return out["pixel_values_videos"], out["video_grid_thw"]

    x_fit = [pixels(p) for p in train_paths]
    x_held = [pixels(os.path.join(prepared["held_root"], c.name)) for c in held]
    decode_seconds = time.perf_counter() - t0

    cfg = AutoConfig.from_pretrained(base).vision_config
    cfg.hidden_size, cfg.intermediate_size = args.vision_width, 2 * args.vision_width
    cfg.num_heads = max(2, args.vision_width // 16)
    cfg.depth, cfg.fullatt_block_indexes = args.vision_depth, [args.vision_depth - 1]
    torch.manual_seed(args.seed)
    tower = Qwen2_5_VisionTransformerPretrainedModel._from_config(cfg)
    head = torch.nn.Linear(cfg.out_hidden_size, targets.shape[1])
    optimizer = torch.optim.Adam([*tower.parameters(), *head.parameters()], lr=args.lr)

    def forward(x):
        return head(tower(x[0], grid_thw=x[1]).pooler_output.mean(0))

    def predict(xs):
        tower.eval()
        with torch.no_grad():
            out = [float(forward(x)[0]) for x in xs]
        tower.train()
        return out

    t0 = time.perf_counter()
    history = [
        {
            "epoch": 0,
            "fit": figures(fit_clips, predict(x_fit))["ladder_srcc"],
            "held": figures(held, predict(x_held))["ladder_srcc"],
        }
    ]
    order = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        perm = torch.randperm(len(x_fit), generator=order).tolist()
        for i in range(0, len(perm), args.batch_size):
            idx = perm[i : i + args.batch_size]
            loss = ((torch.stack([forward(x_fit[j]) for j in idx]) - targets[idx]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        if epoch % args.eval_every == 0 or epoch == args.epochs:
            history.append(
                {
                    "epoch": epoch,
                    "loss": total / len(perm),
                    "fit": figures(fit_clips, predict(x_fit))["ladder_srcc"],
                    "held": figures(held, predict(x_held))["ladder_srcc"],
                }
            )
            print(
                f"epoch {epoch:>3}  loss {history[-1]['loss']:.4f}  ladder SRCC fit {history[-1]['fit']:+.3f}  held-out {history[-1]['held']:+.3f}",
                flush=True,
            )
    train_seconds = time.perf_counter() - t0
    final = figures(held, predict(x_held))
    last = [h["held"] for h in history[1:]][-3:]
    print()
    print(
        f"settings: vision tower {args.vision_depth} blocks x {args.vision_width}, {args.num_frames} frames, pixel budget "
        f"{args.max_edge}^2, targets {args.targets}, {len(x_fit)} training clips, {args.epochs} epochs at lr {args.lr:g}, seed {args.seed}"
    )
    print(
        f"held-out ladder SRCC: before {history[0]['held']:+.3f}, after {final['ladder_srcc']:+.3f}, mean of the last "
        f"{len(last)} evaluations {sum(last) / len(last):+.3f}"
    )
    print("per family: " + "  ".join(f"{k} {v:+.2f}" for k, v in final["per_family_srcc"].items()))
    print(f"wall time: decode {decode_seconds:.0f} s, training {train_seconds:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"args": vars(args), "history": history, "after": final}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
