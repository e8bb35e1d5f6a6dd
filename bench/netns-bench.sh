#!/usr/bin/env bash
# Times `netlab up` and `netlab down` for the example stack and for a generated stack of 10 nodes x 10 pods x 20
# services (per fabric kind for the big one), with netlab's peak memory. Run as root after scripts/build.sh.
# Usage: sudo bench/netns-bench.sh [FABRICS...]   (default: ovs-vxlan linux-vxlan routed)
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=out/bin/netlab
[ -x "$netlab" ] || { echo "bench: build first (scripts/build.sh)" >&2; exit 1; }
fabrics=("$@")
[ "${#fabrics[@]}" -gt 0 ] || fabrics=(ovs-vxlan linux-vxlan routed)
work=$(mktemp -d)
cleanup() {
  local f
  for f in "$work"/Pulumi.*.yaml; do "$netlab" down --stack "$f" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A stack of N nodes, P pods per node, S services (the k-th pod overall carries app=s(k mod S)).
big_stack() {
  local fabric=$1 nodes=$2 pods=$3 services=$4
  echo "config:"
  echo "  netlab:name: bench"
  echo "  netlab:backend: netns"
  echo "  netlab:network: { fabric: $fabric }"
  echo "  netlab:nodes:"
  echo "    - { name: n1, role: control-plane }"
  for n in $(seq 2 "$nodes"); do echo "    - { name: n$n }"; done
  echo "  netlab:pods:"
  for n in $(seq 1 "$nodes"); do for p in $(seq 1 "$pods"); do
    echo "    - { name: p$n-$p, node: n$n, labels: { app: s$(( ((n - 1) * pods + p - 1) % services + 1 )) } }"
  done; done
  echo "  netlab:services:"
  for s in $(seq 1 "$services"); do
    echo "    - { name: s$s, type: NodePort, selector: { app: s$s }, ports: [ { port: 80, targetPort: 8080 } ] }"
  done
}

# Runs one netlab command; prints "seconds peak-rss-MiB" (the netlab process itself, not the pods it starts).
measure() {
  local out
  out=$( { /usr/bin/time -f "%e %M" "$netlab" "$@" >"$work/last.log"; } 2>&1 | tail -n 1) ||
    { echo "bench: netlab $* failed:" >&2; tail -n 20 "$work/last.log" >&2; exit 1; }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' <<<"$out"
}

row() { printf '%-34s %-12s %10s %10s %12s\n' "$@"; }
row "stack" "fabric" "up (s)" "down (s)" "peak RSS MiB"

cp Pulumi.dev.yaml "$work/Pulumi.example.yaml"
read -r up_s up_m < <(measure up --stack "$work/Pulumi.example.yaml")
"$netlab" verify --stack "$work/Pulumi.example.yaml" >/dev/null || echo "bench: example lab failed verify" >&2
read -r down_s _ < <(measure down --stack "$work/Pulumi.example.yaml")
row "example (3 nodes, 6 pods, 3 svc)" "ovs-vxlan" "$up_s" "$down_s" "$up_m"

for fabric in "${fabrics[@]}"; do
  big_stack "$fabric" 10 10 20 >"$work/Pulumi.big.yaml"
  read -r up_s up_m < <(measure up --stack "$work/Pulumi.big.yaml")
  read -r down_s _ < <(measure down --stack "$work/Pulumi.big.yaml")
  row "10 nodes x 10 pods x 20 svc" "$fabric" "$up_s" "$down_s" "$up_m"
done
echo "goals (issue 6): example up < 3 s and down < 1 s; 10x10x20 up < 15 s"
