#!/usr/bin/env bash
# netlab: prints a fresh join command for the workers of lab dev, and nothing else on stdout.
# Its output is a SECRET (a bootstrap token, valid 30 minutes): pipe it straight into kubeadm-join.sh on the worker,
# never store or log it. Errors go to stderr, redacted.
set -euo pipefail

readonly KUBERNETES_DIR='/etc/kubernetes'

# Copies stdin to stdout with the secrets kubeadm prints replaced: bootstrap tokens (ID.SECRET) and certificate keys
# (64 hex digits; the CA's public key hash after "sha256:" is not secret and stays).
redact() {
  sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/[redacted token]/g' \
    -e 's/(^|[^:0-9a-f])[0-9a-f]{64}($|[^0-9a-f])/\1[redacted key]\2/g'
}

if [[ ! -e $KUBERNETES_DIR/admin.conf ]]; then
  echo "print-join-command: dev-cp1 is not initialised yet (run kubeadm-init.sh first)" >&2
  exit 1
fi

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if ! output=$(kubeadm token create --ttl 30m --print-join-command 2>"$errors"); then
  redact <"$errors" >&2
  echo "print-join-command: kubeadm token create failed on dev-cp1" >&2
  exit 1
fi
join_command=$(grep -m1 -E '^kubeadm join ' <<<"$output" || true)
if [[ -z $join_command ]]; then
  redact <<<"$output" >&2
  echo "print-join-command: kubeadm token create printed no join command on dev-cp1" >&2
  exit 1
fi
printf '%s\n' "$join_command"
