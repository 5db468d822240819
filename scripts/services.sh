#!/usr/bin/env bash
# Make the PostgreSQL and Redis servers named by DATABASE_URL / REDIS_URL reachable
# for development and tests, on any plain Debian machine.
#
#   scripts/services.sh up [DBNAME]   reach or start both servers, create the database(s)
#   scripts/services.sh down          stop only the servers this script started
#   scripts/services.sh status        print reachability
#   scripts/services.sh server-tools  install the PostgreSQL server tools if missing (the tests start
#                                     private clusters with them: tools/pg_cluster.py)
#
# A server that is already reachable is never touched. When a local one is missing,
# the script starts a PRIVATE server (data under $SERVICES_STATE_DIR, default <repo>/.local,
# which git ignores) and records it, so that `down` stops exactly what `up` started.
#
# Environment:
#   DATABASE_URL        default postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge
#   REDIS_URL           default redis://127.0.0.1:6379/0
#   EXTRA_DATABASES     more databases to create, comma or space separated (e.g. the test db)
#   SERVICES_STATE_DIR  where private servers keep data, logs and records (default <repo>/.local)
#   SERVICES_TIMEOUT    seconds to wait for a server to become ready (default 30)
set -euo pipefail

readonly DEFAULT_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/fitnudge"
readonly DEFAULT_REDIS_URL="redis://127.0.0.1:6379/0"
# initdb/pg_ctl refuse to run as root; the Debian postgresql package creates this user.
readonly PG_OS_USER="postgres"

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${SERVICES_STATE_DIR:-$REPO_DIR/.local}"
RECORD_DIR="$STATE_DIR/services"
TIMEOUT="${SERVICES_TIMEOUT:-30}"
APT_UPDATED=0
# Filled by load_config from the URLs, and by ensure_pg_* with binary paths.
PG_HOST="" PG_PORT="" PG_USER="" PG_PASSWORD="" PG_DB=""
REDIS_HOST="" REDIS_PORT="" REDIS_USER="" REDIS_PASSWORD="" REDIS_DB=""
PG_BIN="" PSQL="" PG_ISREADY=""

log() { printf '%s\n' "$*"; }
die() {
    printf 'services.sh: error: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat >&2 <<'EOF'
usage: scripts/services.sh up [DBNAME] | down | status | server-tools
  up      reach PostgreSQL and Redis (start private local servers if needed), create databases
  down    stop only the private servers that `up` started
  status  print whether each server is reachable
  server-tools  install initdb, pg_ctl, pg_basebackup when missing (even with a server reachable)
EOF
    exit 2
}

# ---------------------------------------------------------------- URL parsing

# Print shell assignments <PREFIX>_HOST/_PORT/_USER/_PASSWORD/_DB for a URL.
# Python's urllib handles the corner cases (IPv6 brackets, missing user/port) that
# hand-written bash parsing gets wrong; shlex.quote makes the output safe to eval.
parse_url() {
    python3 - "$1" "$2" "$3" <<'PY'
import shlex
import sys
from urllib.parse import urlsplit

url, kind, prefix = sys.argv[1:4]
schemes = {"postgres": ("postgresql", "postgres"), "redis": ("redis", "rediss")}[kind]
try:
    parts = urlsplit(url)
    port = parts.port
except ValueError as exc:
    sys.exit(f"services.sh: error: cannot parse {kind} URL {url!r}: {exc}")
base_scheme = parts.scheme.split("+", 1)[0]  # postgresql+asyncpg -> postgresql
if base_scheme not in schemes:
    sys.exit(f"services.sh: error: {kind} URL {url!r} must start with {' or '.join(s + '://' for s in schemes)}")
if not parts.hostname:
    sys.exit(f"services.sh: error: {kind} URL {url!r} must name a TCP host (e.g. 127.0.0.1)")
if kind == "postgres":
    user = parts.username or "postgres"
    # libpq's rule: no database in the URL means a database named like the user.
    db = parts.path.lstrip("/") or user
    port = port or 5432
else:
    user = parts.username or ""
    db = ""
    port = port or 6379
values = {"HOST": parts.hostname, "PORT": str(port), "USER": user, "PASSWORD": parts.password or "", "DB": db}
for key, value in values.items():
    print(f"{prefix}_{key}={shlex.quote(value)}")
PY
}

