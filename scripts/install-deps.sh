#!/usr/bin/env bash
# Installs what netlab's lab and tests need on a Debian/Ubuntu machine (run as root). Safe to run again.
# Usage: scripts/install-deps.sh [--cross]
#   --cross: also what building the VMs' binaries for the other architecture needs (`scripts/build.sh linux-arm64`
#   on x64 and the reverse): clang and the other architecture's C runtime for NativeAOT, qemu-user to start them.
#   Best effort: without them build.sh falls back to a self-contained netlab-cni and says so.
set -euo pipefail

packages=(
  iproute2 iputils-ping iptables nftables conntrack ethtool util-linux procps time python3
  openvswitch-switch containernetworking-plugins iperf3 busybox-static dnsmasq-base bind9-dnsutils
  cloud-init shellcheck containerd runc bpftrace prometheus jq ca-certificates curl file systemd
)
cross=()
if [ "${1:-}" = "--cross" ]; then
  case "$(uname -m)" in
    x86_64) cross=(clang llvm gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static) ;;
    aarch64 | arm64) cross=(clang llvm gcc-x86-64-linux-gnu libc6-dev-amd64-cross qemu-user-static) ;;
  esac
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (or with sudo)" >&2
  exit 1
fi

# The packages of the list given that are not installed, one a line.
not_installed() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }

mapfile -t missing < <(not_installed "${packages[@]}")
mapfile -t missing_cross < <(not_installed "${cross[@]}")
if [ "${#missing[@]}" -gt 0 ] || [ "${#missing_cross[@]}" -gt 0 ]; then
  apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi
if [ "${#missing_cross[@]}" -gt 0 ]; then
  echo "install-deps: installing the cross toolchain ${missing_cross[*]}"
  if ! apt_install "${missing_cross[@]}"; then
    for p in "${missing_cross[@]}"; do # one at a time: qemu-user-static missing must not cost the toolchain
      apt_install "$p" ||
        echo "install-deps: $p did not install (build.sh falls back to a self-contained netlab-cni; check-vm-binaries.sh checks the architecture only)" >&2
    done
  fi
fi

# The OVS package starts a system ovs-vswitchd that needs the kernel module; netlab's netns lab runs its own
# per-node userspace instances and never uses the system one, so a failed system service is harmless here.

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-deps: the .NET 10 SDK is missing; trying the distribution package"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dotnet-sdk-10.0 >/dev/null 2>&1; then
    echo "install-deps: no dotnet-sdk-10.0 package; installing with Microsoft's dotnet-install.sh into /usr/local/dotnet"
    curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh
    bash /tmp/dotnet-install.sh --channel 10.0 --install-dir /usr/local/dotnet
    ln -sf /usr/local/dotnet/dotnet /usr/local/bin/dotnet
  fi
fi
dotnet --version >/dev/null
