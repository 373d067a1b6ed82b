#!/usr/bin/env bash
# Longer crash run: clients send to each other while the server process is SIGKILLed at random moments and restarted
# on the same data file; fails unless every acknowledged message was shown exactly once and blocks/lockouts held.
# Usage: tools/crash-test.sh [kills (default 25)] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
export CHATROOM_CRASH_ROUNDS="${1:-25}"
[ -n "${2:-}" ] && export CHATROOM_CRASH_SEED="$2"
dotnet build tests/ChatRoom.Networking.Tests -c Release >/dev/null
dotnet test tests/ChatRoom.Networking.Tests -c Release --no-build \
  --filter "FullyQualifiedName~CrashTests" --logger "console;verbosity=detailed" \
  | grep -E "seed|sent,|Passed|Failed|Error Message|Assert"
