#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine to build, test and run scapbridge, builds
# the release binary and installs it as an extcap for Wireshark and
# Stratoshark. Idempotent: safe to run again; it installs only what is
# missing and replaces the extcap copies. No prompts.
#
#   bash install/install.sh               # packages, release build, extcap install, and the
#                                         # container plugin for this user's Stratoshark
#   bash install/install.sh --deps        # system packages, moto (test S3/SQS), the Debian sid
#                                         # root with Stratoshark's readers, podman and the
#                                         # tests' container image, cargo-fuzz, and crates only
#   bash install/install.sh --bench       # also bpftrace (the reference probe) and bpftool (per-run cost)
#   bash install/install.sh --extcap-only # install an already built binary as extcap
#   bash install/install.sh --uninstall   # remove the extcap copies and the user's plugin
#
# SCAPBRIDGE_BIN=path overrides the binary installed as extcap (default
# target/release/scapbridge). SCAPBRIDGE_SID_ROOT=dir moves the sid root
# (default /var/cache/scapbridge/sid-root). SCAPBRIDGE_IMAGE names the tests'
# container image (default localhost/scapbridge-workload:bookworm) and
# SCAPBRIDGE_IMAGE_TAR its cached root (default
# /var/cache/scapbridge/workload-rootfs.tar).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="all"
case "${1:-}" in
    "") ;;
    --deps) mode="deps" ;;
    --bench) mode="bench" ;;
    --extcap-only) mode="extcap" ;;
    --uninstall) mode="uninstall" ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

say() { printf 'install: %s\n' "$*"; }

# Personal extcap folders, one per host generation (shared/specs/extcap.md §1.1):
# Wireshark <= 4.0 scans only the XDG config one, >= 4.2 only ~/.local/lib,
# Stratoshark its own.
extcap_dirs=(
    "${XDG_CONFIG_HOME:-$HOME/.config}/wireshark/extcap"
    "$HOME/.local/lib/wireshark/extcap"
    "$HOME/.local/lib/stratoshark/extcap"
)

install_extcap() {
    local bin="${SCAPBRIDGE_BIN:-$here/target/release/scapbridge}"
    if [[ ! -x "$bin" ]]; then
        echo "install: $bin is missing; build it first (cargo build --release)" >&2
        exit 1
    fi
    for d in "${extcap_dirs[@]}"; do
        mkdir -p "$d"
        # A copy, not a link: hosts want a regular executable file, and the
        # installed extcap must not change under a running capture when the
        # tree is rebuilt. Write beside it and rename, so a running host never
        # sees half a file.
        cp -f "$bin" "$d/.scapbridge.tmp.$$"
        chmod 755 "$d/.scapbridge.tmp.$$"
        mv -f "$d/.scapbridge.tmp.$$" "$d/scapbridge"
        say "extcap installed: $d/scapbridge"
    done
    say "interfaces: $("${extcap_dirs[0]}/scapbridge" --extcap-interfaces | sed -n 's/^interface {value=\([^}]*\)}.*/\1/p' | tr '\n' ' ')"
}

# scapbridge's `container` plugin (extcap/reader-plugin) for the readers on
# falcosecurity libs 0.23, which have no container.* or k8s.* field without
# one. Two builds of it: `libcontainer.so`, named `container` like
# falcosecurity's plugin, which sysdig >= 0.40 loads from its plugin folder
# by itself; and `libscapbridge_container.so` (feature `stratoshark`), for
# Stratoshark, which loads every plugin in `<plugins>/falco` and stops at
# start on one named `container` (a protocol of its own has that name).
# Built into a temporary folder; each copy is replaced only when it
# changed, beside it and renamed, so a reader running meanwhile keeps the
# old file.
plugin_build_dir=""
build_reader_plugin() {
    plugin_build_dir="$(mktemp -d)"
    cd "$here"
    cargo build --release --locked -q -p scapbridge-container-plugin
    local built="${CARGO_TARGET_DIR:-$here/target}/release/libscapbridge_container_plugin.so"
    cp "$built" "$plugin_build_dir/libcontainer.so"
    cargo build --release --locked -q -p scapbridge-container-plugin --features stratoshark
    cp "$built" "$plugin_build_dir/libscapbridge_container.so"
}