load_config() {
    local parsed
    parsed="$(parse_url "${DATABASE_URL:-$DEFAULT_DATABASE_URL}" postgres PG)" || exit 1
    eval "$parsed"
    parsed="$(parse_url "${REDIS_URL:-$DEFAULT_REDIS_URL}" redis REDIS)" || exit 1
    eval "$parsed"
    # Client tools get passwords from the environment, not their command line (visible in ps).
    if [[ -n "$PG_PASSWORD" ]]; then export PGPASSWORD="$PG_PASSWORD"; fi
    if [[ -n "$REDIS_PASSWORD" ]]; then export REDISCLI_AUTH="$REDIS_PASSWORD"; fi
    export PGCONNECT_TIMEOUT=5
}

# ---------------------------------------------------------------- small helpers

# host:port, with brackets for IPv6 so the output is unambiguous.
endpoint() {
    if [[ "$1" == *:* ]]; then printf '[%s]:%s' "$1" "$2"; else printf '%s:%s' "$1" "$2"; fi
}

is_local_host() {
    case "$1" in
        127.0.0.1 | localhost | ::1) return 0 ;;
        *) return 1 ;;
    esac
}

# Address a private server listens on: loopback only, in the family the URL asks for.
bind_address() {
    if [[ "$1" == "::1" ]]; then printf '::1'; else printf '127.0.0.1'; fi
}

# A plain TCP connect: works before any client binaries are installed.
tcp_reachable() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# Read key=value from a record file (never `source`d: it is data, not code).
record_get() {
    sed -n "s/^$2=//p" "$1" | head -n 1
}

# True while pid exists and is not a zombie (a zombie still answers kill -0).
process_running() {
    local state
    # The state follows the last ')' (the command name itself may contain spaces).
    state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)" || return 1
    [[ -n "$state" && "$state" != "Z" ]]
}

# Pid recorded for a private Redis, only if that pid is still the same redis-server:
# guards against signalling an unrelated process that reused the pid.
alive_redis_pid() {
    local record="$1" pid port
    pid="$(record_get "$record" pid)"
    port="$(record_get "$record" port)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    process_running "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "redis-server.*:$port" || return 1
    printf '%s' "$pid"
}

# Take an exclusive lock so parallel `up`/`down` runs (e.g. make -j) do not race.
take_lock() {
    mkdir -p "$RECORD_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$RECORD_DIR/.lock"
        flock -w "$TIMEOUT" 9 || die "another services.sh is running (lock $RECORD_DIR/.lock)"
    fi
}

# ---------------------------------------------------------------- package installation

as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -- "$@"
    else
        die "need root to run '$*' (not root and sudo is not installed); install the packages yourself"
    fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: packages are installed automatically only on Debian/Ubuntu; install $* yourself"
    # Package output goes to stderr so stdout stays a summary of what the script did.
    if ((APT_UPDATED == 0)); then
        log "apt: apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        APT_UPDATED=1
    fi
    log "apt: installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}

# Newest /usr/lib/postgresql/<version>/bin holding the server tools (Debian layout).
find_pg_bin() {
    local dir best=""
    while IFS= read -r dir; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then best="$dir"; fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
    [[ -n "$best" ]] && printf '%s' "$best"
}

install_postgres_server() {
    apt_install postgresql-common
    # The package would otherwise create and start Debian's own "main" cluster on 5432,
    # whose TCP logins need a password: it would take the port our private server needs.
    # create_main_cluster is Debian's documented switch for exactly this (createcluster.conf(5)).
    if ! compgen -G "/etc/postgresql/*/*/postgresql.conf" >/dev/null; then
        log "apt: setting create_main_cluster = off in /etc/postgresql-common/createcluster.conf"
        as_root pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster off
    fi
    apt_install postgresql
}

