#!/usr/bin/env bash
# sipreply tests: tools/gen_status rejects a malformed TSV with the file and line number,
# and writes no table; it accepts the real data/ files.
# usage: check_gen.sh <path-to-sr_gen_status> <source-dir>
set -u
gen=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

reg=$src/data/status-codes.tsv
leg=$src/data/legacy-codes.tsv

"$gen" "$reg" "$leg" "$tmp/good.c" && [ -s "$tmp/good.c" ] && ok "real data accepted" || bad "real data rejected"
grep -q 'sr__status_table_len = 75;' "$tmp/good.c" && ok "75 codes generated" || bad "not 75 codes"

# reject NAME WHICH(reg|leg) LINE MESSAGE-FRAGMENT < file content
reject() {
  local name=$1 which=$2 line=$3 msg=$4 f="$tmp/$1.tsv" o="$tmp/$1.c"
  cat > "$f"
  if [ "$which" = reg ]; then "$gen" "$f" "$leg" "$o" 2>"$tmp/err"; else "$gen" "$reg" "$f" "$o" 2>"$tmp/err"; fi
  local rc=$?
  if [ $rc -eq 0 ]; then bad "$name: accepted"; return; fi
  if [ -e "$o" ] || [ -e "$o.tmp" ]; then bad "$name: left $o or $o.tmp"; fi
  if grep -q "$f:$line: error: .*$msg" "$tmp/err"; then ok "$name: $(cat "$tmp/err")"
  else bad "$name: message '$(cat "$tmp/err")' lacks '$f:$line: ... $msg'"; fi
}

head1=$(head -1 "$reg")
row486=$(grep -P '^486\t' "$reg")
row487=$(grep -P '^487\t' "$reg")

printf '%s\n%s\n%s\n' "$head1" "$row486" "$row486" | reject duplicate reg 3 "duplicate code 486"
printf '%s\n%s\n%s\n' "$head1" "$row487" "$row486" | reject order reg 3 "ascending"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | cut -f1-11)" | reject columns reg 2 "11 columns, expected 12"
printf '%s\n%s\textra\n' "$head1" "$row486" | reject extra_column reg 2 "13 columns"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/request-failure/server-failure/')" | reject class reg 2 "class 'server-failure' does not match code 486"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/request-failure/bogus/')" | reject class_name reg 2 "class 'bogus'"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/^486/4860/')" | reject code reg 2 "not three digits"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/^486/786/; s/request-failure/global-failure/')" | reject code_range reg 2 "outside 100-699"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/RFC3261/RFC 3261/')" | reject rfc reg 2 "RFCnnnn"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/Retry-After/Retry After/')" | reject header reg 2 "not a header field name"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/\tUAS\t/\tuser\t/')" | reject sender reg 2 "sender 'user'"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/Busy Here/Busy H\xc3\xa9re/')" | reject ascii reg 2 "printable ASCII"
printf '%s\n%s\n' "$head1" "$(printf '%s' "$row486" | sed 's/\tBusy Here\t/\t\t/')" | reject empty_phrase reg 2 "empty phrase"
printf '%s\n%s\n%s\n' "$head1" "$row486" "$(printf '%s' "$row487" | sed 's/Request Canceled/Busy-Here/')" | reject variant reg 3 "other phrase of 487 is the canonical phrase of 486"
printf '%s\n%s\n' "$(printf '%s' "$head1" | sed 's/phrase/reason/')" "$row486" | reject header_line reg 1 "column 2 is 'reason'"
printf '%s\n' "$head1" | reject no_rows reg 1 "no rows"
printf 'code\tphrase\tsource\tmeaning\tadvice\n486\tBusy\tX\tm\ta\n' | reject legacy_registered leg 2 "486 is registered"
printf 'code\tphrase\tsource\tmeaning\n409\tConflict\tRFC2543\tm\n' | reject legacy_columns leg 1 "4 columns, expected 5"

"$gen" 2>/dev/null; [ $? -eq 2 ] && ok "usage exits 2" || bad "usage"
"$gen" "$tmp/none.tsv" "$leg" "$tmp/x.c" 2>/dev/null; [ $? -eq 1 ] && ok "missing file fails" || bad "missing file"

[ "$fails" -eq 0 ] && echo "gen_status: all passed" || echo "gen_status: $fails failure(s)"
[ "$fails" -eq 0 ]
