#!/usr/bin/env bash
# Set up .venv with the test tools and run the whole suite (lint first).
# Needs the local PostgreSQL, MariaDB (and later Redis) test servers; see README "Tests".
# Extra arguments go to pytest, e.g. scripts/test.sh -k storage
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
setup_venv requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # strict; what it checks is [tool.mypy] in pyproject.toml
.venv/bin/python -m pytest "$@"
