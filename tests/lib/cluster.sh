# tests/lib/cluster.sh: start and stop a throwaway PostgreSQL cluster.
# Sourced by the runners.  PostgreSQL refuses to run as root, so as root the
# cluster belongs to the unprivileged "postgres" OS user; as anyone else it
# belongs to the caller.  The cluster listens on a Unix socket in its own
# directory only (no TCP), so it never collides with another server.
#
#   cluster_init DIR      initdb into DIR/data (socket in DIR)
#   cluster_start DIR     start it; sets PGHOST PGPORT PGUSER for clients
#   cluster_stop DIR      stop it (fast shutdown), idempotent

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
PG_PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
CLUSTER_PORT=${CLUSTER_PORT:-54329}

if [ "$(id -u)" -eq 0 ]; then
    CLUSTER_OSUSER=${CLUSTER_OSUSER:-postgres}
    if ! id "$CLUSTER_OSUSER" >/dev/null 2>&1; then
        echo "microcred: no '$CLUSTER_OSUSER' OS user to run PostgreSQL as (PostgreSQL refuses root)." >&2
        echo "Install postgresql-15 (it creates the user) or set CLUSTER_OSUSER to an unprivileged user." >&2
        exit 1
    fi
    as_cluster_user() { runuser -u "$CLUSTER_OSUSER" -- "$@"; }
else
    CLUSTER_OSUSER=$(id -un)
    as_cluster_user() { "$@"; }
fi

cluster_init() {
    dir=$1
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$CLUSTER_OSUSER" "$dir"
    fi
    chmod 700 "$dir"
    as_cluster_user "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    # server settings every microcred cluster needs (kek file etc. appended by callers)
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $CLUSTER_PORT
fsync = off
max_connections = 40
shared_buffers = 128MB
CONF
    if [ "$(id -u)" -eq 0 ]; then
        chown "$CLUSTER_OSUSER" "$dir/data/postgresql.conf"
    fi
}

cluster_start() {
    dir=$1
    as_cluster_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
        cat "$dir/server.log" >&2
        return 1
    }
    PGHOST=$dir
    PGPORT=$CLUSTER_PORT
    PGUSER=postgres
    export PGHOST PGPORT PGUSER
}

cluster_stop() {
    dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_cluster_user "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
}
