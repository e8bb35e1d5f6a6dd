#!/usr/bin/env bash
# netlab: joins dev-worker1 to the control plane dev-cp1.
# The join command (`kubeadm join ADDRESS:PORT --token T --discovery-token-ca-cert-hash sha256:H`, a secret) comes
# from NETLAB_JOIN_COMMAND or stdin, never from an argument (arguments show in `ps`). Safe to run again.
# Usage: kubeadm-join.sh [NODE_IP] < join-command
set -euo pipefail

readonly CONFIG='/etc/netlab/kubeadm/join.yaml'
readonly STATE_DIR='/var/lib/netlab'
readonly RUNTIME_CONFIG="$STATE_DIR/kubeadm-join.yaml"
readonly LOG="$STATE_DIR/kubeadm-join.log"

if [[ -e /etc/kubernetes/kubelet.conf ]]; then
  echo "kubeadm-join: dev-worker1 has already joined"
  exit 0
fi

join_command=${NETLAB_JOIN_COMMAND:-}
if [[ -z $join_command ]]; then
  join_command=$(cat)
fi

endpoint='' token='' ca_hash=''
read -r -a words <<<"$join_command"
for ((i = 0; i < ${#words[@]}; i++)); do
  case ${words[i]} in
    join) endpoint=${words[i + 1]:-} ;;
    --token) token=${words[i + 1]:-} ;;
    --discovery-token-ca-cert-hash) ca_hash=${words[i + 1]:-} ;;
  esac
done
if [[ ! $endpoint =~ ^[A-Za-z0-9.-]+:[0-9]+$ || ! $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ || ! $ca_hash =~ ^sha256:[a-f0-9]{64}$ ]]; then
  echo "kubeadm-join: expected 'kubeadm join ADDRESS:PORT --token TOKEN --discovery-token-ca-cert-hash sha256:HASH' on stdin or in NETLAB_JOIN_COMMAND" >&2
  echo "Fix: on the control plane run print-join-command.sh and pass its output to this script's stdin" >&2
  exit 1
fi

node_ip=$('/opt/netlab/bin'/node-ip.sh "${1:-}")

install -d -m 0700 "$STATE_DIR"
trap 'rm -f "$RUNTIME_CONFIG"' EXIT
(
  umask 077
  sed -e "s|@API_SERVER_ENDPOINT@|${endpoint}|g" -e "s|@JOIN_TOKEN@|${token}|g" \
    -e "s|@CA_CERT_HASH@|${ca_hash}|g" -e "s|@NODE_IP@|${node_ip}|g" "$CONFIG" > "$RUNTIME_CONFIG"
)

echo "kubeadm-join: kubeadm join dev-worker1 ($node_ip) to $endpoint; log: $LOG"
if ! kubeadm join --config "$RUNTIME_CONFIG" >"$LOG" 2>&1; then
  chmod 0600 "$LOG"
  tail -n 30 "$LOG" >&2
  echo "kubeadm-join: kubeadm join failed on dev-worker1; after fixing the cause, clean up before retrying: multipass exec dev-worker1 -- sudo kubeadm reset -f" >&2
  exit 1
fi
chmod 0600 "$LOG"
echo "kubeadm-join: dev-worker1 joined"
