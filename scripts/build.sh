#!/usr/bin/env bash
# Builds the two programs a lab needs: `netlab` (the CLI) and `netlab-cni` (the CNI plugin, NativeAOT).
# Usage: scripts/build.sh [RID]
#   no RID: for this machine (the netns lab), into out/bin; netlab runs on the installed .NET.
#   RID (linux-x64 or linux-arm64): for the lab's VMs, which have no .NET, into out/RID: netlab is a self-contained
#   single file. The two never share a folder: a framework-dependent netlab must never reach a VM.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "build: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
rid="${1:-linux-$arch}"
case "$rid" in
  linux-x64 | linux-arm64) ;;
  *) echo "build: unsupported RID '$rid'; use linux-x64 or linux-arm64" >&2; exit 1 ;;
esac
if [ "$#" -gt 0 ]; then out="out/$rid"; else out=out/bin; fi
mkdir -p "$out"

echo "build: netlab -> $out/netlab"
if [ "$#" -gt 0 ]; then
  dotnet publish src/Provisioner.Cli -c Release -r "$rid" --self-contained true -p:PublishSingleFile=true -o "$out" --nologo -v quiet
else
  # ReadyToRun: netlab is a short-lived command; JIT-compiling YamlDotNet, Scriban and the rules compiler at every start
  # cost a no-op 10k-service `netlab up` ~0.75 s of its 3.3 s CPU (bench/netns-up-10k-bench.sh).
  # Measured and not taken (2026-12-01, the same bench's no-op, interleaved runs at load 8-11): a self-contained
  # composite image (--self-contained true -p:PublishReadyToRunComposite=true, the framework in the version bubble)
  # JIT-compiles ~540 methods instead of ~1,390 (generic framework code over netlab's types), but the no-op's CPU moved
  # only 0.85 -> 0.79 s on average, while the publish compiles the whole framework (6-9 min wall at load 9-20, crossgen2
  # alone past 1.5 min CPU; 140 MB instead of ~50 MB): too much for CI's budget. DOTNET_TieredCompilation=0 was no better.
  dotnet publish src/Provisioner.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$out" --nologo -v quiet
fi

# NativeAOT links with clang; for another architecture it needs that architecture's C runtime and linker
# (gcc-aarch64-linux-gnu, which scripts/install-deps.sh installs) and llvm-objcopy. Where it cannot run,
# a self-contained single-file build serves instead, and we say which one was used.
echo "build: netlab-cni -> $out/netlab-cni"
aot_log=$(mktemp)
trap 'rm -f "$aot_log"' EXIT
if dotnet publish src/Provisioner.Cni -c Release -r "$rid" -p:PublishAot=true -o "$out" --nologo -v quiet >"$aot_log" 2>&1; then
  echo "build: netlab-cni is a NativeAOT binary for $rid"
else
  grep -E "error" "$aot_log" | cut -c1-240 | sed "s/^/build:   /" | sort -u | head -n 5 >&2 || true
  echo "build: NativeAOT is not available for $rid here (see above; install-deps.sh installs the cross toolchain);" \
    "building a self-contained single-file netlab-cni instead (slower to start)" >&2
  dotnet publish src/Provisioner.Cni -c Release -r "$rid" -p:PublishAot=false --self-contained true \
    -p:PublishSingleFile=true -o "$out" --nologo -v quiet
fi
