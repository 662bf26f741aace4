#!/usr/bin/env bash
# CLI contract: exit codes (0 ok, 1 bad model, 2 bad command line) and each command's output format.
# usage: cli_test.sh RWKV7_BINARY TEST_DATA_DIR DEFAULT_WORLD_VOCAB core|world_vocab
# The world_vocab part needs the World vocabulary ($RWKV7_WORLD_VOCAB, else DEFAULT_WORLD_VOCAB) and exits 77
# (skipped) without it.
set -u
export LC_ALL=C  # byte-wise string slicing below
bin=$1 data=$2 part=$4
V=${RWKV7_WORLD_VOCAB:-$3}
if [ "$part" = world_vocab ] && [ ! -f "$V" ]; then echo "SKIPPED: no World vocabulary at $V (set RWKV7_WORLD_VOCAB)"; exit 77; fi
fx=$data/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
expect_rc() {  # expect_rc CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then passes=$((passes+1)); else
    fails=$((fails+1)); echo "FAIL: $what: exit $rc, expected $want"; cat "$tmp/err"; fi
}
check() {  # check DESCRIPTION -- command (exit 0 = pass)
  local what=$1; shift 2
  if "$@"; then passes=$((passes+1)); else fails=$((fails+1)); echo "FAIL: $what"; fi
}

if [ "$part" = core ]; then
expect_rc 2 "no command" -- "$bin"
expect_rc 2 "unknown command" -- "$bin" frobnicate
expect_rc 2 "unknown flag" -- "$bin" info --model "$fx/x070_bf16_h32.pth" --bogus 1
expect_rc 2 "missing --model" -- "$bin" info
expect_rc 2 "flag without value" -- "$bin" info --model
expect_rc 2 "bad token list" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 1,x --at 0 --out "$tmp/l"
expect_rc 2 "position past the tokens" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 1,2 --at 2 --out "$tmp/l"
expect_rc 2 "token outside vocab" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 1,256 --at 0 --out "$tmp/l"
expect_rc 2 "bad mode" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 1 --at 0 --out "$tmp/l" --mode fast
expect_rc 2 "bad temperature" -- "$bin" generate --model "$fx/x070_bf16_h32.pth" --prompt hi --temperature -1
expect_rc 2 "text and file together" -- "$bin" tokenize --vocab "$V" --text a --file b
expect_rc 1 "missing model file" -- "$bin" info --model "$tmp/nope.pth"
printf 'not a model' >"$tmp/junk.pth"
expect_rc 1 "junk model" -- "$bin" info --model "$tmp/junk.pth"
check "junk model message names the file" -- grep -q "junk.pth" "$tmp/err"

expect_rc 0 "info" -- "$bin" info --model "$fx/x070_bf16_h32.pth"
check "info is one JSON object with the detected shape" -- grep -q '"n_layer":3.*"head_size":32' "$tmp/out"
expect_rc 0 "info on an HF folder" -- "$bin" info --model "$fx/fla_bf16"
check "info reports fla naming" -- grep -q '"naming":"fla"' "$tmp/out"


expect_rc 0 "logits token mode" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 5,6,7 --at 2,0 --out "$tmp/a"
expect_rc 0 "logits sequence mode" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 5,6,7 --at 2,0 --out "$tmp/b" --mode sequence
check "two rows of 256 float32" -- test "$(stat -c %s "$tmp/a")" = 2048
check "token and sequence mode write the same rows" -- cmp -s "$tmp/a" "$tmp/b"
expect_rc 0 "logits with two threads" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5,6,7 --at 2,0 --out "$tmp/c" --threads 2
expect_rc 0 "logits with one thread" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5,6,7 --at 2,0 --out "$tmp/d"
check "the thread count does not change the logits" -- cmp -s "$tmp/c" "$tmp/d"
expect_rc 0 "bench on two threads with bf16 activations" -- "$bin" bench --model "$fx/x070_bf16_h32.pth" --threads 2 --tokens 4 --prefill 8 --activations bf16
last=$(tail -1 "$tmp/out")
for key in decode_tok_s prefill_tok_s bandwidth_gb_s decode_bw_ratio weights_read_gb_s decode_weights_ratio load_ms rss_mb model_huge_pages probe_huge_pages; do
  check "bench JSON has $key" -- grep -q "\"$key\":" <<<"$last"
