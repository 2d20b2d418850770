#!/usr/bin/env bash
# Install s2i-hf with its test extras (torch pinned: an unpinned torch can pull a multi-GB CUDA build) and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q torch==2.14.1 torchvision==0.29.1
python3 -m pip install -q -e ".[test]"
# a photograph for the held-out content (imgaug's quokka.jpg): only the file is read, so none of imgaug's dependencies
python3 -m pip install -q --no-deps imgaug==0.4.0
python3 -m pytest -q "$@"
