#!/usr/bin/env bash
# netlab: initialises the control plane on solo-cp1 with kubeadm. Prints nothing secret: kubeadm's own
# output (which includes a join token) goes to a root-only log; workers get their join command from
# print-join-command.sh instead. Safe to run again: an initialised node is left as it is.
# Usage: kubeadm-init.sh [NODE_IP]
set -euo pipefail

readonly CONFIG='/etc/netlab/kubeadm/init.yaml'
readonly STATE_DIR='/var/lib/netlab'
readonly RUNTIME_CONFIG="$STATE_DIR/kubeadm-init.yaml"
readonly LOG="$STATE_DIR/kubeadm-init.log"

if [[ -e /etc/kubernetes/admin.conf ]]; then
  echo "kubeadm-init: solo-cp1 is already initialised"
  exit 0
fi

node_ip=$('/opt/netlab/bin'/node-ip.sh "${1:-}")
version=$(kubeadm version -o short)
if [[ ! $node_ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+[a-z0-9.+-]*$ ]]; then
  echo "kubeadm-init: unexpected node IP '$node_ip' or kubeadm version '$version'" >&2
  exit 1
fi

install -d -m 0700 "$STATE_DIR"
sed -e "s|@NODE_IP@|${node_ip}|g" -e "s|@KUBERNETES_VERSION@|${version}|g" "$CONFIG" > "$RUNTIME_CONFIG"
chmod 0600 "$RUNTIME_CONFIG"

echo "kubeadm-init: kubeadm init on solo-cp1 ($node_ip, Kubernetes $version); log: $LOG"
if ! kubeadm init --config "$RUNTIME_CONFIG" >"$LOG" 2>&1; then
  chmod 0600 "$LOG"
  # The failure's last lines (kubeadm prints no token before the cluster is up).
  tail -n 30 "$LOG" >&2
  echo "kubeadm-init: kubeadm init failed on solo-cp1; after fixing the cause, clean up before retrying: multipass exec solo-cp1 -- sudo kubeadm reset -f" >&2
  exit 1
fi
chmod 0600 "$LOG"

# kubectl for the default user (and for `multipass transfer` of the kubeconfig, which runs as that user).
user_home=$(getent passwd ubuntu | cut -d: -f6 || true)
if [[ -n $user_home ]]; then
  install -d -m 0700 -o ubuntu -g ubuntu "$user_home/.kube"
  install -m 0600 -o ubuntu -g ubuntu /etc/kubernetes/admin.conf "$user_home/.kube/config"
fi
echo "kubeadm-init: control plane solo-cp1 is up at https://${node_ip}:6443"