done
check "bench ratios are numbers (reads timed, not empty)" -- grep -Eq '"decode_bw_ratio":[0-9.e+-]+,.*"decode_weights_ratio":[0-9.e+-]+,' <<<"$last"
check "bench reports the threads the model really runs on" -- grep -q '"threads":2' <<<"$last"
check "bench reports the activation precision" -- grep -q '"activations":"bf16"' <<<"$last"
expect_rc 2 "bad --activations" -- "$bin" info --model "$fx/x070_bf16_h32.pth" --activations fp8
expect_rc 2 "zero threads" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5 --at 0 --out "$tmp/c" --threads 0
expect_rc 0 "int8 logits" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5,6,7 --at 2 --out "$tmp/e" --quant int8
expect_rc 0 "int8 weights and activations" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5,6,7 --at 2 --out "$tmp/f" --quant int8 --activations int8
expect_rc 0 "int8 activations, sequence mode" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5,6,7 --at 2 --out "$tmp/g" --quant int8 --activations int8 --mode sequence
check "int8 activations change the logits of int8 weights" -- bash -c "! cmp -s '$tmp/e' '$tmp/f'"
expect_rc 2 "int8 activations without int8 weights" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5 --at 0 --out "$tmp/e" --activations int8
check "the usage error says what int8 activations need" -- grep -q -- "--activations int8 needs --quant int8" "$tmp/err"
expect_rc 2 "unknown quant" -- "$bin" logits --model "$fx/x070_vocab65536.pth" --tokens 5 --at 0 --out "$tmp/e" --quant q4

expect_rc 0 "generate (byte model, no vocab)" -- "$bin" generate --model "$fx/x070_bf16_h32.pth" --prompt "12*34=" --max-tokens 20 --seed 3
cp "$tmp/out" "$tmp/gen1"
expect_rc 0 "generate again" -- "$bin" generate --model "$fx/x070_bf16_h32.pth" --prompt "12*34=" --max-tokens 20 --seed 3
check "same seed, same text" -- cmp -s "$tmp/out" "$tmp/gen1"
expect_rc 2 "generate on a World model without --vocab" -- "$bin" generate --model "$fx/x070_vocab65536.pth" --prompt hi

