#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the tests that run the API on PostgreSQL (the
# throwaway cluster scripts/test-postgres.sh starts), when it is missing. Needs root (or
# sudo) and the Debian package mirror. Debian's package starts no cluster we rely on: the
# tests make their own.
set -euo pipefail

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "PostgreSQL is installed: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"
    exit 0
fi

"$(dirname "$0")/apt-install.sh" postgresql
ls -d /usr/lib/postgresql/*/bin
