#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh COMMAND [ARGS...]
#
# Creates a cluster with initdb in a fresh temporary folder, starts it on 127.0.0.1 on a free port
# (trust authentication for 127.0.0.1 only, no Unix socket outside that folder), creates the
# database `vestige`, exports DATABASE_URL=postgres://postgres@127.0.0.1:PORT/vestige, runs the
# command, and always stops the server and removes the folder on the way out, whatever happens.
# Exits with the command's exit code.
#
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user (created
# if missing). Any server already running on the machine (port 5432) is left alone and not used.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    echo "with-postgres: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin;" \
        "install the Debian package postgresql (scripts/system-deps.sh does it as root)" >&2
    exit 1
fi

as_server_user=()
if [ "$(id -u)" -eq 0 ]; then
    if ! id -u postgres >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
            --shell /bin/bash --comment "PostgreSQL administrator" postgres
    fi
    if command -v runuser >/dev/null 2>&1; then
        as_server_user=(runuser -u postgres --)
    else
        as_server_user=(su_postgres)
    fi
fi

su_postgres() {
    local quoted
    printf -v quoted '%q ' "$@"
    su postgres -s /bin/sh -c "$quoted"
}

# /tmp rather than $TMPDIR: the server user must be able to reach the folder.
workdir=$(mktemp -d /tmp/vestige-pg.XXXXXX)
datadir=$workdir/data
sockdir=$workdir/socket
logfile=$workdir/server.log
mkdir -p "$sockdir"
if [ ${#as_server_user[@]} -gt 0 ]; then
    chown -R postgres: "$workdir"
fi
chmod 700 "$workdir"

# Run a server binary as the server's user, from a folder that user can enter.
pg() {
    (cd "$workdir" && "${as_server_user[@]}" "$@")
}

started=0
cleanup() {
    local code=$?
    trap - EXIT INT TERM HUP
    if [ "$started" -eq 1 ]; then
        if ! pg "$bindir/pg_ctl" -D "$datadir" -m fast -w -t 30 stop >/dev/null 2>&1; then
            pg "$bindir/pg_ctl" -D "$datadir" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
        fi
        # Last resort: the postmaster's pid is the first line of postmaster.pid.
        if [ -f "$datadir/postmaster.pid" ]; then
            pid=$(head -n 1 "$datadir/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf "$workdir"
    exit "$code"
}
child=
# On a signal, stop the command first (TERM: as a background job it ignores SIGINT), then clean up.
on_signal() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')

if ! pg "$bindir/initdb" -D "$datadir" -U postgres -E UTF8 --no-locale --auth=trust \
    >"$workdir/initdb.log" 2>&1; then
    echo "with-postgres: initdb failed:" >&2
    cat "$workdir/initdb.log" >&2
    exit 1
fi
cat >"$datadir/pg_hba.conf" <<'EOF'
# Throwaway test server: trust, and only over TCP from 127.0.0.1.
host    all    all    127.0.0.1/32    trust
EOF
if [ ${#as_server_user[@]} -gt 0 ]; then
    chown postgres: "$datadir/pg_hba.conf"
fi

# A throwaway server: durability is not needed, speed is.
options="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$sockdir"
options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
started=1
if ! pg "$bindir/pg_ctl" -D "$datadir" -l "$logfile" -o "$options" -w -t 60 start >/dev/null; then
    echo "with-postgres: the server did not start:" >&2
    cat "$logfile" >&2 || true
    exit 1
fi

ready=0
for _ in $(seq 1 100); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" -ne 1 ]; then
    echo "with-postgres: the server on port $port never became ready:" >&2
    cat "$logfile" >&2 || true
    exit 1
fi

"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres vestige
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/vestige"
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}')" \
    "on 127.0.0.1:$port (data in $workdir, removed on exit)"

# In the background (stdin kept) so that a signal reaches the trap at once, not when it ends.
"$@" <&0 &
child=$!
set +e
wait "$child"
status=$?
set -e
child=
exit "$status"
