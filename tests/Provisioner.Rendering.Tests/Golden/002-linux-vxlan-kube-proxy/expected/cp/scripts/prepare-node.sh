#!/usr/bin/env bash
# netlab: prepares lab2-cp for kubeadm (run once by cloud-init; safe to run again).
set -euo pipefail

readonly K8S_REPO='https://pkgs.k8s.io/core:/stable:/v1.34/deb/'
readonly K8S_KEYRING='/etc/apt/keyrings/kubernetes-apt-keyring.gpg'
readonly STATE_DIR='/var/lib/netlab'

# Kernel modules now (the modules-load.d file loads them at boot) and the sysctls kubeadm's preflight checks.
modprobe overlay
modprobe br_netfilter
sysctl --system >/dev/null

# Swap off now and at boot: the kubelet does not start with swap on.
swapoff -a
sed -ri '/\sswap\s/ s/^#?/#/' /etc/fstab

# pkgs.k8s.io: one repository per minor version, so an apt upgrade never moves the cluster to another minor.
install -d -m 0755 "$(dirname "$K8S_KEYRING")"
curl -fsSL --retry 5 "${K8S_REPO}Release.key" | gpg --dearmor --yes -o "$K8S_KEYRING"
echo "deb [signed-by=${K8S_KEYRING}] ${K8S_REPO} /" > /etc/apt/sources.list.d/kubernetes.list
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet kubeadm kubectl kubernetes-cni
apt-mark hold kubelet kubeadm kubectl

# The CNI loopback plugin (kubernetes-cni) must be there: every pod sandbox needs it besides netlab-cni.
test -x '/opt/cni/bin'/loopback || { echo "prepare-node: /opt/cni/bin/loopback is missing (kubernetes-cni)" >&2; exit 1; }

systemctl restart containerd
systemctl enable --now kubelet

install -d -m 0755 "$STATE_DIR" '/etc/netlab'/kubeadm '/etc/netlab'/cni "$STATE_DIR/stage"

# At every boot: the fabric and Service rules again, from what `netlab node ... apply` saved (nothing yet: it waits).
systemctl daemon-reload
systemctl enable 'netlab-node.service'
touch "$STATE_DIR/prepared"
echo "prepare-node: lab2-cp is ready for kubeadm (Kubernetes 1.34)"
