#!/usr/bin/env bash
# Records public API changes the analyzer reports (RS0016 new symbol, RS0017 removed symbol) in each project's
# PublicAPI.Unshipped.txt, so a deliberate change is one command and still shows in review. Run, then read the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
dotnet build ChatRoom.sln -c Release -p:TreatWarningsAsErrors=false > "$log" 2>&1 || true
python3 - "$log" <<'PY'
import re, sys, collections
adds, removes = collections.defaultdict(set), collections.defaultdict(set)
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.search(r"(RS0016|RS0017): Symbol '(.*)' is (?:not part of the declared public API|part of the declared API).*\[(.*)\.csproj\]", line)
    if not m:
        continue
    code, symbol, project = m.groups()
    folder = project.rsplit("/", 1)[0]
    (adds if code == "RS0016" else removes)[folder].add(symbol)
for folder in set(adds) | set(removes):
    path = f"{folder}/PublicAPI.Unshipped.txt"
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")]
    for symbol in removes[folder]:
        if symbol in lines:
            lines.remove(symbol)          # added since the last release, so just forget it
        elif f"*REMOVED*{symbol}" not in lines:
            lines.append(f"*REMOVED*{symbol}")
    lines += sorted(s for s in adds[folder] if s not in lines)
    header = [l for l in lines if l.startswith("#")]
    body = sorted({l for l in lines if l and not l.startswith("#")}, key=lambda l: l.replace("*REMOVED*", ""))
    open(path, "w", encoding="utf-8").write("\n".join(header + body) + "\n")
    print(f"{path}: +{len(adds[folder])} -{len(removes[folder])}")
PY
rm -f "$log"
