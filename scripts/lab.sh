#!/usr/bin/env bash
# The netns lab in one command: installs what is missing, builds netlab, brings up the example lab
# (Pulumi.dev.yaml) as network namespaces on this host, and verifies it layer by layer.
# Usage, as root (or with sudo): scripts/lab.sh [--stack FILE]      (tear down with: netlab down)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh >/dev/null
ln -sf "$PWD/out/bin/netlab" /usr/local/bin/netlab

stack=(--stack Pulumi.dev.yaml)
if [ "$#" -gt 0 ]; then stack=("$@"); fi

out/bin/netlab up "${stack[@]}"
out/bin/netlab verify "${stack[@]}"
