#!/usr/bin/env bash
# netlab: initialises the control plane on kp-cp1 with kubeadm. Prints nothing secret: kubeadm's own
# output (which includes a join token) goes to a root-only log, and the lines shown when it fails are redacted;
# workers get their join command from print-join-command.sh instead.
# Safe to run again: a node whose init succeeded is left as it is; one whose init failed or was interrupted is reset
# (kubeadm reset -f) and initialised again.
# Usage: kubeadm-init.sh [NODE_IP]
set -euo pipefail

readonly CONFIG='/etc/netlab/kubeadm/init.yaml'
readonly STATE_DIR='/var/lib/netlab'
readonly KUBERNETES_DIR='/etc/kubernetes'
readonly RUNTIME_CONFIG="$STATE_DIR/kubeadm-init.yaml"
readonly LOG="$STATE_DIR/kubeadm-init.log"
# Written only after kubeadm init succeeded: an admin.conf alone may be what a failed init left behind.
readonly DONE="$STATE_DIR/kubeadm-init.done"
readonly ATTEMPTED="$STATE_DIR/kubeadm-init.attempted"

# Copies stdin to stdout with the secrets kubeadm prints replaced: bootstrap tokens (ID.SECRET) and certificate keys
# (64 hex digits; the CA's public key hash after "sha256:" is not secret and stays).
redact() {
  sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/[redacted token]/g' \
    -e 's/(^|[^:0-9a-f])[0-9a-f]{64}($|[^0-9a-f])/\1[redacted key]\2/g'
}

install -d -m 0700 "$STATE_DIR"
user_home=$(getent passwd ubuntu | cut -d: -f6 || true)

# Initialised by a netlab from before the marker: kubeadm init had succeeded if the user's kubeconfig copy,
# made only after it, is there.
if [[ ! -e $DONE && ! -e $ATTEMPTED && -e $KUBERNETES_DIR/admin.conf && -n $user_home ]] &&
  cmp -s "$KUBERNETES_DIR/admin.conf" "$user_home/.kube/config"; then
  touch "$DONE"
fi
if [[ -e $DONE ]]; then
  echo "kubeadm-init: kp-cp1 is already initialised"
  exit 0
fi

node_ip=$('/opt/netlab/bin'/node-ip.sh "${1:-}")
version=$(kubeadm version -o short)
if [[ ! $node_ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+[a-z0-9.+-]*$ ]]; then
  echo "kubeadm-init: unexpected node IP '$node_ip' or kubeadm version '$version'" >&2
  exit 1
fi

(
  umask 077
  sed -e "s|@NODE_IP@|${node_ip}|g" -e "s|@KUBERNETES_VERSION@|${version}|g" "$CONFIG" > "$RUNTIME_CONFIG"
  : > "$LOG"
)

fail() { # WHAT
  redact <"$LOG" | tail -n 30 >&2
  echo "kubeadm-init: $1 failed on kp-cp1 (above: the end of its log, secrets redacted; all of it: sudo cat $LOG)." >&2
  echo "Fix the cause, then run this again: it resets the half-initialised node first." >&2
  exit 1
}

# What a failed or interrupted init left (certificates, static pods, etcd data) fails the next init's preflight checks.
if [[ -e $ATTEMPTED || -e $KUBERNETES_DIR/admin.conf ]]; then
  echo "kubeadm-init: a previous kubeadm init did not finish on kp-cp1; kubeadm reset -f first"
  kubeadm reset -f >>"$LOG" 2>&1 || fail "kubeadm reset"
fi

touch "$ATTEMPTED"
echo "kubeadm-init: kubeadm init on kp-cp1 ($node_ip, Kubernetes $version); log: $LOG"
kubeadm init --config "$RUNTIME_CONFIG" >>"$LOG" 2>&1 || fail "kubeadm init"

# kubectl for the default user (and for `multipass transfer` of the kubeconfig, which runs as that user).
if [[ -n $user_home ]]; then
  install -d -m 0700 -o ubuntu -g ubuntu "$user_home/.kube"
  install -m 0600 -o ubuntu -g ubuntu "$KUBERNETES_DIR/admin.conf" "$user_home/.kube/config"
fi
touch "$DONE"
rm -f "$ATTEMPTED"
echo "kubeadm-init: control plane kp-cp1 is up at https://${node_ip}:6443"
