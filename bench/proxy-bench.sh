#!/usr/bin/env bash
# netlab-proxy benchmark (needs root: it programs rules in a network namespace it creates and deletes).
# Feeds the real `netlab proxy` process from the tests' fake Kubernetes API server with SERVICES services x 3
# endpoints, then changes one service at a time and prints, side by side with kube-proxy's published figures:
# the time from the watch event to the rule being in the kernel (the proxy logs its sync once the one
# iptables-restore / nft transaction has returned), the time to the first full sync, and the proxy's RSS.
#   usage: sudo bench/proxy-bench.sh [SERVICES=10000] [iptables|nftables] [ROUNDS=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $EUID -eq 0 ]] || { echo "proxy-bench: run as root (it creates a network namespace)" >&2; exit 1; }
dotnet build -c Release --nologo -v quiet "$root/src/Provisioner.Cli" >/dev/null
dotnet build -c Release --nologo -v quiet "$root/bench/ProxyBench" >/dev/null
exec dotnet "$root/bench/ProxyBench/bin/Release/net10.0/ProxyBench.dll" "$root/src/Provisioner.Cli/bin/Release/net10.0/netlab" \
  "${1:-10000}" "${2:-iptables}" "${3:-5}"
