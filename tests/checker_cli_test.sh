#!/usr/bin/env bash
# rwkv7-check's contract: exit 0 when all is right, 1 with the first wrong step, 2 on unusable input.
# usage: checker_cli_test.sh RWKV7_CHECK_BINARY
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
expect() {  # expect CODE DESCRIPTION STDIN -- args...
  local want=$1 what=$2 input=$3; shift 4
  printf '%s' "$input" | "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then passes=$((passes+1)); else fails=$((fails+1)); echo "FAIL: $what: exit $rc, expected $want"; cat "$tmp/out" "$tmp/err"; fi
}
has() {  # has DESCRIPTION PATTERN
  if grep -qF -- "$2" "$tmp/out"; then passes=$((passes+1)); else fails=$((fails+1)); echo "FAIL: $1: no '$2' in:"; cat "$tmp/out"; fi
}
seed=$'<think>\n123 * 400 = 49200\n123 * 50 = 6150\n123 * 6 = 738\nAdding them: 49200 + 6150 + 738 = 56088\n</think>\n<answer>56088</answer>\n'
expect 0 "seed format, all right" "$seed" -- --question "123 * 456"
has "verdict" "correct: 56088"
expect 1 "one wrong digit" "${seed/6150 +/6140 +}" -- --question "123 * 456"
has "names the wrong step" "wrong: 49200 + 6140 + 738 = 56078, not 56088"
expect 1 "wrong partial product" "${seed/= 6150/= 6151}" -- --question "123 * 456"
has "first wrong step and why" "wrong: step 2 (123 * 50 = 6151): wrong: 123 × 50 = 6150, not 6151"
reversed=$'321*6=837\n321*5=516\n321*4=294\n837+0516=8886\n8886+00294=88065\n'
expect 0 "reversed format" "$reversed" -- --question "123*456"
has "rendered forward" "6888 + 49200 = 56088"
expect 1 "reversed, wrong sum digit" "${reversed/88065/88165}" -- --question "123*456"
expect 1 "missing answer" $'123 * 400 = 49200\n' -- --question "123 * 456"
expect 2 "unusable question" "$seed" -- --question "123 + 456"
expect 2 "no question" "$seed" --
expect 2 "empty reasoning" "" -- --question "1 * 2"
expect 2 "bad format flag" "$seed" -- --question "1 * 2" --format words
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
