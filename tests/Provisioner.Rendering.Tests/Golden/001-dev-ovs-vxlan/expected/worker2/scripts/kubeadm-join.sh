#!/usr/bin/env bash
# netlab: joins dev-worker2 to the control plane dev-cp1.
# The join command (`kubeadm join ADDRESS:PORT --token T --discovery-token-ca-cert-hash sha256:H`, a secret) comes on
# stdin only, piped from print-join-command.sh on the control plane: never from an argument (arguments show in `ps`)
# nor the environment (a process's environment is readable in /proc and ends up in logs). The lines shown when
# kubeadm fails are redacted. Safe to run again: a joined node is left as it is; what a failed join left is reset.
# Usage: print-join-command.sh | kubeadm-join.sh [NODE_IP]
set -euo pipefail

readonly CONFIG='/etc/netlab/kubeadm/join.yaml'
readonly STATE_DIR='/var/lib/netlab'
readonly KUBERNETES_DIR='/etc/kubernetes'
readonly RUNTIME_CONFIG="$STATE_DIR/kubeadm-join.yaml"
readonly LOG="$STATE_DIR/kubeadm-join.log"
readonly ATTEMPTED="$STATE_DIR/kubeadm-join.attempted"

# Copies stdin to stdout with the secrets kubeadm prints replaced: bootstrap tokens (ID.SECRET) and certificate keys
# (64 hex digits; the CA's public key hash after "sha256:" is not secret and stays).
redact() {
  sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/[redacted token]/g' \
    -e 's/(^|[^:0-9a-f])[0-9a-f]{64}($|[^0-9a-f])/\1[redacted key]\2/g'
}

if [[ -e $KUBERNETES_DIR/kubelet.conf ]]; then
  echo "kubeadm-join: dev-worker2 has already joined"
  exit 0
fi

usage() {
  echo "kubeadm-join: expected 'kubeadm join ADDRESS:PORT --token TOKEN --discovery-token-ca-cert-hash sha256:HASH' on stdin" >&2
  echo "Fix: on the control plane run print-join-command.sh and pipe its output into this script" >&2
  exit 1
}
[[ ! -t 0 ]] || usage
join_command=$(cat)

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
  usage
fi

node_ip=$('/opt/netlab/bin'/node-ip.sh "${1:-}")

install -d -m 0700 "$STATE_DIR"
trap 'rm -f "$RUNTIME_CONFIG"' EXIT
(
  umask 077
  sed -e "s|@API_SERVER_ENDPOINT@|${endpoint}|g" -e "s|@JOIN_TOKEN@|${token}|g" \
    -e "s|@CA_CERT_HASH@|${ca_hash}|g" -e "s|@NODE_IP@|${node_ip}|g" "$CONFIG" > "$RUNTIME_CONFIG"
  : > "$LOG"
)

fail() { # WHAT
  redact <"$LOG" | tail -n 30 >&2
  echo "kubeadm-join: $1 failed on dev-worker2 (above: the end of its log, secrets redacted; all of it: sudo cat $LOG)." >&2
  echo "Fix the cause, then run this again: it resets what the failed join left first." >&2
  exit 1
}

# What a failed or interrupted join left (the CA certificate, the bootstrap kubeconfig) fails the next join's preflight.
if [[ -e $ATTEMPTED || -e $KUBERNETES_DIR/bootstrap-kubelet.conf || -e $KUBERNETES_DIR/pki/ca.crt ]]; then
  echo "kubeadm-join: a previous kubeadm join did not finish on dev-worker2; kubeadm reset -f first"
  kubeadm reset -f >>"$LOG" 2>&1 || fail "kubeadm reset"
fi

touch "$ATTEMPTED"
echo "kubeadm-join: kubeadm join dev-worker2 ($node_ip) to $endpoint; log: $LOG"
kubeadm join --config "$RUNTIME_CONFIG" >>"$LOG" 2>&1 || fail "kubeadm join"
rm -f "$ATTEMPTED"
echo "kubeadm-join: dev-worker2 joined"
