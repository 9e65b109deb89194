#!/usr/bin/env bash
# Builds the web UI into frontend/dist/ (served at / by `qbound serve`):
# release wasm with plain cargo, wasm-bindgen --target web, wasm-opt -Oz from npm's binaryen.
# Installs what it needs on first use: the wasm32 target, wasm-bindgen-cli pinned to the
# version in Cargo.lock (into .tools/), and the pinned binaryen (frontend/node_modules).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET=wasm32-unknown-unknown
DIST="$ROOT/frontend/dist"

if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "$WB_VERSION" ]; then
    echo "error: no wasm-bindgen in Cargo.lock; run \`cargo metadata\` once" >&2
    exit 1
fi
WASM_BINDGEN="$ROOT/.tools/bin/wasm-bindgen"
if [ ! -x "$WASM_BINDGEN" ] || [ "$("$WASM_BINDGEN" --version | awk '{print $2}')" != "$WB_VERSION" ]; then
    echo "installing wasm-bindgen-cli $WB_VERSION into .tools/ (about 2 minutes)"
    cargo install wasm-bindgen-cli --version "=$WB_VERSION" --root "$ROOT/.tools" --locked \
        || cargo install wasm-bindgen-cli --version "=$WB_VERSION" --root "$ROOT/.tools"
fi

WASM_OPT="$ROOT/frontend/node_modules/.bin/wasm-opt"
if [ ! -x "$WASM_OPT" ]; then
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi

# Size-tuned release profile for this build only (the host's release profile is untouched:
# the wasm target has its own output folder).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_PANIC=abort
export CARGO_PROFILE_RELEASE_DEBUG=false
cargo build -p qbound-frontend --target "$TARGET" --release

WASM="$ROOT/target/$TARGET/release/qbound-frontend.wasm"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
"$WASM_BINDGEN" --target web --no-typescript --out-dir "$STAGE" --out-name qbound "$WASM"
"$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals -o "$STAGE/qbound_bg.opt.wasm" "$STAGE/qbound_bg.wasm"
mv "$STAGE/qbound_bg.opt.wasm" "$STAGE/qbound_bg.wasm"
cp frontend/index.html frontend/style.css "$STAGE/"

rm -rf "$DIST.tmp"
cp -r "$STAGE" "$DIST.tmp"
chmod -R a+rX "$DIST.tmp"
rm -rf "$DIST"
mv "$DIST.tmp" "$DIST"

RAW=$(stat -c %s "$DIST/qbound_bg.wasm")
GZ=$(gzip -9 -c "$DIST/qbound_bg.wasm" | wc -c)
JS_GZ=$(gzip -9 -c "$DIST/qbound.js" | wc -c)
echo "built $DIST"
echo "wasm: $RAW bytes raw, $GZ bytes gzip ($((GZ / 1024)) KB); js glue: $JS_GZ bytes gzip"
