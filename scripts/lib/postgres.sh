# Private PostgreSQL clusters for the run and test scripts. Source this file.
# initdb refuses root, so the cluster belongs to the `postgres` user.

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
    echo "no PostgreSQL server found (apt-get install postgresql)" >&2
    return 1
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT [OPTIONS]: initialise DIR if it is empty, then start the server on 127.0.0.1:PORT.
# Sockets go to DIR/run so that nothing is shared with a system cluster.
pg_start() {
    local dir=$1 port=$2 extra=${3:-} bin
    bin=$(pg_bindir) || return 1
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    # postgres must be able to reach DIR through its parents.
    local p=$dir
    while [ "$p" != / ]; do p=$(dirname "$p"); [ "$(id -u)" = 0 ] && chmod o+x "$p" 2>/dev/null; done
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
        as_postgres "$bin/initdb" -D "$dir/pgdata" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    as_postgres mkdir -p "$dir/run"
    if as_postgres "$bin/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then return 0; fi
    as_postgres "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=300 $extra" start >/dev/null \
        || { tail -20 "$dir/postgres.log" >&2; return 1; }
}

# pg_stop DIR
pg_stop() {
    local dir=$1 bin
    bin=$(pg_bindir) || return 1
    [ -f "$dir/pgdata/PG_VERSION" ] || return 0
    as_postgres "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1 || true
}
