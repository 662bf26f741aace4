#!/usr/bin/env bash
# The bundled tutor, as a user meets it: the binary alone in an empty folder, exact answers on held-out pairs
# with every step checked, JSON output, and the quiz driven through its stdin.
# usage: tutor_test.sh RWKV7_TUTOR_BINARY TEST_DATA_DIR
set -u
bin=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
ok() { passes=$((passes+1)); }
bad() { fails=$((fails+1)); echo "FAIL: $*"; }

# 1. The binary alone in an empty directory: the model is inside it.
cp "$bin" "$tmp/rwkv7-tutor"
(cd "$tmp" && ./rwkv7-tutor 123 456 >out.txt 2>err.txt) && ok || bad "tutor alone exited $?: $(cat "$tmp/err.txt")"
grep -q "Answer: 56088" "$tmp/out.txt" && ok || bad "tutor alone: no 'Answer: 56088' in $(cat "$tmp/out.txt")"
[ "$(ls "$tmp")" = "$(printf 'err.txt\nout.txt\nrwkv7-tutor')" ] && ok || bad "stray files: $(ls "$tmp")"

# 2. JSON for one question.
"$tmp/rwkv7-tutor" --json 7 8 >"$tmp/j" && ok || bad "--json exited $?"
grep -q '"a":7,"b":8,"answer":56,"correct":true,"steps_ok":true' "$tmp/j" && ok || bad "--json: $(cat "$tmp/j")"

# 3. Held-out pairs (never trained on; listed by the card's rule): exact match and every step checked.
check_pairs() {  # check_pairs FILE MIN_PERMILLE
  "$tmp/rwkv7-tutor" --pairs "$1" >"$tmp/pairs.out"
  local exact steps total
  exact=$(sed -n 's#^exact_match \([0-9]*\)/\([0-9]*\)$#\1#p' "$tmp/pairs.out")
  total=$(sed -n 's#^exact_match \([0-9]*\)/\([0-9]*\)$#\2#p' "$tmp/pairs.out")
  steps=$(sed -n 's#^steps_ok \([0-9]*\)/[0-9]*$#\1#p' "$tmp/pairs.out")
  echo "$(basename "$1"): exact_match $exact/$total, steps_ok $steps/$total"
  [ -n "$exact" ] && [ "$total" -gt 0 ] && [ $((exact * 1000)) -ge $((total * $2)) ] && ok || bad "$1: exact $exact/$total below $2 per mille"
  [ -n "$steps" ] && [ "$steps" = "$exact" ] && ok || bad "$1: steps_ok $steps differs from exact $exact (a right answer with a wrong step)"
}
check_pairs "$data/heldout_3x3.txt" 995
check_pairs "$data/heldout_small.txt" 999

# 4. The quiz, driven through stdin: read the first question, answer it right, then quit.
printf 'q\n' | "$tmp/rwkv7-tutor" --quiz --seed 5 >"$tmp/q1"
question=$(sed -n 's/^Question 1: \([0-9]*\) × \([0-9]*\) = ? .*/\1 \2/p' "$tmp/q1")
[ -n "$question" ] && ok || bad "quiz printed no question: $(cat "$tmp/q1")"
set -- $question
printf '%s\n%s\nq\n' "$(( $1 * $2 ))" "not a number" | "$tmp/rwkv7-tutor" --quiz --seed 5 >"$tmp/q2"
grep -q "Right!" "$tmp/q2" && ok || bad "quiz did not accept the right answer: $(cat "$tmp/q2")"
grep -q "That is not a number." "$tmp/q2" && ok || bad "quiz did not reject a non-number"
grep -q "Answer: $(( $1 * $2 )) — correct, every step checks out" "$tmp/q2" && ok || bad "quiz did not show the worked solution"
grep -q "^score 1/2$" "$tmp/q2" && ok || bad "quiz score: $(tail -1 "$tmp/q2")"

# 5. Bad command lines.
"$tmp/rwkv7-tutor" 12 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "one number should be a usage error"
"$tmp/rwkv7-tutor" --bogus 1 2 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "unknown flag should be a usage error"
"$tmp/rwkv7-tutor" 12 x3 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "non-number should be a usage error"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
