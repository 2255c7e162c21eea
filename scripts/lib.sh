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

# What building and running the service needs.
SERVICE_PACKAGES=(libevent-dev libsqlite3-dev pkg-config)

# Starts a PostgreSQL server of its own for the tests: a new cluster in a
# temporary directory, run by an ordinary user (postgres when this runs as
# root), on a free loopback port; exports CLICKLINE_TEST_POSTGRES with its
# URL and stops it when the calling script exits. Returns 1, saying why,
# when no server can be started.
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
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U clickline -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null ||
        { cat "$dir/server.log" >&2; return 1; }
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
