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
