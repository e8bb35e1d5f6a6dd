#!/usr/bin/env bash
# netlab: prints kp-cp1's node IP: its IPv4 address on the Multipass network 192.168.64.0/24.
# A VM can also have a NAT address (e.g. 10.0.2.15 on VirtualBox); the kubelet, etcd and the API server must not
# use that one, or the other nodes cannot reach them.
# Usage: node-ip.sh [ADDRESS]   ADDRESS (e.g. from `multipass info`) is checked to be one of this node's addresses.
set -euo pipefail

readonly NODE_CIDR='192.168.64.0/24'

to_int() {
  local IFS=.
  # shellcheck disable=SC2206 # splitting the dotted quad is the point
  local -a octets=($1)
  echo $(( (octets[0] << 24) + (octets[1] << 16) + (octets[2] << 8) + octets[3] ))
}

in_cidr() {
  local address=$1 network=${2%/*} prefix=${2#*/}
  local mask=$(( prefix == 0 ? 0 : (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF ))
  (( ($(to_int "$address") & mask) == ($(to_int "$network") & mask) ))
}

# This node's global IPv4 addresses, one per line.
addresses=$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1] }')

if [[ $# -ge 1 && -n $1 ]]; then
  if ! grep -qxF -- "$1" <<<"$addresses"; then
    echo "node-ip: $1 is not an address of kp-cp1 (it has: $(echo "$addresses" | paste -sd ' ' -))" >&2
    exit 1
  fi
  echo "$1"
  exit 0
fi

while read -r address; do
  if [[ -n $address ]] && in_cidr "$address" "$NODE_CIDR"; then
    echo "$address"
    exit 0
  fi
done <<<"$addresses"

echo "node-ip: kp-cp1 has no address in network.nodeCidr $NODE_CIDR (it has: $(echo "$addresses" | paste -sd ' ' -))." >&2
echo "Fix: set network.nodeCidr to the Multipass network shown by 'multipass info kp-cp1', e.g. pulumi config set --path 'network.nodeCidr' 10.1.2.0/24" >&2
exit 1
