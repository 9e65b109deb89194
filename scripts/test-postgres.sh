# Sourced by scripts/test.sh (and usable by hand: `source scripts/test-postgres.sh;
# start_test_postgres`): starts a throwaway PostgreSQL cluster in a temporary folder,
# listening on 127.0.0.1 at a free port, exports its URL as QBOUND_TEST_POSTGRES_URL (the
# API tests then make one database per test in it), and stops and removes it when the
# calling shell exits.

start_test_postgres() {
    local bin port run_as=()
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    # initdb refuses to run as root: the cluster belongs to the `postgres` user then.
    if [ "$(id -u)" -eq 0 ]; then
        run_as=(runuser -u postgres --)
    fi
    QBOUND_PG_DIR=$(mktemp -d /tmp/qbound-pg.XXXXXX)
    chmod 755 "$QBOUND_PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$QBOUND_PG_DIR"
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${run_as[@]}" "$bin/initdb" -D "$QBOUND_PG_DIR/data" -U qbound --auth=trust \
        --no-sync -E UTF8 --locale=C.UTF-8 >"$QBOUND_PG_DIR/initdb.log"
    QBOUND_PG_CTL=("${run_as[@]}" "$bin/pg_ctl" -D "$QBOUND_PG_DIR/data")
    trap stop_test_postgres EXIT
    "${QBOUND_PG_CTL[@]}" -l "$QBOUND_PG_DIR/server.log" -w start -o \
        "-h 127.0.0.1 -p $port -k $QBOUND_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
        >/dev/null
    export QBOUND_TEST_POSTGRES_URL="postgres://qbound@127.0.0.1:$port/postgres"
    echo "PostgreSQL test cluster at $QBOUND_TEST_POSTGRES_URL"
}

stop_test_postgres() {
    if [ -n "${QBOUND_PG_DIR:-}" ] && [ -d "$QBOUND_PG_DIR" ]; then
        "${QBOUND_PG_CTL[@]}" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$QBOUND_PG_DIR"
    fi
}
