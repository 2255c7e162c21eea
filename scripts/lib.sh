# Shared by the scripts: find Swift, install missing Debian packages.
# Sourced, not run.

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# Installs the Debian packages that are not installed yet (as root, or with sudo).
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    (( ${#missing[@]} )) || return 0
    echo "installing ${missing[*]}" >&2
    local sudo=()
    (( EUID == 0 )) || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Makes `swift` callable: on PATH already, or in the usual toolchain places.
ensure_swift() {
    command -v swift >/dev/null && return 0
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        if [[ -x $dir/swift ]]; then
            export PATH="$PATH:$dir"
            return 0
        fi
    done
    die "no Swift toolchain found (Swift 6.1 or later is needed: https://www.swift.org/install/linux/)"
}

# Makes `python3 -c "import MODULE..."` work, installing the PyPI packages
# named when not: ensure_pypi "import selenium, axe_selenium_python" selenium axe-selenium-python.
# Debian's own Python refuses to install into itself unless told to.
ensure_pypi() {
    local probe=$1
    shift
    python3 -c "$probe" 2>/dev/null && return 0
    python3 -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip
    echo "installing from PyPI: $*" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$@" 2>/dev/null ||
        python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
}

# What building and running the service needs.
SERVICE_PACKAGES=(libevent-dev libmaxminddb-dev libsqlite3-dev pkg-config)

# A TCP port free on loopback now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts a PostgreSQL server of its own for the tests: a new cluster in a
# temporary directory, run by an ordinary user (postgres when this runs as
# root), on a free loopback port; exports CLICKLINE_TEST_POSTGRES with its
# URL and stops it when the calling script exits. Returns 1, saying why,
# when no server can be started. TEST_POSTGRES_OPTIONS adds server settings
# (the test command turns fsync off: its databases are thrown away, and each
# test's CREATE DATABASE forces a checkpoint that otherwise took 10 s here).
start_test_postgres() {
    ensure_packages postgresql
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -x $bin/initdb ]] || { echo "no PostgreSQL server binaries found" >&2; return 1; }
    local dir port as=()
    dir=$(mktemp -d -t clickline-postgres.XXXXXX)
    if (( EUID == 0 )); then
        chown postgres: "$dir"
        as=(runuser -u postgres --)
    fi
    port=$(free_port)
    "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U clickline -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    TEST_POSTGRES_START=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 ${TEST_POSTGRES_OPTIONS:-}" start)
    "${TEST_POSTGRES_START[@]}" >/dev/null || { cat "$dir/server.log" >&2; return 1; }
    TEST_POSTGRES_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop)
    TEST_POSTGRES_DIR=$dir
    trap 'stop_test_postgres' EXIT
    export CLICKLINE_TEST_POSTGRES="postgres://clickline@127.0.0.1:$port/postgres"
    echo "PostgreSQL for the tests at $CLICKLINE_TEST_POSTGRES" >&2
}

stop_test_postgres() {
    "${TEST_POSTGRES_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$TEST_POSTGRES_DIR"
}

# For the fault scripts: the binary to run, built when missing (the debug
# build the tests made, unless CLICKLINE_BINARY names another).
ensure_service_binary() {
    CLICKLINE_BINARY=${CLICKLINE_BINARY:-.build/debug/clickline}
    [[ -x $CLICKLINE_BINARY ]] || { ensure_swift; swift build --product clickline; }
}

# start_service LOG [ARGUMENTS...]: runs `clickline serve --demo` on free
# loopback ports with the arguments given, its output in LOG; sets server
# (its pid, also added to service_pids), edge, admin and key.
service_pids=()
start_service() {
    local log=$1
    shift
    "$CLICKLINE_BINARY" serve --demo --bind 127.0.0.1 --edge-port 0 --admin-port 0 --log-level warning "$@" >"$log" 2>&1 &
    server=$!
    service_pids+=("$server")
    for _ in $(seq 1 200); do grep -q "partner token" "$log" 2>/dev/null && break; sleep 0.05; done
    edge=$(sed -n 's/^edge listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    admin=$(sed -n 's/^admin API listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    key=$(sed -n 's/^ *admin key: *//p' "$log")
    [[ -n $edge && -n $admin && -n $key ]] || { cat "$log" >&2; die "clickline did not start"; }
}

# metric NAME...: the value of each metric family named, summed over its
# labels, from the running service's /metrics, one line.
metric() {
    curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$admin/metrics" | python3 -c '
import sys
wanted = sys.argv[1:]
sums = dict.fromkeys(wanted, 0.0)
for line in sys.stdin:
    if line.startswith("#") or not line.strip():
        continue
    name, value = line.split("{")[0].split(" ")[0], line.rsplit(" ", 1)[1]
    if name in sums:
        sums[name] += float(value)
print(" ".join(str(int(sums[name])) for name in wanted))
' "$@"
}

# stored_clicks SQLITE_FILE: the clicks stored and the clicks in the rollups.
stored_clicks() {
    python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT coalesce(sum(count), 0) FROM click_pages").fetchone()[0],
      db.execute("SELECT coalesce(sum(clicks), 0) FROM click_rollups").fetchone()[0])
PY
}

# memory_kib PID FIELD: VmRSS or VmHWM (the peak) of a process, in KiB.
memory_kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

# wrk_answered WRK_OUTPUT: the requests wrk saw answered with a 2xx or 3xx.
wrk_answered() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
total = int(re.search(r"(\d+) requests in", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(total - (int(bad.group(1)) if bad else 0))
PY
}

# settle_clicks: waits (up to 10 s) until every click the running service
# redirected is written or counted as dropped; sets redirects, dropped,
# written, aggregated and queued from its metrics.
settle_clicks() {
    for _ in $(seq 1 100); do
        read -r redirects dropped written aggregated queued <<<"$(metric clickline_edge_redirects_total \
            clickline_clicks_dropped_total clickline_writer_clicks_total clickline_aggregator_clicks_total \
            clickline_writer_queue_batches)"
        (( queued == 0 && written == aggregated && aggregated + dropped == redirects )) && return 0
        sleep 0.1
    done
}

# postback_token: the postback token of the running service's offer 1 (the demo's).
postback_token() {
    curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$admin/v1/offers/1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["postback_token"])'
}

# send_postbacks PREFIX LOG STOP_FILE TIMEOUT: sends postbacks for orders
# PREFIX-1, PREFIX-2... until STOP_FILE exists, each noted in LOG with its
# answer's status (000: none within TIMEOUT seconds). Run it in the background.
send_postbacks() {
    local token order=0
    token=$(postback_token)
    while [[ ! -e $3 ]]; do
        order=$((order + 1))
        echo "$1-$order $(curl -s -o /dev/null -w '%{http_code}' -m "$4" \
            "http://127.0.0.1:$admin/v1/postback?token=$token&order_id=$1-$order&amount=10.00" || true)" >>"$2"
        sleep 0.02
    done
}
