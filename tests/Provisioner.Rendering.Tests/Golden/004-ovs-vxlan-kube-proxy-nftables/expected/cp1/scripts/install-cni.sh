#!/usr/bin/env bash
# netlab: installs netlab-cni on kp-cp1: the transferred binary as /opt/cni/bin/netlab-cni and
# its conflist as /etc/cni/net.d/10-netlab.conflist. Each is written next to its target and renamed
# into place, so containerd never reads half a file; the binary goes first, because the conflist appearing is what
# tells containerd the network is ready.
# Usage: install-cni.sh [BINARY] [CONFLIST]
set -euo pipefail

binary=${1:-'/var/lib/netlab/stage/netlab-cni'}
conflist=${2:-'/etc/netlab/cni/10-netlab.conflist'}
readonly BIN_DIR='/opt/cni/bin'
readonly CONF_DIR='/etc/cni/net.d'
readonly CONFLIST_NAME='10-netlab.conflist'

for file in "$binary" "$conflist"; do
  if [[ ! -s $file ]]; then
    echo "install-cni: $file is missing or empty (transfer it first: multipass transfer FILE kp-cp1:PATH)" >&2
    exit 1
  fi
done
if [[ ! -x $BIN_DIR/loopback ]]; then
  echo "install-cni: $BIN_DIR/loopback is missing; install the kubernetes-cni package (apt-get install kubernetes-cni)" >&2
  exit 1
fi

atomic_install() { # SOURCE DIRECTORY NAME MODE
  local tmp
  tmp=$(mktemp "$2/.$3.XXXXXX")
  install -m "$4" "$1" "$tmp"
  mv -f "$tmp" "$2/$3"
}

install -d -m 0755 "$BIN_DIR" "$CONF_DIR"
atomic_install "$binary" "$BIN_DIR" netlab-cni 0755
atomic_install "$conflist" "$CONF_DIR" "$CONFLIST_NAME" 0644
echo "install-cni: netlab-cni installed on kp-cp1"