# put_plugin SRC DEST [sudo…]: DEST made equal to SRC.
put_plugin() {
    local src="$1" dest="$2"
    shift 2
    if cmp -s "$src" "$dest" 2>/dev/null; then
        say "plugin already current: $dest"
        return
    fi
    "$@" mkdir -p "$(dirname "$dest")"
    "$@" cp -f "$src" "$dest.tmp.$$"
    "$@" mv -f "$dest.tmp.$$" "$dest"
    say "plugin installed: $dest"
}

stratoshark_plugin="$HOME/.local/lib/stratoshark/plugins/falco/libscapbridge_container.so"

uninstall_extcap() {
    if [[ -e "$stratoshark_plugin" ]]; then
        rm -f "$stratoshark_plugin"
        say "removed $stratoshark_plugin"
    fi
    for d in "${extcap_dirs[@]}"; do
        if [[ -e "$d/scapbridge" ]]; then
            rm -f "$d/scapbridge"
            say "removed $d/scapbridge"
        else
            say "not installed in $d"
        fi
    done
}

case "$mode" in
    uninstall) uninstall_extcap; exit 0 ;;
    extcap) install_extcap; exit 0 ;;
esac

# As root no prefix at all: an empty "$SUDO -E" would run "-E" as a command.
as_root=()
if [[ "$(id -u)" != 0 ]]; then as_root=(sudo -E); fi

# tshark (4.0 on Debian 12) drives and reads our captures in the tests; sysdig
# is the independent reader. --no-install-recommends matters: sysdig recommends
# a DKMS kernel module that cannot build here and is not needed to read files.
# clang and the libbpf headers compile the eBPF probe (probe/build.rs);
# openssh-server is the real sshd the SSH tests start on 127.0.0.1 (its
# package starts no system sshd in a container with policy-rc.d; elsewhere
# a system sshd on :22 does not collide with the tests' own ports).
# debootstrap builds the Debian sid root below (Stratoshark's readers) and the
# root of the tests' container image. podman with runc (not crun: crun fails
# on a cgroup v1/v2 hybrid layout with "cgroups in hybrid mode not supported")
# is the container runtime the container tests start; listing runc makes apt
# take it for podman's "crun | runc".
# The GUI test (tests/gui.rs) runs Wireshark 4.0 itself (wireshark-qt) under
# Xvfb, finds its windows with xwininfo (x11-utils) and clicks with xdotool;
# it reads its screenshots from Xvfb's framebuffer file, so no image tool.
pkgs=(tshark sysdig ca-certificates pkg-config clang libbpf-dev openssh-server debootstrap podman runc
      wireshark-qt xvfb x11-utils xdotool)
# bpftrace only measures: it is the reference of the probe benchmark; bpftool
# reads the probe program's run time (kernel.bpf_stats_enabled) there.
if [[ "$mode" == "bench" ]]; then pkgs+=(bpftrace bpftool); fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt packages already present: ${pkgs[*]}"
fi

if ! command -v cargo >/dev/null; then
    echo "install: cargo not found; install a Rust toolchain (rustup) first" >&2
    exit 1
fi
say "$(cargo --version)"

# moto is the S3 and SQS endpoint of the CloudTrail tests, started by the
# tests on 127.0.0.1 (shared/specs/ssh-cloud-crates.md §4.2). A venv outside
# the tree, so cargo clean keeps it; pinned so a run is repeatable.
moto_venv="${SCAPBRIDGE_MOTO_VENV:-$HOME/.cache/scapbridge/moto}"
if [[ -x "$moto_venv/bin/moto_server" ]]; then
    say "moto already in $moto_venv"
else
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        say "apt packages: python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        "${as_root[@]}" apt-get update -qq
        "${as_root[@]}" apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    fi
    say "moto into $moto_venv"
    rm -rf "$moto_venv"
    mkdir -p "$(dirname "$moto_venv")"
    python3 -m venv "$moto_venv"
    "$moto_venv/bin/pip" install -q --disable-pip-version-check "moto[server]==5.2.5" "boto3==1.44.5" "botocore==1.44.5"
fi

