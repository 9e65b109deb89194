#!/usr/bin/env bash
# A Python environment in .tools/pyenv with the reference tools the tests compare against:
# the `onnx` package (its checker validates every model qbound writes), `pycocotools` (the
# independent agreement check scores with it), Pillow (renders the fixture document pages) and
# ONNX Runtime's Python package (the peer quantizer scripts/compare-ort-quantizer.py runs), and
# moto's server (the S3 API the object-store test runs qbound against). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env="$root/.tools/pyenv"
packages=("onnx==1.23.2" "pycocotools==2.0.11" "pillow==13.0.0" "onnxruntime==1.31.1"
  "moto[server]==5.2.5")
if [ -x "$env/bin/python" ] && "$env/bin/python" - "${packages[@]}" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(any(version(name.split("[")[0]) != wanted
             for name, wanted in (p.split("==") for p in sys.argv[1:])))
PY
then
  exit 0
fi
[ -x "$env/bin/python" ] || python3 -m venv "$env"
"$env/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
echo "setup-python: ${packages[*]} in $env" >&2
