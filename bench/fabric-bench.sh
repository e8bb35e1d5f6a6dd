#!/usr/bin/env bash
# Fabric benchmark (needs root: it builds nodes and pods as network namespaces, and cleans them up).
# Prints iperf3 pod-to-pod throughput across two nodes per fabric kind next to the raw underlay, as ratios,
# and the converge time per node for a 10-node lab.
#   usage: sudo bench/fabric-bench.sh [SECONDS_PER_IPERF=2] [NODES=10]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build -c Release --nologo -v quiet "$root/bench/Provisioner.Fabric.Bench" >/dev/null
exec dotnet "$root/bench/Provisioner.Fabric.Bench/bin/Release/net10.0/Provisioner.Fabric.Bench.dll" "${1:-2}" "${2:-10}"
