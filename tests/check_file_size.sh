#!/usr/bin/env bash
# No source file under src/ grows past 800 lines (docs/architecture.md): a file that does has
# more than one concern and is split by concern, not trimmed.
set -u
root=${1:-.}
cd "$root" || exit 1
limit=800
bad=$(find src -name '*.[ch]' -print0 | xargs -0 wc -l | awk -v l=$limit '$2 != "total" && $1 > l')
if [ -n "$bad" ]; then
    echo "file size: over $limit lines:"
    echo "$bad"
    exit 1
fi
echo "file size: ok ($(find src -name '*.[ch]' | wc -l) files, none over $limit lines)"
