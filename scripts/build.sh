#!/usr/bin/env bash
# Builds the two programs a lab needs into out/bin: `netlab` (the CLI) and `netlab-cni` (the CNI plugin, NativeAOT).
# Usage: scripts/build.sh [RID]   (RID defaults to this machine's, e.g. linux-x64 or linux-arm64)
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
dotnet publish src/Provisioner.Cli -c Release -r "$rid" --self-contained false -o "$out" --nologo -v quiet

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
