#!/usr/bin/env bash
# Installs Debian's redis-server when `redis-server` is not on the PATH; the Redis tests start their own instances from
# it (on free ports, in temporary folders), so the package's system service is neither needed nor started here.
set -euo pipefail

if command -v redis-server > /dev/null; then
  exit 0
fi

echo "redis-server not found: installing Debian's redis-server"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

# Keep the package's service from starting during the install (Debian's invoke-rc.d asks policy-rc.d; 101 = "no"),
# unless the machine has a policy of its own already.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" > /dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi

$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends redis-server > /dev/null
command -v redis-server > /dev/null || { echo "redis-server is still not on the PATH after installing it" >&2; exit 1; }
redis-server --version
