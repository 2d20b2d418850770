#!/usr/bin/env bash
# House rules: ruff (pyproject's [tool.ruff]) and the import layering (pyproject's [tool.importlinter]).
# The layering is checked on an installed copy: the sibling folders (dataset_builder/, trainers/, eval_suite/,
# cards/) become s2i_hf sub-packages only when installed, which an editable install does through a finder that
# import-linter cannot walk.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q ruff import-linter
python3 -m ruff check .
python3 -m ruff format --check .
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
python3 -m pip install -q --no-deps --target "$copy" .
root=$PWD
(cd "$copy" && PYTHONPATH="$copy" lint-imports "$root/pyproject.toml")
