#!/usr/bin/env bash
# Service-rules benchmark: full-sync and one-service-change apply times for iptables-nft, iptables-legacy and
# nftables at 1k and 10k services (3 endpoints each), in a network namespace it creates and deletes. Needs root.
# Usage: bench/service-rules-bench.sh [sizes...]        e.g. bench/service-rules-bench.sh 1000 10000
# NETLAB_BENCH_CAP_SECONDS (default 120) bounds one full sync; a slower one is reported as ">cap" and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
  echo "service-rules-bench: needs root (it creates a network namespace); run it with sudo" >&2
  exit 1
fi
dotnet build -c Release bench/ServiceRulesBench -v quiet -nologo >/dev/null
exec dotnet bench/ServiceRulesBench/bin/Release/net10.0/ServiceRulesBench.dll "$@"
