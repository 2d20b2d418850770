#!/usr/bin/env bash
# Install s2i-hf with its test extras (torch pinned: an unpinned torch can pull a multi-GB CUDA build) and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q torch==2.14.1 torchvision==0.29.1
python3 -m pip install -q -e ".[test]"
python3 -m pytest -q "$@"
