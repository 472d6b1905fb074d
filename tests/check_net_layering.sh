#!/usr/bin/env bash
# src/net is a library any program drives (docs/architecture.md): nothing under it includes
# from src/daemon or src/cli, by any path ("../daemon/engine.h", "daemon/config.h",
# <src/cli/...>), nor a header that only those directories hold.
set -u
root=${1:-.}
cd "$root" || exit 1
bad=0
report() { echo "net layering: $1"; bad=1; }
files=$(find src/net -name '*.[ch]' | sort)
[ -n "$files" ] || { echo "net layering: no sources under src/net"; exit 1; }
# any include naming the daemon or the CLI directory
dir=$(grep -nE '^\s*#\s*include\s*[<"][^>"]*\b(daemon|cli)/' $files)
[ -n "$dir" ] && report "includes from src/daemon or src/cli:"$'\n'"$dir"
# a bare header name that exists only in src/daemon or src/cli (an -I path would hide it)
for h in $(find src/daemon src/cli -name '*.h' -printf '%f\n' 2>/dev/null | sort -u); do
    [ -e "src/net/$h" ] && continue
    hit=$(grep -nE "^\s*#\s*include\s*[<\"]$h[>\"]" $files)
    [ -n "$hit" ] && report "includes $h (src/daemon or src/cli):"$'\n'"$hit"
done
# no daemon or CLI symbols either (sd_*, the engine's prefix; cmd_*, the CLI's)
sym=$(grep -nE '\b(sd_[a-z_]+|cmd_[a-z_]+)\s*\(' $files | grep -vE '^\S+:\s*(/\*|\*|//)')
[ -n "$sym" ] && report "calls into the daemon or the CLI:"$'\n'"$sym"
[ $bad -eq 0 ] && echo "net layering: ok ($(echo "$files" | wc -l) files)"
exit $bad
