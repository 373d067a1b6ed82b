#!/usr/bin/env bash
# Fuzzes ChatRoom's parsers with AFL++ and SharpFuzz: `tools/fuzz/run.sh SECONDS [target...]`.
# Targets: framer (LineFramer/LineReader), command (CommandParser + argument checks), peer (PeerWire),
# reply (WireFormat.Parse + each command's reply decoding); all of them by default.
# Installs afl++ with apt-get when afl-fuzz is missing, restores the SharpFuzz tool, publishes the harness,
# instruments the ChatRoom libraries, runs each target for SECONDS from its seed corpus (tools/fuzz/corpus/<target>)
# and exits non-zero if any crash or hang was found, printing the inputs. Findings land in artifacts/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz/run.sh SECONDS [framer|command|peer|reply ...]" >&2
  exit 2
fi
seconds=$1; shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(framer command peer reply)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! command -v afl-fuzz > /dev/null; then
  echo "afl-fuzz not found: installing afl++"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++ > /dev/null
fi

out=artifacts/fuzz
bin=$out/bin plain=$out/bin-plain
rm -rf "$bin" "$plain"
dotnet tool restore > /dev/null
dotnet publish tools/fuzz/ChatRoom.Fuzz -c Release -o "$bin" --nologo -v quiet
# Instrumented code only runs under afl-fuzz; findings are replayed on an untouched copy to show the exception.
cp -r "$bin" "$plain"
# Only our libraries carry coverage: the harness, SharpFuzz and the framework are left as they are.
for dll in ChatRoom.Core.dll ChatRoom.Networking.dll; do
  dotnet tool run sharpfuzz "$bin/$dll" > /dev/null
done

# A shared box: no CPU pinning, no governor or core-dump checks that need host changes; the status goes to the log.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1

found=0
for target in "${targets[@]}"; do
  corpus=tools/fuzz/corpus/$target
  [ -d "$corpus" ] || { echo "unknown target '$target' (no $corpus)" >&2; exit 2; }
  findings=$out/$target
  rm -rf "$findings"
  mkdir -p "$findings"
  echo "fuzzing $target for ${seconds}s"
  # -t: a hang is an input that takes over 5 s (generous: the first run includes the runtime's start).
  fuzz() { afl-fuzz -i "$corpus" -o "$findings" -V "$seconds" -t 5000 -m none -- dotnet "$bin/ChatRoom.Fuzz.dll" "$target" > "$findings/afl.log" 2>&1; }
  retried=0
  while ! fuzz; do
    # Once seen on a loaded box: the dry run saw no coverage. One retry before calling it a failure.
    if [ "$retried" -eq 0 ] && grep -q "No instrumentation detected" "$findings/afl.log"; then
      echo "  afl-fuzz saw no coverage on its dry run; retrying once"
      retried=1
      mv "$findings/afl.log" "$out/$target.first-try.log"
      rm -rf "$findings" && mkdir -p "$findings"
      continue
    fi
    echo "afl-fuzz failed for $target:" >&2
    tail -n 30 "$findings/afl.log" >&2
    exit 1
  done

  stats=$findings/default/fuzzer_stats
  stat() { sed -n "s/^$1 *: *//p" "$stats"; }
  echo "  $target: execs $(stat execs_done), $(stat execs_per_sec) exec/s, corpus $(stat corpus_count), edges $(stat edges_found), crashes $(stat saved_crashes), hangs $(stat saved_hangs)"
  for kind in crashes hangs; do
    for input in "$findings"/default/$kind/id:*; do
      [ -e "$input" ] || continue
      found=1
      echo "  $kind: $input"
      # Replaying shows the exception (a hang replays without one).
      { timeout 20 dotnet "$plain/ChatRoom.Fuzz.dll" "$target" "$input" 2>&1 || true; } | head -n 3 | sed 's/^/    /' 
    done
  done
done

if [ "$found" -ne 0 ]; then
  echo "fuzzing found crashes or hangs (see above)"
  exit 1
fi
echo "fuzzing: no crash or hang in ${targets[*]} (${seconds}s each)"
