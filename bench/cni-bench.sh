#!/usr/bin/env bash
# Benchmark: median ADD+DEL time of netlab-cni against the reference bridge + host-local plugins
# (Debian containernetworking-plugins), called the way a runtime calls them, under identical conditions:
# same node and pod namespaces, same MTU/hairpin/gateway settings, cycles interleaved so drift hits both.
# cniVersion 1.0.0 for both: Debian's reference plugins (1.1.x) do not speak spec 1.1.0.
#
# Prints wall-clock medians (what a pod waits) and CPU-time medians (user+sys of the plugin and its children: what
# the plugin itself costs, less sensitive to a busy machine and to rtnl lock waits shared by both).
#
# usage: sudo bench/cni-bench.sh [cycles]        (default 50; needs root, dotnet, /usr/lib/cni/{bridge,host-local})
# env:   NETLAB_CNI_BIN=/path/netlab-cni  skip the AOT publish and benchmark that binary
#        REFERENCE_CNI_DIR=/usr/lib/cni    where bridge and host-local live
set -euo pipefail

cycles="${1:-50}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref_dir="${REFERENCE_CNI_DIR:-/usr/lib/cni}"
suffix="$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
node_ns="nlb-node-$suffix"
pod_ns="nlb-pod-$suffix"
work="$(mktemp -d /tmp/netlab-cni-bench.XXXXXX)"

cleanup() {
  ip netns del "$pod_ns" 2>/dev/null || true
  ip netns del "$node_ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[[ $EUID -eq 0 ]] || { echo "cni-bench: run as root (it creates network namespaces)" >&2; exit 1; }
[[ -x "$ref_dir/bridge" && -x "$ref_dir/host-local" ]] || {
  echo "cni-bench: $ref_dir/bridge and host-local are missing; apt-get install -y containernetworking-plugins" >&2; exit 1; }

if [[ -n "${NETLAB_CNI_BIN:-}" ]]; then
  bin="$NETLAB_CNI_BIN"
else
  echo "publishing netlab-cni (NativeAOT)..." >&2
  dotnet publish "$repo/src/Provisioner.Cni" -c Release -r linux-x64 -p:PublishAot=true -o "$work/bin" >"$work/publish.log" 2>&1 \
    || { cat "$work/publish.log" >&2; exit 1; }
  bin="$work/bin/netlab-cni"
fi

ip netns add "$node_ns"
ip netns add "$pod_ns"
ip -n "$node_ns" link set lo up

netlab_conf=$(cat <<JSON
{"cniVersion":"1.0.0","name":"bench-netlab","type":"netlab-cni","mode":"bridge","bridge":"nlbench0","isGateway":true,
 "hairpinMode":true,"mtu":1450,"ipam":{"subnet":"10.250.1.0/24","gateway":"10.250.1.1","routes":[{"dst":"0.0.0.0/0"}],
 "dataDir":"$work/ipam"}}
JSON
)
reference_conf=$(cat <<JSON
{"cniVersion":"1.0.0","name":"bench-ref","type":"bridge","bridge":"nlbref0","isGateway":true,
 "hairpinMode":true,"mtu":1450,"ipam":{"type":"host-local","subnet":"10.250.2.0/24","gateway":"10.250.2.1",
 "routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$work/ipam"}}
JSON
)

# One ADD+DEL cycle. Fails loudly if either verb fails.
cycle() {
  local plugin="$1" conf="$2" id="$3"
  CNI_COMMAND=ADD CNI_CONTAINERID="$id" CNI_NETNS="/run/netns/$pod_ns" CNI_IFNAME=eth0 CNI_PATH="$ref_dir" \
    nsenter --net="/run/netns/$node_ns" "$plugin" <<<"$conf" >"$work/out" 2>"$work/err" || { cat "$work/out" "$work/err" >&2; exit 1; }
  CNI_COMMAND=DEL CNI_CONTAINERID="$id" CNI_NETNS="/run/netns/$pod_ns" CNI_IFNAME=eth0 CNI_PATH="$ref_dir" \
    nsenter --net="/run/netns/$node_ns" "$plugin" <<<"$conf" >"$work/out" 2>"$work/err" || { cat "$work/out" "$work/err" >&2; exit 1; }
}

# Appends "wall user sys" (seconds) of one cycle to a file; user+sys include every child (host-local, nsenter).
timed_cycle() {
  local file="$1"; shift
  local TIMEFORMAT='%3R %3U %3S'
  { time cycle "$@"; } 2>>"$file"
}

median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m * 1000 }'; }
wall() { awk '{ print $1 }' "$1" | median; }
cpu() { awk '{ print $2 + $3 }' "$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# Warm-up (page cache, bridge creation) is not measured.
cycle "$bin" "$netlab_conf" warm
cycle "$ref_dir/bridge" "$reference_conf" warm

: >"$work/netlab.times"; : >"$work/reference.times"
for ((i = 0; i < cycles; i++)); do
  timed_cycle "$work/netlab.times" "$bin" "$netlab_conf" "bench$i"
  timed_cycle "$work/reference.times" "$ref_dir/bridge" "$reference_conf" "bench$i"
done

# Peak resident memory of one netlab-cni ADD (GNU time's %M, in KiB).
peak_kib=$(CNI_COMMAND=ADD CNI_CONTAINERID=rss CNI_NETNS="/run/netns/$pod_ns" CNI_IFNAME=eth0 CNI_PATH="$ref_dir" \
  /usr/bin/time -f %M nsenter --net="/run/netns/$node_ns" "$bin" <<<"$netlab_conf" 2>&1 >/dev/null | tail -1)
CNI_COMMAND=DEL CNI_CONTAINERID=rss CNI_NETNS="/run/netns/$pod_ns" CNI_IFNAME=eth0 CNI_PATH="$ref_dir" \
  nsenter --net="/run/netns/$node_ns" "$bin" <<<"$netlab_conf" >/dev/null

netlab_ms=$(wall "$work/netlab.times"); reference_ms=$(wall "$work/reference.times")
netlab_cpu=$(cpu "$work/netlab.times"); reference_cpu=$(cpu "$work/reference.times")
printf '%-40s %10s\n' "cycles (ADD+DEL each, interleaved)" "$cycles"
printf '%-40s %10s ms\n' "netlab-cni median wall ADD+DEL" "$netlab_ms"
printf '%-40s %10s ms\n' "bridge+host-local median wall ADD+DEL" "$reference_ms"
printf '%-40s %10s\n' "wall ratio netlab/reference" "$(ratio "$netlab_ms" "$reference_ms")"
printf '%-40s %10s ms\n' "netlab-cni median CPU (user+sys)" "$netlab_cpu"
printf '%-40s %10s ms\n' "bridge+host-local median CPU (user+sys)" "$reference_cpu"
printf '%-40s %10s\n' "CPU ratio netlab/reference" "$(ratio "$netlab_cpu" "$reference_cpu")"
printf '%-40s %10s KiB\n' "netlab-cni peak RSS (one ADD)" "$peak_kib"
printf '%-40s %10s bytes\n' "netlab-cni binary" "$(stat -c %s "$bin")"
printf '%-40s %10s\n' "load average (1 min) at the end" "$(cut -d' ' -f1 /proc/loadavg)"