# The readers of the current generation: Stratoshark 0.9.9 (strato, the
# stratoshark GUI), tshark 4.6 and sysdig 0.41 on falcosecurity libs 0.23,
# from Debian sid, in a root of their own beside Debian 12's tshark 4.0 and
# sysdig 0.29. Built once per machine into a temporary folder and renamed
# when complete, so an interrupted run leaves nothing half-made that a later
# run would take for done. The tests enter it with tests/common's `sid`
# (a private mount namespace: nothing stays mounted). The GUI test
# (tests/gui.rs) shows the root's Stratoshark on the host's Xvfb (through the
# display's abstract socket, which the chroot shares) and reads the screen
# there, so the root needs no screenshot tool of its own.
sid_root="${SCAPBRIDGE_SID_ROOT:-/var/cache/scapbridge/sid-root}"
# man-db: the package test (tests/package.rs) installs our .deb in a copy of
# this root and reads `man scapbridge` there.
sid_pkgs=(stratoshark tshark sysdig xvfb xauth man-db)
sid_apt() {
    "${as_root[@]}" unshare -m --propagation private sh -c '
        mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && mount --rbind /sys "$1/sys" &&
        chroot "$1" sh -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends $2 >/dev/null"
    ' sh "$1" "$2"
}
if [[ -x "$sid_root/usr/bin/strato" && -f "$sid_root/.scapbridge-ready" ]]; then
    say "Debian sid root with Stratoshark already in $sid_root"
    # A root made before a package joined the list gets it now.
    sid_missing=()
    for p in "${sid_pkgs[@]}"; do
        "${as_root[@]}" chroot "$sid_root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || sid_missing+=("$p")
    done
    if ((${#sid_missing[@]})); then
        say "sid root: adding ${sid_missing[*]}"
        "${as_root[@]}" cp /etc/resolv.conf "$sid_root/etc/resolv.conf"
        sid_apt "$sid_root" "${sid_missing[*]}"
    fi
else
    say "Debian sid root with ${sid_pkgs[*]} into $sid_root (once per machine)"
    tmp_root="$sid_root.tmp"
    "${as_root[@]}" rm -rf "$tmp_root"
    "${as_root[@]}" mkdir -p "$(dirname "$sid_root")"
    "${as_root[@]}" debootstrap --variant=minbase sid "$tmp_root" http://deb.debian.org/debian >/dev/null
    # sid's Release file can be past its Valid-Until date on a mirror snapshot.
    echo 'Acquire::Check-Valid-Until "false";' | "${as_root[@]}" tee "$tmp_root/etc/apt/apt.conf.d/99scapbridge" >/dev/null
    "${as_root[@]}" cp /etc/resolv.conf "$tmp_root/etc/resolv.conf"
    sid_apt "$tmp_root" "${sid_pkgs[*]}"
    # (the container plugin goes in below, after the crates are fetched,
    # and again whenever it changed)
    "${as_root[@]}" touch "$tmp_root/.scapbridge-ready"
    "${as_root[@]}" rm -rf "$sid_root"
    "${as_root[@]}" mv "$tmp_root" "$sid_root"
    say "sid root ready: $("${as_root[@]}" chroot "$sid_root" strato --version 2>/dev/null | head -n1)"
fi

# Containers for the tests (tests/common/podman.rs): podman's settings, and
# one small image made with `podman import` (no registry is needed or asked).
# runc and cgroupfs work on every cgroup layout (v1, v2, hybrid) and without
# systemd; an empty default_ulimits, because raising RLIMIT_NOFILE/NPROC in
# the container fails with "Operation not permitted" where the machine's own
# hard limits are lower than podman's defaults. A drop-in, so the machine's
# containers.conf stays as it is.
podman_conf_dir=/etc/containers/containers.conf.d
podman_conf="$podman_conf_dir/50-scapbridge.conf"
podman_conf_text='# Written by scapbridge install/install.sh --deps (the container tests).
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
'
if [[ "$(cat "$podman_conf" 2>/dev/null)" == "${podman_conf_text%$'\n'}" ]]; then
    say "podman settings already in $podman_conf"
else
    "${as_root[@]}" mkdir -p "$podman_conf_dir"
    printf '%s' "$podman_conf_text" | "${as_root[@]}" tee "$podman_conf" >/dev/null
    say "podman settings written to $podman_conf"
fi

# The image: a Debian 12 minbase root with what the tests' workload runs
# (bash, coreutils, `script` for a shell with a terminal, `nc`), built by
# debootstrap once per machine and kept as a tarball beside the sid root
# (temporary name, renamed when complete); imported into podman's store
# whenever the store lacks it (a reset store costs an import, not a build).
image="${SCAPBRIDGE_IMAGE:-localhost/scapbridge-workload:bookworm}"
image_tar="${SCAPBRIDGE_IMAGE_TAR:-/var/cache/scapbridge/workload-rootfs.tar}"
image_pkgs=(bash coreutils util-linux bsdutils netcat-openbsd)
if [[ -s "$image_tar" ]]; then
    say "container image root already in $image_tar"
else
    say "container image root (Debian 12 minbase with ${image_pkgs[*]}) into $image_tar (once per machine)"
    tmp_img="$image_tar.root.tmp"
    "${as_root[@]}" rm -rf "$tmp_img" "$image_tar.tmp"
    "${as_root[@]}" mkdir -p "$(dirname "$image_tar")"
    "${as_root[@]}" debootstrap --variant=minbase --include="$(IFS=,; echo "${image_pkgs[*]}")" \
        bookworm "$tmp_img" http://deb.debian.org/debian >/dev/null
    # No package cache or lists in the image: they are most of its size.
    "${as_root[@]}" sh -c 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' sh "$tmp_img"
    "${as_root[@]}" tar -C "$tmp_img" --numeric-owner -cf "$image_tar.tmp" .
    "${as_root[@]}" rm -rf "$tmp_img"
    "${as_root[@]}" mv "$image_tar.tmp" "$image_tar"
fi
if "${as_root[@]}" podman image exists "$image" 2>/dev/null; then
    say "container image $image already in podman's store"
else
    "${as_root[@]}" podman import -q "$image_tar" "$image" >/dev/null
    say "container image $image imported"
fi
say "$("${as_root[@]}" podman run --rm --network none "$image" sh -c 'echo "container runs: $(. /etc/os-release; echo "$PRETTY_NAME"), $(nc -h 2>&1 | head -n1)"')"

# cargo-fuzz runs the libFuzzer targets of tests/fuzz (tests/cargo_fuzz.rs)
# on the stable toolchain (RUSTC_BOOTSTRAP=1 for its -Z flags). Built from
# crates.io at a pinned version with its own lock file, once per machine
# (about 100 s); a run with another version installed replaces it.
cargo_fuzz_version="0.13.2"
if [[ "$(cargo fuzz --version 2>/dev/null)" == "cargo-fuzz $cargo_fuzz_version" ]]; then
    say "cargo-fuzz $cargo_fuzz_version already installed"
else
    say "cargo-fuzz $cargo_fuzz_version (cargo install, once per machine)"
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version" --force -q
fi

cd "$here"
cargo fetch --locked -q
# The fuzz crate is a workspace of its own: fetch its dependencies too.
cargo fetch --locked -q --manifest-path tests/fuzz/Cargo.toml
# The container plugin in the sid root, where its readers load it (and the
# tests, tests/common/reader_plugin.rs, check it is this tree's).
build_reader_plugin
put_plugin "$plugin_build_dir/libcontainer.so" "$sid_root/usr/share/sysdig/plugins/libcontainer.so" "${as_root[@]}"
put_plugin "$plugin_build_dir/libscapbridge_container.so" \
    "$sid_root/usr/lib/x86_64-linux-gnu/wireshark/plugins/falco/libscapbridge_container.so" "${as_root[@]}"
if [[ "$mode" == "deps" || "$mode" == "bench" ]]; then
    rm -rf "$plugin_build_dir"
    say "dependencies ready"
    exit 0
fi
cargo build --release --locked -q -p scapbridge
say "built $here/target/release/scapbridge"
install_extcap
# This user's Stratoshark (its personal plugin folder); and this machine's
# sysdig when it is one that takes the plugin (0.40 and later: Debian 12's
# 0.29 has the container fields built in and no plugin loading of its own).
put_plugin "$plugin_build_dir/libscapbridge_container.so" "$stratoshark_plugin"
sysdig_version="$(sysdig --version 2>/dev/null | sed -n 's/^sysdig version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
if [[ -n "$sysdig_version" ]] && read -r major minor <<<"$sysdig_version" && ((major > 0 || minor >= 40)); then
    put_plugin "$plugin_build_dir/libcontainer.so" /usr/share/sysdig/plugins/libcontainer.so "${as_root[@]}"
else
    say "this machine's sysdig ($(sysdig --version 2>/dev/null || echo none)) needs no container plugin"
fi
rm -rf "$plugin_build_dir"
