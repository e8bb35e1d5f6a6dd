#!/usr/bin/env bash
# Checks what `scripts/build.sh RID` built for the VMs in out/RID: both programs are for RID's architecture, netlab is
# self-contained (a framework-dependent apphost must never reach a VM, which has no .NET), and both start:
# `netlab --version`, and netlab-cni answering CNI_COMMAND=VERSION. Another architecture's binaries run under
# qemu-user (qemu-aarch64-static) where it is installed; without it, only `file` is checked, and we say so.
# Usage: scripts/check-vm-binaries.sh RID
set -euo pipefail
cd "$(dirname "$0")/.."

rid=${1:?usage: scripts/check-vm-binaries.sh linux-x64|linux-arm64}
dir=out/$rid
case "$rid" in
  linux-x64) machine=x86-64 qemu=qemu-x86_64-static sysroot=/usr/x86_64-linux-gnu ;;
  linux-arm64) machine=aarch64 qemu=qemu-aarch64-static sysroot=/usr/aarch64-linux-gnu ;;
  *) echo "check-vm-binaries: unsupported RID '$rid'" >&2; exit 1 ;;
esac
fail() { echo "check-vm-binaries: $rid: $*" >&2; exit 1; }

for program in netlab netlab-cni; do
  [ -x "$dir/$program" ] || fail "$dir/$program is missing (run scripts/build.sh $rid)"
  description=$(file -b "$dir/$program")
  echo "check-vm-binaries: $dir/$program: $description"
  case "$description" in
    ELF*"$machine"*) ;;
    *) fail "$dir/$program is not an ELF executable for $machine" ;;
  esac
done
if [ -e "$dir/netlab.dll" ] || [ -e "$dir/netlab.runtimeconfig.json" ]; then
  fail "$dir/netlab is framework-dependent (netlab.dll next to it); the VMs need build.sh's self-contained single file"
fi

# How to run this architecture's programs here: natively, under qemu-user, or not at all.
case "$(uname -m)" in
  x86_64) native=x86-64 ;;
  aarch64 | arm64) native=aarch64 ;;
  *) native=unknown ;;
esac
if [ "$native" = "$machine" ]; then
  run=()
elif command -v "$qemu" >/dev/null 2>&1; then
  run=("$qemu" -L "$sysroot")
else
  echo "check-vm-binaries: $rid: $qemu is not installed; checked the architecture only (apt-get install qemu-user-static to run them)"
  exit 0
fi

version=$(timeout 120 "${run[@]}" "$dir/netlab" --version) || fail "netlab --version failed"
echo "check-vm-binaries: $rid: netlab --version: $version"
cni=$(CNI_COMMAND=VERSION timeout 60 "${run[@]}" "$dir/netlab-cni" </dev/null) || fail "netlab-cni CNI_COMMAND=VERSION failed"
grep -q '"cniVersion"' <<<"$cni" || fail "netlab-cni answered CNI_COMMAND=VERSION with: $cni"
echo "check-vm-binaries: $rid: netlab-cni VERSION: $(tr -d ' \n' <<<"$cni")"
