#!/usr/bin/env bash
# The test entry point: installs redis-server for the Redis tests if it is missing, then runs every test.
# Arguments go on to `dotnet test` (CI adds --no-build, loggers and coverage).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/redis/install.sh
dotnet test ChatRoom.sln -c Release "$@"
