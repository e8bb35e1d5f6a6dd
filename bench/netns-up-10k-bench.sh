#!/usr/bin/env bash
# `netlab up` on a one-node netns lab with SERVICES ClusterIP services over 3 pods (issue 11's shape): the first up,
# a no-op up, and an up after one service's port changed, with wall and CPU time next to the goals, and with
# NETLAB_PROFILE=1 the phases of each (stderr lines "netlab profile: ..."). Needs root; creates and removes its lab.
#   usage: sudo bench/netns-up-10k-bench.sh [SERVICES=10000] [iptables|nftables]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $EUID -eq 0 ]] || { echo "netns-up-10k-bench: run as root (it builds a netns lab)" >&2; exit 1; }
services=${1:-10000}
rules=${2:-iptables}
# The programs as a user gets them (scripts/lab.sh): netlab published ReadyToRun, netlab-cni NativeAOT.
"$root/scripts/build.sh" >/dev/null
netlab="$root/out/bin/netlab"
cni="$root/out/bin"
work=$(mktemp -d)
name="b$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap '"$netlab" down --stack "$work/stack.yaml" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

stack() { # stack PORT-OF-THE-MIDDLE-SERVICE
  echo "config:"
  echo "  netlab:name: $name"
  echo "  netlab:backend: netns"
  echo "  netlab:network: { fabric: routed, serviceRules: $rules }"
  echo "  netlab:nodes:"
  echo "    - { name: n1, role: control-plane }"
  echo "  netlab:pods:"
  for p in 1 2 3; do echo "    - { name: p$p, node: n1, labels: { app: web } }"; done
  echo "  netlab:services:"
  for s in $(seq 1 "$services"); do
    port=80; [ "$s" -eq $((services / 2)) ] && port=$1
    echo "    - { name: s$s, selector: { app: web }, ports: [ { port: $port, targetPort: 8080 } ] }"
  done
}

run() { # run LABEL GOAL
  NETLAB_PROFILE=1 /usr/bin/time -f "%e %U %S" -o "$work/time" "$netlab" up --stack "$work/stack.yaml" --cni-dir "$cni" \
    >"$work/out" 2>"$work/profile" || { tail -n 20 "$work/out" "$work/profile" >&2; exit 1; }
  read -r wall user sys <"$work/time"
  printf '%-34s %8s s %8s s   %s\n' "$1" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$2"
  grep -E "netlab profile: (read and validate|plan the lab|step pod-|step service-rules|step cluster-dns|step load-bal|step network-policy|print the status|service rules:)" "$work/profile" |
    sed 's/^netlab profile: /      /'
}

echo "netlab up, one node, 3 pods, $services ClusterIP services ($rules); load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %10s   %s\n' "run" "wall" "cpu" "goal (issue 11)"
stack 80 >"$work/stack.yaml"
run "first up" "-"
run "up, nothing changed" "<= 0.5 s (2026-12-01 15:17, load 25: 4.13 s, 3.52 s cpu)"
stack 81 >"$work/stack.yaml"
run "up, one service's port changed" "<= 1 s (2026-12-01 15:17, load 19: 8.91 s, 5.28 s cpu)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
