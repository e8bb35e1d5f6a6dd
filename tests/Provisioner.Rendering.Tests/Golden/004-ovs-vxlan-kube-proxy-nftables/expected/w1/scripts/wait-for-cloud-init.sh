#!/usr/bin/env bash
# netlab: waits until cloud-init has prepared kp-w1 (packages, containerd, kubeadm).
set -euo pipefail

status=0
cloud-init status --wait >/dev/null || status=$?
# 0: done; 2: done with recoverable warnings (newer cloud-init), e.g. deprecated keys in Multipass's vendor-data.
if [[ $status -ne 0 && $status -ne 2 ]]; then
  cloud-init status --long >&2 || true
  echo "wait-for-cloud-init: cloud-init failed on kp-w1 (exit $status); read /var/log/cloud-init-output.log (multipass exec kp-w1 -- sudo tail -n 50 /var/log/cloud-init-output.log)" >&2
  exit 1
fi
if [[ ! -e '/var/lib/netlab'/prepared ]]; then
  echo "wait-for-cloud-init: cloud-init finished but prepare-node.sh did not complete on kp-w1; read /var/log/cloud-init-output.log" >&2
  exit 1
fi
echo "wait-for-cloud-init: kp-w1 is prepared"
