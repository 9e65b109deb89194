#!/usr/bin/env bash
# A Python environment in .tools/pyenv with the reference tools the tests compare against:
# the `onnx` package (its checker validates every model qbound writes). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env="$root/.tools/pyenv"
if [ -x "$env/bin/python" ] && "$env/bin/python" -c "import onnx" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$env"
"$env/bin/pip" install --quiet --disable-pip-version-check "onnx==1.23.2"
echo "setup-python: onnx $("$env/bin/python" -c 'import onnx; print(onnx.__version__)') in $env" >&2
