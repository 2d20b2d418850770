"""Collator time per 15-turn Stage I row with labels from the template's markers vs labels derived by prefix
renders from the same template with its markers stripped (trainers.assistant_spans), on tiny models of two
families and a real sample clip (decoding included, as in training).

    python benchmarks/assistant_labels.py [--repeats 10] [--frames 8]

Prints ms per row for each path and the ratio derived / markers (target <= 1.2: deriving the spans must not
slow the data path noticeably).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time


MARKERS = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")


def stage1_like_row(clip: str) -> dict:
    messages = []
    for i in range(15):
        first = [{"type": "video"}] if i == 0 else []
        messages += [
            {
                "role": "user",
                "content": first + [{"type": "text", "text": f"How is quality dimension {i} of this video?"}],
            },
            {
                "role": "assistant",
                "content": [{"type": "text", "text": f"Quality dimension {i} of this video is good."}],
            },
        ]
    return {"video_id": "bench", "video": clip, "messages": messages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()

    from transformers import AutoProcessor

    from s2i_hf.testing import make_tiny_model
    from s2i_hf.trainers import FrameSampling, S2IVideoCollator
    from s2i_hf.video import sample_video_paths

    row = stage1_like_row(next(p for p in sample_video_paths() if "bikes" in p))
    sampling = FrameSampling(num_frames=args.frames)
    for family in ("qwen2_5_vl", "smolvlm"):
        folder = make_tiny_model(family, tempfile.mkdtemp(prefix="s2i-labels-") + "/model")
        marked, plain = AutoProcessor.from_pretrained(folder), AutoProcessor.from_pretrained(folder)
        plain.chat_template = MARKERS.sub("", marked.chat_template)
        times = {}
        for name, processor in (("markers", marked), ("derived", plain)):
            collator = S2IVideoCollator(processor, sampling)
            collator.render(row)  # warm-up
            start = time.perf_counter()
            for _ in range(args.repeats):
                collator.render(row)
            times[name] = (time.perf_counter() - start) / args.repeats
        print(
            f"{family}: markers {times['markers'] * 1e3:.1f} ms/row, derived {times['derived'] * 1e3:.1f} ms/row, "
            f"ratio {times['derived'] / times['markers']:.2f} (target <= 1.2)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
