#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine to build, test and run scapbridge, then
# builds the release binaries. Idempotent: safe to run again; it installs only
# what is missing. No prompts.
#
#   bash install/install.sh            # system packages + release build
#   bash install/install.sh --deps     # system packages only
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps_only=0
[[ "${1:-}" == "--deps" ]] && deps_only=1

say() { printf 'install: %s\n' "$*"; }

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

# tshark (4.0 on Debian 12) drives and reads our captures in the tests; sysdig
# is the independent reader. --no-install-recommends matters: sysdig recommends
# a DKMS kernel module that cannot build here and is not needed to read files.
pkgs=(tshark sysdig ca-certificates pkg-config)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO -E apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt packages already present: ${pkgs[*]}"
fi

if ! command -v cargo >/dev/null; then
    echo "install: cargo not found; install a Rust toolchain (rustup) first" >&2
    exit 1
fi
say "$(cargo --version)"

cd "$here"
cargo fetch --locked -q
if ((deps_only)); then
    say "dependencies ready"
    exit 0
fi
cargo build --release --locked -q -p scapbridge
say "built $here/target/release/scapbridge"
