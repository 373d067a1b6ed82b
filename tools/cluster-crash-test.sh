#!/usr/bin/env bash
# Longer cluster crash run: three server nodes share a redis-server of the test's own while users send to each other;
# a random node is SIGKILLed at random moments and restarted on its port (its users log in at another node meanwhile),
# and Redis is stopped once for a few seconds. Fails unless every acknowledged message was shown exactly once, no send
# was told ok while Redis was down, and the nodes took sends again after it returned.
# Usage: tools/cluster-crash-test.sh [kills (default 25)] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."
export CHATROOM_CLUSTER_CRASH_ROUNDS="${1:-25}"
[ -n "${2:-}" ] && export CHATROOM_CRASH_SEED="$2"
dotnet build tests/ChatRoom.Networking.Tests -c Release >/dev/null
dotnet test tests/ChatRoom.Networking.Tests -c Release --no-build \
  --filter "FullyQualifiedName~ClusterCrashTests" --logger "console;verbosity=detailed" \
  | grep -E "seed|sent,|events:|lost:|problem:|\[node-|Passed|Failed|Error Message|Assert"
