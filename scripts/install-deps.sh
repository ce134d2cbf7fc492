#!/usr/bin/env bash
# Installs the Debian packages wbpf needs to build, test and run. Idempotent: when every package
# is already installed it only asks dpkg (well under a second) and changes nothing.
set -euo pipefail

packages=(
    # Build
    build-essential cmake ninja-build g++ pkg-config
    # Guest (wasm32-wasi) and BPF toolchain
    clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 libclang-rt-19-dev
    # eBPF host side
    libbpf-dev libelf-dev zlib1g-dev bpftool
    # WebAssembly tools
    binaryen wabt
    # Libraries
    libgtest-dev libgmock-dev googletest libbenchmark-dev nlohmann-json3-dev libcli11-dev
    # Measuring, formatting, networking tests
    linux-perf hyperfine clang-format clang-tidy iproute2
)

# One dpkg-query for all packages; anything not reported as "install ok installed" is missing.
missing=()
installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)"
for package in "${packages[@]}"; do
    if ! grep -qx "${package} install ok installed" <<<"${installed}"; then
        missing+=("${package}")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: error: must run as root to install them" \
        "(e.g. sudo scripts/install-deps.sh)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
