#!/usr/bin/env bash
# Builds the two programs a lab needs into out/bin: `netlab` (the CLI) and `netlab-cni` (the CNI plugin, NativeAOT).
# Usage: scripts/build.sh [RID]
#   no RID: for this machine (the netns lab); netlab runs on the installed .NET.
#   RID (linux-x64 or linux-arm64): for the lab's VMs, which have no .NET: netlab is a self-contained single file.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "build: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
rid="${1:-linux-$arch}"
out=out/bin
mkdir -p "$out"

echo "build: netlab -> $out/netlab"
if [ "$#" -gt 0 ]; then
  dotnet publish src/Provisioner.Cli -c Release -r "$rid" --self-contained true -p:PublishSingleFile=true -o "$out" --nologo -v quiet
else
  dotnet publish src/Provisioner.Cli -c Release -r "$rid" --self-contained false -o "$out" --nologo -v quiet
fi

# NativeAOT needs a native toolchain for the target; where it cannot run (another OS or architecture),
# a self-contained single-file build serves instead, and we say which one was used.
echo "build: netlab-cni -> $out/netlab-cni"
if dotnet publish src/Provisioner.Cni -c Release -r "$rid" -p:PublishAot=true -o "$out" --nologo -v quiet; then
  echo "build: netlab-cni is a NativeAOT binary for $rid"
else
  echo "build: NativeAOT is not available for $rid here; building a self-contained single-file netlab-cni instead"
  dotnet publish src/Provisioner.Cni -c Release -r "$rid" -p:PublishAot=false --self-contained true \
    -p:PublishSingleFile=true -o "$out" --nologo -v quiet
fi
