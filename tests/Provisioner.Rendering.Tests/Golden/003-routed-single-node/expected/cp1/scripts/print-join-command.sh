#!/usr/bin/env bash
# netlab: prints a fresh join command for the workers of lab solo.
# Its output is a SECRET (a bootstrap token): pass it to kubeadm-join.sh on stdin, never log it.
set -euo pipefail

if [[ ! -e /etc/kubernetes/admin.conf ]]; then
  echo "print-join-command: solo-cp1 is not initialised yet (run kubeadm-init.sh first)" >&2
  exit 1
fi
kubeadm token create --ttl 2h --print-join-command
