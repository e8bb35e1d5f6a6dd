#!/usr/bin/env bash
# Writes Provisioner.NoInfra.slnf: every project of Provisioner.sln but the Pulumi program (infra/) and its tests,
# whose packages (Pulumi, Pulumi.Command) not every NuGet source has. scripts/test.sh builds and tests through it
# where they cannot be restored. A unit test (SolutionFilterSpecs) fails when the filter is out of date: run this
# after adding a project to the solution.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet sln Provisioner.sln list | grep '\.csproj$' | grep -v 'Provisioner\.Infra' | sort |
  sed 's#/#\\\\#g; s#.*#      "&",#; $ s#,$##' |
  { printf '{\n  "solution": {\n    "path": "Provisioner.sln",\n    "projects": [\n'; cat; printf '    ]\n  }\n}\n'; } \
    >Provisioner.NoInfra.slnf
echo "solution-filter: wrote Provisioner.NoInfra.slnf"
