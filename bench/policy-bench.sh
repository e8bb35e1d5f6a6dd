#!/usr/bin/env bash
# NetworkPolicy cost in the netns lab: the time `netlab up` takes to sync PODS pods x POLICIES policies (next to a
# no-op up of the same lab without them, the reference), the no-op `netlab plan` drift check with them in place, and
# pod-to-pod TCP throughput (iperf3, across nodes and on one node) with the policies as a ratio to none (goal >= 0.9).
# Run as root after scripts/build.sh.
# Usage: sudo bench/policy-bench.sh [PODS] [POLICIES] [FABRIC] [RULES]   (default: 100 50 linux-vxlan iptables)
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=${NETLAB:-out/bin/netlab}
[ -x "$netlab" ] || { echo "bench: build first (scripts/build.sh), or set NETLAB=path/to/netlab" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "bench: apt-get install -y iperf3" >&2; exit 1; }
pods=${1:-100} policies=${2:-50} fabric=${3:-linux-vxlan} rules=${4:-iptables}
lab="pb$((RANDOM % 1000))"
work=$(mktemp -d)
trap '"$netlab" down --stack "$work/Pulumi.b.yaml" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# Pods p1..pN alternate between cp1 and w1 and carry app=a(i mod 10); p1 (w1) serves iperf3 to p2 (cp1) and p3 (w1).
# Policy k selects every pod of the namespace and admits app=a(k mod 10) on 8080 and 5201: every pod is isolated
# and matched by all of them, so each pod chain holds every policy's rules.
stack() {
  local with=$1
  echo "config:"
  echo "  netlab:name: $lab"
  echo "  netlab:backend: netns"
  echo "  netlab:network: { fabric: $fabric, serviceRules: $rules }"
  echo "  netlab:nodes: [ { name: cp1, role: control-plane }, { name: w1 } ]"
  echo "  netlab:pods:"
  for i in $(seq 1 "$pods"); do
    echo "    - { name: p$i, node: $([ $((i % 2)) -eq 1 ] && echo w1 || echo cp1), labels: { app: a$((i % 10)) } }"
  done
  echo "  netlab:networkPolicies:"
  [ "$with" = yes ] || { echo "    []"; return; }
  for k in $(seq 1 "$policies"); do
    echo "    - { name: pol-$k, podSelector: {}, ingress: [ { from: [ { podSelector: { matchLabels: { app: a$((k % 10)) } } } ], ports: [ { port: 8080 }, { port: 5201 } ] } ] }"
  done
}
stack no >"$work/Pulumi.a.yaml"
stack yes >"$work/Pulumi.b.yaml"
# p2 and p3 (app=a2, a3) must reach p1's iperf3: with >= 3 policies, pol-2 and pol-3 admit them.
[ "$policies" -ge 3 ] || { echo "bench: needs at least 3 policies" >&2; exit 1; }

ratio() { if [ "$(echo "$2 > 0" | bc)" = 1 ]; then echo "scale=2; $1 / $2" | bc; else echo "n/a"; fi; }
seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "scale=2; ($(date +%s.%N) - $s) / 1" | bc; }
iperf() { # from-pod -> Gbit/s to p1
  local r
  r=$(ip netns exec "$lab-pod-$1" iperf3 -c "$server" -t 4 -O 1 -J 2>/dev/null | grep -m1 -A8 '"sum_received"' | awk -F: '/"bits_per_second"/ { gsub(/[ \t,]/, "", $2); print $2; exit }')
  echo "scale=2; ${r:-0} / 1000000000" | bc
}

echo "bench: $pods pods x $policies policies, $fabric, $rules (lab $lab)"
"$netlab" up --stack "$work/Pulumi.a.yaml" >/dev/null
server=$(ip -n "$lab-pod-p1" -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
ip netns exec "$lab-pod-p1" iperf3 -s -D -p 5201 --pidfile "$work/iperf.pid"
trap 'kill "$(cat "$work/iperf.pid" 2>/dev/null)" 2>/dev/null || true; "$netlab" down --stack "$work/Pulumi.b.yaml" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
sleep 1
noop_a=$(seconds "$netlab" up --stack "$work/Pulumi.a.yaml")
cross_a=$(iperf p2); same_a=$(iperf p3)
sync_b=$(seconds "$netlab" up --stack "$work/Pulumi.b.yaml")
plan_b=$(seconds "$netlab" plan --stack "$work/Pulumi.b.yaml")
noop_b=$(seconds "$netlab" up --stack "$work/Pulumi.b.yaml")
cross_b=$(iperf p2); same_b=$(iperf p3)
node_rules=$(ip netns exec "$lab-w1" sh -c "iptables-save -t filter 2>/dev/null | grep -c '^-A NETLAB-POL' || true")
shared=$(ip netns exec "$lab-w1" sh -c "iptables-save -t filter 2>/dev/null | grep -c '^:NETLAB-POL-A-' || true")
[ "$rules" = nftables ] && node_rules=$(ip netns exec "$lab-w1" nft list table ip netlab-policy | grep -cE 'return|reject') && shared=$(ip netns exec "$lab-w1" nft list table ip netlab-policy | grep -c '^\s*set ')
# Every peer x port as its own rule in every pod chain (the iptables compiler before shared allow chains): the reference.
peers=$(( (pods + 9) / 10 ))
expanded=$(( pods * (policies * peers * 2 + 2) + 2 * pods + 1 ))

printf '%-44s %12s %12s\n' "" "no policies" "$policies policies"
printf '%-44s %12s %12s\n' "netlab up (no-op / policies applied), s" "$noop_a" "$sync_b"
printf '%-44s %12s %12s\n' "netlab up, no-op with policies, s" "-" "$noop_b"
printf '%-44s %12s %12s\n' "netlab plan (drift check), s" "-" "$plan_b"
printf '%-44s %12s %12s   (every peer x port expanded per pod: ~%s)\n' "policy rules on w1" "0" "$node_rules" "$expanded"
printf '%-44s %12s %12s\n' "shared allow chains (iptables) / sets (nft)" "0" "$shared"
printf '%-44s %12s %12s   ratio %s (goal >= 0.9)\n' "iperf3 p2 (cp1) -> p1 (w1), Gbit/s" "$cross_a" "$cross_b" "$(ratio "$cross_b" "$cross_a")"
printf '%-44s %12s %12s   ratio %s (goal >= 0.9)\n' "iperf3 p3 (w1) -> p1 (w1), Gbit/s" "$same_a" "$same_b" "$(ratio "$same_b" "$same_a")"
