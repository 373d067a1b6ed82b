#!/usr/bin/env bash
# Mutation testing of ChatRoom.Core with Stryker.NET (a local tool, restored from dotnet-tools.json). Load tests
# (Category=Load) are left out: they prove scale, not logic, and would multiply the run time. Pass extra Stryker
# arguments through, e.g. `tools/mutation-test.sh --mutate "**/Sessions/*.cs"`. The HTML report lands in
# artifacts/mutation/.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore
cd tests/ChatRoom.Core.Tests
dotnet dotnet-stryker -O ../../artifacts/mutation "$@"
