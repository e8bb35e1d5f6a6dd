#!/usr/bin/env bash
# Installs what netlab's lab and tests need on a Debian/Ubuntu machine (run as root). Safe to run again.
set -euo pipefail

packages=(
  iproute2 iputils-ping iptables nftables conntrack ethtool util-linux procps time
  openvswitch-switch containernetworking-plugins iperf3 busybox-static dnsmasq-base bind9-dnsutils
  cloud-init shellcheck containerd runc bpftrace jq ca-certificates curl
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (sudo $0)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
