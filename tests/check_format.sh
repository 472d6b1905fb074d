#!/usr/bin/env bash
# Every C source and header follows .clang-format (clang-format 14 is on the machines).
set -u
root=${1:-.}
cd "$root" || exit 1
cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ]; then
  echo "format: clang-format not installed (make deps installs it)"; exit 1
fi
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
[ -z "$files" ] && { echo "format: no files"; exit 0; }
if ! $cf --dry-run -Werror $files; then
  echo "format: run 'make format' to fix"; exit 1
fi
echo "format: ok ($(echo "$files" | wc -l) files)"