# Sets PG_BIN to a directory with initdb/pg_ctl/psql/pg_isready, installing them if needed.
ensure_pg_server_binaries() {
    PG_BIN="$(find_pg_bin || true)"
    if [[ -z "$PG_BIN" ]]; then
        install_postgres_server
        PG_BIN="$(find_pg_bin || true)"
        [[ -n "$PG_BIN" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
    fi
}

# Sets PSQL/PG_ISREADY; a reachable server only needs the client tools.
ensure_pg_client() {
    local bin
    bin="$(find_pg_bin || true)"
    if [[ -n "$bin" && -x "$bin/psql" ]]; then
        PSQL="$bin/psql" PG_ISREADY="$bin/pg_isready"
        return
    fi
    if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
        apt_install postgresql-client
    fi
    PSQL="$(command -v psql)" PG_ISREADY="$(command -v pg_isready)"
}

ensure_redis_server_binary() {
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

ensure_redis_cli() {
    command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
}

# ---------------------------------------------------------------- PostgreSQL

# Run a PostgreSQL server tool as the non-root owner of the data directory.
# `cd /` because the postgres user usually cannot read the caller's cwd (e.g. /root).
as_pg_user() {
    if ((EUID == 0)); then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

wait_pg_ready() {
    local deadline=$((SECONDS + TIMEOUT))
    until "$PG_ISREADY" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -t 2; do
        if ((SECONDS >= deadline)); then
            die "postgres: $(endpoint "$PG_HOST" "$PG_PORT") did not accept connections within ${TIMEOUT}s"
        fi
        sleep 0.2
    done
}

pg_initdb() {
    local data="$1" initdb_log="${1%/*}/initdb.log" locale_opt="--no-locale"
    # C.UTF-8 gives Unicode-aware upper()/lower() without depending on generated locales.
    if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then locale_opt="--locale=C.UTF-8"; fi
    if ! as_pg_user "$PG_BIN/initdb" -D "$data" -U "$PG_USER" --auth=trust --encoding=UTF8 "$locale_opt" \
        >"$initdb_log" 2>&1; then
        cat "$initdb_log" >&2
        die "postgres: initdb failed (log: $initdb_log)"
    fi
    # Settings live in a file rewritten at every start, so a changed port in
    # DATABASE_URL is honoured and a developer's `pg_ctl restart` keeps them.
    printf "\ninclude_if_exists = 'services.conf'\n" >>"$data/postgresql.conf"
    log "postgres: initialised $data (superuser $PG_USER, trust auth)"
}

# Data dir from an older/newer major version cannot be started by these binaries.
check_pg_data_version() {
    local data="$1" have want
    have="$(cat "$data/PG_VERSION")"
    want="$(basename "$(dirname "$PG_BIN")")"
    [[ "$have" == "$want" ]] ||
        die "postgres: $data was created by PostgreSQL $have but $PG_BIN is $want; remove that directory (dev data) or install $have"
}

pg_prepare_dirs() {
    local base="$1" data="$1/data"
    mkdir -p "$data"
    chmod 700 "$data"
    if ((EUID == 0)); then
        getent passwd "$PG_OS_USER" >/dev/null ||
            die "postgres: OS user '$PG_OS_USER' is missing (the Debian postgresql package creates it)"
        chown -R "$PG_OS_USER:" "$base"
        as_pg_user test -w "$data" ||
            die "postgres: user '$PG_OS_USER' cannot reach $data (a parent directory is not world-searchable); set SERVICES_STATE_DIR to e.g. /var/tmp/fitnudge-services"
    fi
}

start_private_postgres() {
    local base="$STATE_DIR/postgres" data="$STATE_DIR/postgres/data" logfile="$STATE_DIR/postgres/postgres.log"
    local record="$RECORD_DIR/postgres.started" pid
    ensure_pg_server_binaries
    pg_prepare_dirs "$base"
    if [[ -f "$data/PG_VERSION" ]]; then
        check_pg_data_version "$data"
        # Ours but listening elsewhere (port changed in DATABASE_URL): refuse to guess.
        if as_pg_user "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1; then
            die "postgres: the private server for $data is running but not on $(endpoint "$PG_HOST" "$PG_PORT"); run 'scripts/services.sh down' first"
        fi
    elif [[ -n "$(ls -A "$data")" ]]; then
        die "postgres: $data is not empty and not a PostgreSQL data directory"
    else
        pg_initdb "$data"
    fi
    cat >"$data/services.conf" <<EOF
# Written by scripts/services.sh at every start; edits are overwritten.
listen_addresses = '$(bind_address "$PG_HOST")'
port = $PG_PORT
# TCP only: keeps this private server off the system socket dir (/var/run/postgresql).
unix_socket_directories = ''
EOF
    if ((EUID == 0)); then chown "$PG_OS_USER:" "$data/services.conf"; fi
    # 9>&- : the server must not inherit the lock fd, or it would hold the lock forever.
    if ! as_pg_user "$PG_BIN/pg_ctl" start -D "$data" -l "$logfile" -w -t "$TIMEOUT" >/dev/null 9>&-; then
        tail -n 20 "$logfile" >&2 || true
        die "postgres: private server failed to start (log: $logfile)"
    fi
    pid="$(head -n 1 "$data/postmaster.pid")"
    printf 'pid=%s\nbin=%s\ndata=%s\nlog=%s\nhost=%s\nport=%s\n' \
        "$pid" "$PG_BIN" "$data" "$logfile" "$PG_HOST" "$PG_PORT" >"$record"
    log "postgres: started private server pid $pid at $(endpoint "$PG_HOST" "$PG_PORT") (data $data, log $logfile)"
}

pg_psql() {
    "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"
}

# :'db' / :"db" let psql quote the name, so any database name is safe.
ensure_database() {
    local db="$1" exists
    exists="$(pg_psql -v db="$db" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")" ||
        die "postgres: cannot query $(endpoint "$PG_HOST" "$PG_PORT") as user $PG_USER"
    if [[ "$exists" == "1" ]]; then
        log "postgres: database \"$db\" already exists"
    else
        pg_psql -v db="$db" <<<'CREATE DATABASE :"db";' ||
            die "postgres: could not create database \"$db\" as user $PG_USER"
        log "postgres: created database \"$db\""
    fi
}

postgres_up() {
    local target db extra_list
    local -a extra
    target="$(endpoint "$PG_HOST" "$PG_PORT")"
    if tcp_reachable "$PG_HOST" "$PG_PORT"; then
        log "postgres: reachable at $target (left alone)"
    elif is_local_host "$PG_HOST"; then
        log "postgres: not reachable at $target; starting a private server"
        start_private_postgres
    else
        die "postgres: remote server $target is not reachable (this script only starts local servers)"
    fi
    ensure_pg_client
    wait_pg_ready
    local -a databases=("${1:-$PG_DB}")
    extra_list="${EXTRA_DATABASES:-}"
    read -r -a extra <<<"${extra_list//,/ }"
    databases+=("${extra[@]}")
    for db in "${databases[@]}"; do
        ensure_database "$db"
    done
}

postgres_down() {
    local record="$RECORD_DIR/postgres.started" bin data pid
    if [[ ! -f "$record" ]]; then
        log "postgres: nothing to stop (no private server recorded in $RECORD_DIR)"
        return
    fi
    bin="$(record_get "$record" bin)"
    data="$(record_get "$record" data)"
    pid="$(record_get "$record" pid)"
    # pg_ctl -D only ever signals the postmaster of that (private) data directory.
    if [[ -x "$bin/pg_ctl" ]] && as_pg_user "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
        as_pg_user "$bin/pg_ctl" stop -D "$data" -m fast -w -t "$TIMEOUT" >/dev/null
        log "postgres: stopped private server pid $pid (data $data)"
    else
        log "postgres: private server (data $data) was not running; forgot it"
    fi
    rm -f "$record"
}

# ---------------------------------------------------------------- Redis

wait_redis_ready() {
    local deadline=$((SECONDS + TIMEOUT)) reply=""
    while :; do
        reply="$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1 || true)"
        [[ "$reply" == "PONG" ]] && return
        # Authentication problems will not fix themselves by waiting.
        if [[ "$reply" == *NOAUTH* || "$reply" == *WRONGPASS* || "$reply" == *"invalid password"* ]]; then
            die "redis: $(endpoint "$REDIS_HOST" "$REDIS_PORT") refused REDIS_URL's credentials: $reply"
        fi
        if ((SECONDS >= deadline)); then
            die "redis: $(endpoint "$REDIS_HOST" "$REDIS_PORT") did not answer PING within ${TIMEOUT}s (last reply: $reply)"
        fi
        sleep 0.2
    done
}

start_private_redis() {
    local dir="$STATE_DIR/redis" record="$RECORD_DIR/redis.started" pid="" deadline
    local -a auth=()
    if [[ -f "$record" ]] && pid="$(alive_redis_pid "$record")"; then
        die "redis: the private server (pid $pid) is running but not on $(endpoint "$REDIS_HOST" "$REDIS_PORT"); run 'scripts/services.sh down' first"
    fi
    ensure_redis_server_binary
    mkdir -p "$dir"
    rm -f "$dir/redis.pid"
    # The app sends AUTH when REDIS_URL has a password, which fails on a server without one.
    # (Visible in ps, which is acceptable for a loopback-only dev server.)
    if [[ -n "$REDIS_PASSWORD" ]]; then auth=(--requirepass "$REDIS_PASSWORD"); fi
    redis-server --bind "$(bind_address "$REDIS_HOST")" --port "$REDIS_PORT" --protected-mode yes \
        --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${auth[@]}" 9>&- ||
        die "redis: private server failed to start (log: $dir/redis.log)"
    # The daemonised child writes its pid file shortly after the parent returns.
    deadline=$((SECONDS + TIMEOUT))
    until [[ -s "$dir/redis.pid" ]]; do
        if ((SECONDS >= deadline)); then
            tail -n 20 "$dir/redis.log" >&2 || true
            die "redis: private server did not start (log: $dir/redis.log)"
        fi
        sleep 0.1
    done
    pid="$(tr -d '[:space:]' <"$dir/redis.pid")"
    printf 'pid=%s\ndir=%s\nlog=%s\nhost=%s\nport=%s\n' \
        "$pid" "$dir" "$dir/redis.log" "$REDIS_HOST" "$REDIS_PORT" >"$record"
    log "redis: started private server pid $pid at $(endpoint "$REDIS_HOST" "$REDIS_PORT") (dir $dir, log $dir/redis.log)"
}

redis_up() {
    local target
    target="$(endpoint "$REDIS_HOST" "$REDIS_PORT")"
    if tcp_reachable "$REDIS_HOST" "$REDIS_PORT"; then
        log "redis: reachable at $target (left alone)"
    elif is_local_host "$REDIS_HOST"; then
        log "redis: not reachable at $target; starting a private server"
        ensure_redis_server_binary
        # Installing redis-server on a systemd machine starts Debian's own service on 6379.
        if tcp_reachable "$REDIS_HOST" "$REDIS_PORT"; then
            log "redis: the redis-server package started its own service at $target (left alone)"
        else
            start_private_redis
        fi
    else
        die "redis: remote server $target is not reachable (this script only starts local servers)"
    fi
    ensure_redis_cli
    wait_redis_ready
}

redis_down() {
    local record="$RECORD_DIR/redis.started" pid deadline
    if [[ ! -f "$record" ]]; then
        log "redis: nothing to stop (no private server recorded in $RECORD_DIR)"
        return
    fi
    if pid="$(alive_redis_pid "$record")"; then
        kill -TERM "$pid"
        deadline=$((SECONDS + TIMEOUT))
        while process_running "$pid"; do
            ((SECONDS < deadline)) || die "redis: private server pid $pid did not exit within ${TIMEOUT}s"
            sleep 0.1
        done
        log "redis: stopped private server pid $pid (dir $(record_get "$record" dir))"
    else
        log "redis: private server (pid $(record_get "$record" pid)) was not running; forgot it"
    fi
    rm -f "$record"
}

# ---------------------------------------------------------------- commands

print_status() {
    local name="$1" host="$2" port="$3" record="$RECORD_DIR/$1.started"
    if tcp_reachable "$host" "$port"; then
        log "$name: reachable at $(endpoint "$host" "$port")"
    else
        log "$name: not reachable at $(endpoint "$host" "$port")"
    fi
    if [[ -f "$record" ]]; then
        log "$name: private server recorded: pid $(record_get "$record" pid) on port $(record_get "$record" port) ($record)"
    fi
}

main() {
    local command="${1:-}"
    case "$command" in
        up)
            (($# <= 2)) || usage
            load_config
            take_lock
            postgres_up "${2:-}"
            redis_up
            ;;
        down)
            (($# == 1)) || usage
            take_lock
            postgres_down
            redis_down
            ;;
        status)
            (($# == 1)) || usage
            load_config
            print_status postgres "$PG_HOST" "$PG_PORT"
            print_status redis "$REDIS_HOST" "$REDIS_PORT"
            ;;
        server-tools)
            (($# == 1)) || usage
            take_lock
            ensure_pg_server_binaries
            ;;
        *) usage ;;
    esac
}

# Sourcing (tests do, to exercise single functions with stubbed tools) must not run main.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
