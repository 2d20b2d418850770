"""Seconds per training step, split into data (decode + processor) and compute, and the speed-up from decoding in
DataLoader workers. One tiny model family, data built by `s2i build` from the real sample clips.

    python benchmarks/train_step.py [--family qwen2_5_vl] [--steps 12] [--batch 2] [--frames 8] [--workers 2] [--threads N]

Prints, measured in this run:
  data s/step     = decoding the batch's videos + rendering them with the processor (the collator)
    of which decode = torchcodec decoding and frame sampling alone
  compute s/step  = forward + backward + optimizer step on ready batches
  trainer s/step with dataloader_num_workers=0 and =N, and the speed-up N gives.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")


def build_data(folder: str, seconds: float = 3.0) -> str:
    from s2i_hf.cli import main
    from s2i_hf.distortions import encode_clip
    from s2i_hf.video import sample_video_paths

    clips = [
        encode_clip(path, os.path.join(folder, os.path.basename(path)), seconds=seconds, vf="scale=320:-2", crf=20)
        for path in sample_video_paths()
    ]
    data = os.path.join(folder, "bench-train-data")
    main(["build", *clips, "--output_dir", data, "--bench_size", "0", "--frames", "8", "--quiet"])
    return data


def trainer_seconds_per_step(model_dir, data, args, workers: int, out: str) -> float:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from s2i_hf.trainers import S2IStage1Config, S2IStage1Trainer, load_stage_data

    cfg = S2IStage1Config(
        output_dir=out,
        num_frames=args.frames,
        per_device_train_batch_size=args.batch,
        max_steps=args.steps,
        save_strategy="no",
        dataloader_num_workers=workers,
        disable_tqdm=True,
        logging_steps=args.steps,
        seed=0,
    )
    trainer = S2IStage1Trainer(
        AutoModelForImageTextToText.from_pretrained(model_dir),
        cfg,
        load_stage_data(data, "stage1"),
        AutoProcessor.from_pretrained(model_dir),
    )
    start = time.perf_counter()
    trainer.train()
    return (time.perf_counter() - start) / args.steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", default="qwen2_5_vl")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", help="a folder from `s2i build` (default: built from the sample clips)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from s2i_hf.testing import make_tiny_model
    from s2i_hf.trainers import FrameSampling, S2IVideoCollator, load_stage_data, sample_frames

    tmp = tempfile.mkdtemp(prefix="s2i-train-step-")
    data = args.data or build_data(tmp)
    model_dir = make_tiny_model(args.family, os.path.join(tmp, "model"))
    processor = AutoProcessor.from_pretrained(model_dir)
    model = AutoModelForImageTextToText.from_pretrained(model_dir)
    rows = load_stage_data(data, "stage1")
    n = args.steps * args.batch
    batches_rows = [[rows[(i * args.batch + j) % len(rows)] for j in range(args.batch)] for i in range(args.steps)]
    sampling = FrameSampling(num_frames=args.frames)
    collator = S2IVideoCollator(processor, sampling)

    start = time.perf_counter()
    for batch in batches_rows:
        for row in batch:
            sample_frames(row["video"], sampling)
    decode = (time.perf_counter() - start) / args.steps
    start = time.perf_counter()
    batches = [collator(batch) for batch in batches_rows]
    data_time = (time.perf_counter() - start) / args.steps

    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    model(**batches[0]).loss.backward()  # warm-up
    optimizer.zero_grad()
    start = time.perf_counter()
    for batch in batches:
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    compute = (time.perf_counter() - start) / args.steps

    t0 = trainer_seconds_per_step(model_dir, data, args, 0, os.path.join(tmp, "w0"))
    tn = trainer_seconds_per_step(model_dir, data, args, args.workers, os.path.join(tmp, f"w{args.workers}"))

    print(
        f"family {args.family}, batch {args.batch}, {args.frames} frames, {args.steps} steps ({n} rows), "
        f"torch threads {threads}, {os.cpu_count()} cores"
    )
    print(f"data s/step      {data_time:.3f}  ({data_time / (data_time + compute):.0%} of data+compute)")
    print(f"  of which decode {decode:.3f}  ({decode / data_time:.0%} of data)")
    print(f"compute s/step   {compute:.3f}")
    print(f"trainer s/step   workers=0: {t0:.3f}   workers={args.workers}: {tn:.3f}   speed-up x{t0 / tn:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
