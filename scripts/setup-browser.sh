#!/usr/bin/env bash
# Installs Debian's Chromium and its matching chromedriver for the browser tests (e2e/),
# when they are missing. Needs root (or sudo) and the Debian package mirror.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    echo "chromium and chromedriver are installed: $(chromium --version 2>/dev/null || true)"
    exit 0
fi

"$(dirname "$0")/apt-install.sh" chromium chromium-driver fonts-dejavu-core
chromium --version
chromedriver --version
