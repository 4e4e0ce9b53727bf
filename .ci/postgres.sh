# A throw-away PostgreSQL cluster for the tests (sourced by .ci/run; also usable by hand:
#   source .ci/postgres.sh && start_postgres && make test; stop_postgres).
# It lives in a temporary folder, listens on 127.0.0.1 on a free port (its unix socket in the same folder)
# and exports GANVAE_TEST_POSTGRES, which the search's multi-worker test uses.

_pg_bin() {
    # Debian keeps the server programs out of PATH (/usr/lib/postgresql/<version>/bin); other systems
    # put initdb and pg_ctl on it
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return
    fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

start_postgres() {
    local bin port runas=()
    bin=$(_pg_bin) || true
    if [ -z "$bin" ]; then
        echo "postgres: initdb not found (apt-get install postgresql); the PostgreSQL test will not run" >&2
        return 1
    fi
    PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ganvae-pg.XXXXXX")
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses to run as root: the cluster belongs to the postgres user (Debian's package makes
        # it), else to nobody
        local owner=postgres
        id -u postgres >/dev/null 2>&1 || owner=nobody
        chown "$owner" "$PG_TMP"
        runas=(runuser -u "$owner" --)
    fi
    PG_BIN=$bin
    PG_RUNAS=("${runas[@]}")
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${runas[@]}" "$bin/initdb" -D "$PG_TMP/data" -U ganvae --auth=trust -E UTF8 >"$PG_TMP/initdb.log" 2>&1 || {
        cat "$PG_TMP/initdb.log" >&2
        return 1
    }
    "${runas[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off" start >/dev/null || {
        cat "$PG_TMP/server.log" >&2
        return 1
    }
    # the cluster is the tests' alone: its own database "postgres" serves (createdb is not always there)
    export GANVAE_TEST_POSTGRES="postgresql://ganvae@127.0.0.1:$port/postgres"
    echo "postgres: throw-away cluster on 127.0.0.1:$port ($PG_TMP)"
}

stop_postgres() {
    if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ] && [ -n "${PG_BIN:-}" ]; then
        "${PG_RUNAS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_TMP"
    fi
    unset GANVAE_TEST_POSTGRES PG_TMP
}
