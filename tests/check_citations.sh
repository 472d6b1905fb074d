#!/usr/bin/env bash
# The repository cites the RFCs themselves: no reference to a working digest it does not ship
# (RULES.md, a spec/ folder), no merge-time work note left in the code, no SR_WITH_TLS option
# that builds nothing. usage: check_citations.sh SRCDIR
set -u
cd "${1:-.}" || exit 1
pat='RULES\.md|RULES §|shared/spec|MERGE HOOK|At merge time|SR_WITH_TLS'
hits=$(grep -rnE "$pat" --include='*.c' --include='*.h' --include='*.in' --include='*.md' \
    --include='*.1' --include='*.8' --include='*.sh' --include='*.py' --include='*.cmake' \
    --include='CMakeLists.txt' --include='Makefile' --include='*.yaml' \
    src include docs tests tools fuzz bench cmake examples scripts README.md CMakeLists.txt Makefile \
    2>/dev/null | grep -v '^tests/check_citations.sh:')
if [ -n "$hits" ]; then
    echo "citations: cite the RFC section instead of:"
    echo "$hits"
    exit 1
fi
echo "citations: ok"