# Generation toolkit: a state saved mid-generation continues bit-identically in a new process.
gen() { "$bin" generate --model "$fx/x070_bf16_h32.pth" --temperature 0.9 "$@"; }
expect_rc 0 "generate 10 and save" -- gen --prompt ab --max-tokens 10 --seed 4 --save-state "$tmp/s1"
head -c -1 "$tmp/out" >"$tmp/part1"
expect_rc 0 "continue 10 from the saved state" -- gen --prompt "" --max-tokens 10 --load-state "$tmp/s1"
head -c -1 "$tmp/out" >"$tmp/part2"
expect_rc 0 "generate 20 in one go" -- gen --prompt ab --max-tokens 20 --seed 4
head -c -1 "$tmp/out" >"$tmp/whole"
cat "$tmp/part1" "$tmp/part2" >"$tmp/joined"
check "saved + resumed == uninterrupted" -- cmp -s "$tmp/joined" "$tmp/whole"
expect_rc 1 "a state from another model is refused" -- "$bin" generate --model "$fx/x070_fp16_h64.pth" --prompt x --load-state "$tmp/s1"
check "refusal names the state file" -- grep -q "s1: saved for a model with 3 layers" "$tmp/err"
cp "$tmp/s1" "$tmp/s1.flipped"
printf '\x55' | dd of="$tmp/s1.flipped" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_rc 1 "a corrupted state file is refused" -- gen --prompt x --load-state "$tmp/s1.flipped"
check "refusal says the checksum is wrong" -- grep -q "s1.flipped: checksum mismatch" "$tmp/err"
# Resume data rewritten (checksum recomputed, perl is in every Debian): a valid token resumes, 1e30 is refused.
resume_as() {  # resume_as JSON OUT: s1 with its extra bytes replaced by JSON
  perl -e 'use integer; local $/; open my $f, "<:raw", $ARGV[0] or die; my $d = <$f>; $d = substr($d, 0, length($d) - 8);
    my $at = 60 + 4 * unpack("Q<", substr($d, 52, 8)); $d = substr($d, 0, $at) . pack("Q<", length $ARGV[1]) . $ARGV[1];
    my $h = -3750763034362895579; $h = ($h ^ $_) * 1099511628211 for unpack("C*", $d); print $d . pack("q<", $h);' "$tmp/s1" "$1" >"$2"
}
resume_as '{"pending":[5],"rng":"1","occurrence":[]}' "$tmp/s1.token5"
expect_rc 0 "rewritten resume data with a valid token loads" -- gen --prompt "" --max-tokens 2 --load-state "$tmp/s1.token5"
resume_as '{"pending":[1e30],"rng":"1","occurrence":[]}' "$tmp/s1.huge"
expect_rc 1 "a pending token of 1e30 is refused" -- gen --prompt "" --max-tokens 2 --load-state "$tmp/s1.huge"
check "refusal names the file and the token" -- grep -q "s1.huge: resume data holds 1e+30 where a token id below 256 belongs" "$tmp/err"
resume_as '{"pending":[],"rng":"1","occurrence":[[3,1e300]]}' "$tmp/s1.count"
expect_rc 1 "an occurrence count of 1e300 is refused" -- gen --prompt "" --max-tokens 2 --load-state "$tmp/s1.count"
expect_rc 0 "allowed tokens only" -- gen --prompt "12*34=" --max-tokens 16 --allow-tokens 48,49,50,51,52,53,54,55,56,57 --seed 2
check "only digits were generated" -- grep -qxE '[0-9]{16}' "$tmp/out"
expect_rc 2 "allowed token outside vocab" -- gen --prompt x --allow-tokens 300
greedy() { "$bin" generate --model "$fx/x070_bf16_h32.pth" --temperature 0 "$@"; }
expect_rc 0 "greedy" -- greedy --prompt "12*34=" --max-tokens 40
first3=$(head -c 3 "$tmp/out")
expect_rc 0 "stop at the text greedy decoding produces" -- greedy --prompt "12*34=" --max-tokens 40 --stop "${first3:2:1}" --stop "zzz"
check "output ends before the stop string" -- test "$(head -c -1 "$tmp/out")" = "${first3:0:2}"

# Hostile files: exit 1 with a message naming the file (tests/test_hostile.cpp covers ~70 more in-process).
head -c 5000 "$fx/x070_bf16_h32.pth" >"$tmp/cut.pth"
expect_rc 1 "a truncated .pth" -- "$bin" info --model "$tmp/cut.pth"
check "truncation message names the file" -- grep -q "cut.pth" "$tmp/err"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f{}' >"$tmp/huge.safetensors"
expect_rc 1 "a safetensors header of 2^63 bytes" -- "$bin" info --model "$tmp/huge.safetensors"
check "header message names the file" -- grep -q "huge.safetensors: safetensors header claims" "$tmp/err"
printf "1 'a 1\n" >"$tmp/bad_vocab.txt"
expect_rc 1 "a malformed vocabulary" -- "$bin" tokenize --vocab "$tmp/bad_vocab.txt" --text a
check "vocabulary message names file and line" -- grep -q "bad_vocab.txt:1: malformed token literal" "$tmp/err"

# Bad arguments never crash: usage + exit 2.
for t in -1 100000 1.5 ""; do
  expect_rc 2 "--threads '$t'" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 5 --at 0 --out "$tmp/l" --threads "$t"
done
expect_rc 2 "empty token list" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens "" --at 0 --out "$tmp/l"
expect_rc 2 "empty position list" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 1 --at "" --out "$tmp/l"
expect_rc 2 "token id past 2^32" -- "$bin" logits --model "$fx/x070_bf16_h32.pth" --tokens 99999999999 --at 0 --out "$tmp/l"
expect_rc 0 "the largest seed, 2^64-1" -- "$bin" generate --model "$fx/x070_bf16_h32.pth" --prompt x --max-tokens 2 --seed 18446744073709551615
expect_rc 2 "a seed of 2^64" -- "$bin" generate --model "$fx/x070_bf16_h32.pth" --prompt x --max-tokens 2 --seed 18446744073709551616
expect_rc 2 "bad --check-finite" -- "$bin" info --model "$fx/x070_bf16_h32.pth" --check-finite maybe
expect_rc 0 "--check-finite yes on a clean model" -- "$bin" info --model "$fx/x070_bf16_h32.pth" --check-finite yes
expect_rc 1 "a vocabulary file that does not exist" -- "$bin" tokenize --vocab "$tmp/none.txt" --text a

# Evaluation: the numbers themselves are checked against the float64 reference in test_eval.cpp; here the
# command line, the output and the errors.
ev=$data/eval
expect_rc 0 "eval lambada" -- "$bin" eval lambada --model "$fx/gguf_q4_q5_mix.gguf" --file "$ev/lambada_small.jsonl"
check "eval lambada prints examples, perplexity and accuracy" -- grep -q '^{"task":"lambada","examples":16,"perplexity":[0-9.e+]*,"accuracy":0.25}$' "$tmp/out"
check "eval lambada reports progress on stderr" -- grep -q '^lambada 16/16: perplexity' "$tmp/err"
expect_rc 0 "eval lambada --limit" -- "$bin" eval lambada --model "$fx/x070_bf16_h32.pth" --file "$ev/lambada_small.jsonl" --limit 3
check "--limit takes the first examples" -- grep -q '"examples":3,' "$tmp/out"
expect_rc 0 "ppl" -- "$bin" ppl --model "$fx/x070_bf16_h32.pth" --file "$ev/text_small.txt"
check "ppl prints tokens and perplexity" -- grep -q '^{"tokens":291,"perplexity":[0-9.e+]*,"nll_per_token":' "$tmp/out"
expect_rc 2 "eval without a task" -- "$bin" eval --model "$fx/x070_bf16_h32.pth"
expect_rc 2 "eval of an unknown task" -- "$bin" eval hellaswag --model "$fx/x070_bf16_h32.pth" --file "$ev/lambada_small.jsonl"
printf '{"text": "nospace"}\n' >"$tmp/bad.jsonl"
expect_rc 1 "a LAMBADA line without a last word" -- "$bin" eval lambada --model "$fx/x070_bf16_h32.pth" --file "$tmp/bad.jsonl"
check "the bad line is named" -- grep -q "bad.jsonl:1: the text has no last word" "$tmp/err"
printf 'not json\n' >"$tmp/bad.jsonl"
expect_rc 1 "a LAMBADA line that is not JSON" -- "$bin" eval lambada --model "$fx/x070_bf16_h32.pth" --file "$tmp/bad.jsonl"
expect_rc 1 "a missing text file" -- "$bin" ppl --model "$fx/x070_bf16_h32.pth" --file "$tmp/none.txt"

fi

if [ "$part" = world_vocab ]; then
expect_rc 0 "tokenize --text" -- "$bin" tokenize --vocab "$V" --text $'\n\n'
check "tokenize prints a JSON array" -- grep -qx '\[261\]' "$tmp/out"
printf '\xff\x00 hello' >"$tmp/raw"
expect_rc 0 "tokenize --file (raw bytes)" -- "$bin" tokenize --vocab "$V" --file "$tmp/raw"
check "raw bytes tokenized (ids from tools/world_tokenizer_ref.py)" -- grep -qx '\[256,1,38685\]' "$tmp/out"

expect_rc 0 "generate on a World model" -- "$bin" generate --model "$fx/x070_vocab65536.pth" --vocab "$V" --prompt "User: hi" --max-tokens 8

# Chat over a pipe: the state carries across turns and /save + /load restore it exactly.
printf 'hello there\n/save %s\nwhat now?\n/load %s\nwhat now?\n' "$tmp/chat.st" "$tmp/chat.st" >"$tmp/chat.in"
expect_rc 0 "chat" -- "$bin" chat --model "$fx/x070_vocab65536.pth" --vocab "$V" --max-tokens 12 --seed 1 <"$tmp/chat.in"
check "chat answers every turn" -- test "$(grep -c '^Assistant:' "$tmp/out")" = 3
check "a turn replayed after /load is identical" -- test "$(sed -n 3p "$tmp/out")" = "$(sed -n 5p "$tmp/out")"
check "the first and second turns differ (state carried)" -- test "$(sed -n 1p "$tmp/out")" != "$(sed -n 3p "$tmp/out")"

fi

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
