#!/usr/bin/python3
"""Independent float64 reference for `rwkv7 eval lambada` and `rwkv7 ppl` (tests/data/eval/expected.json).

Why it exists: the CLI's evaluation numbers are checked against this implementation of RWKV's own LAMBADA
evaluation (text split at its last space; context = [0] + tokens of the text before it, target = tokens of
" " + the last word; perplexity = exp of the mean negative log-likelihood per example; accuracy = every target
token is the argmax) and of plain-text perplexity ([0] + tokens, each token after the first predicted), run on
rwkv7_ref.py's float64 model with a numpy log-softmax. Tokens: bytes for a 256-token model, else the World
tokenizer reference (world_tokenizer_ref.py) over --vocab.

Usage:  eval_ref.py lambada --model M --file F [--vocab V]
        eval_ref.py ppl --model M --file F [--vocab V]
        eval_ref.py expected --outdir tests/data/eval      (regenerates expected.json from the test models)
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwkv7_ref  # noqa: E402


def tokenizer(model, vocab):
    if vocab:
        import world_tokenizer_ref
        return world_tokenizer_ref.WorldTokenizerRef(vocab).encode
    if model.vocab != 256:
        sys.exit("a model without a 256-token vocabulary needs --vocab")
    return lambda text: list(text.encode("utf-8"))


def log_softmax(row):
    peak = row.max()
    return row - peak - np.log(np.exp(row - peak).sum())


def lambada(model, encode, path):
    nll, correct, n = 0.0, 0, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            text = json.loads(line)["text"]
            context, last = text.rsplit(" ", 1)
            src, dst = [0] + encode(context), encode(" " + last)
            state = model.new_state()
            for t in src[:-1]:
                model.step(t, state)
            row = model.step(src[-1], state)
            greedy = True
            for i, t in enumerate(dst):
                nll -= log_softmax(row)[t]
                greedy = greedy and int(np.argmax(row)) == t
                if i + 1 < len(dst):
                    row = model.step(t, state)
            correct += greedy
            n += 1
    return {"task": "lambada", "examples": n, "perplexity": float(np.exp(nll / n)), "accuracy": correct / n}


def ppl(model, encode, path):
    with open(path, "rb") as f:
        raw = f.read()
    tokens = [0] + encode(raw.decode("utf-8"))
    state, nll = model.new_state(), 0.0
    for i in range(len(tokens) - 1):
        nll -= log_softmax(model.step(tokens[i], state))[tokens[i + 1]]
    n = len(tokens) - 1
    return {"tokens": n, "perplexity": float(np.exp(nll / n)), "nll_per_token": nll / n,
            "bits_per_byte": nll / np.log(2.0) / len(raw)}


def greedy_lines(model, count, seed):
    """Lines whose last word the (random) model predicts greedily: along a random byte stream, wherever a space
    is the argmax, the next greedy bytes, if they are 1-3 printable ASCII characters, make a word; the line is the
    stream so far, a space and that word. So the accuracy the test checks is not 0 for want of any right answer."""
    import copy
    rng = np.random.default_rng(seed)
    letters = set(range(ord("a"), ord("z") + 1)) | set(range(ord("A"), ord("Z") + 1))
    printable = set(range(33, 127)) - {ord('"'), ord("\\")}
    state, lines, stream = model.new_state(), [], b""
    row = model.step(0, state)
    while len(lines) < count and len(stream) < 20000:
        if int(np.argmax(row)) == 32 and len(stream) > 8:
            probe, word = copy.deepcopy(state), b""
            r = model.step(32, probe)
            while len(word) < 3 and int(np.argmax(r)) in printable:
                word += bytes([int(np.argmax(r))])
                r = model.step(word[-1], probe)
            if word:
                lines.append(stream.decode("latin-1") + " " + word.decode())
        b = int(rng.choice(list(letters) + [32, 44, 46]))
        stream += bytes([b])
        row = model.step(b, state)
    return lines


def write_lambada_file(model, path):
    """12 random lines of words (one with a multi-byte last word) and 4 whose last word the model predicts."""
    rng = np.random.default_rng(7)
    words = "the cat sat on a mat while seven birds sang over quiet hills and rivers ran toward distant seas".split()
    lines = [" ".join(rng.choice(words, size=int(rng.integers(4, 15)))) + (" caf\u00e9" if i == 3 else "") for i in range(12)]
    lines += greedy_lines(model, 4, seed=11)
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps({"text": line}) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["lambada", "ppl", "expected"])
    ap.add_argument("--model")
    ap.add_argument("--file")
    ap.add_argument("--vocab")
    ap.add_argument("--outdir")
    a = ap.parse_args()
    if a.cmd == "expected":
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        fixtures, data = os.path.join(root, "tests", "data", "fixtures"), os.path.join(root, "tests", "data", "eval")
        write_lambada_file(rwkv7_ref.RWKV7(os.path.join(fixtures, "gguf_q4_q5_mix.gguf")), os.path.join(data, "lambada_small.jsonl"))
        out = {}
        for name in ["x070_bf16_h32.pth", "gguf_q4_q5_mix.gguf"]:
            model = rwkv7_ref.RWKV7(os.path.join(fixtures, name))
            encode = tokenizer(model, None)
            out[name] = {"lambada": lambada(model, encode, os.path.join(data, "lambada_small.jsonl")),
                         "ppl": ppl(model, encode, os.path.join(data, "text_small.txt"))}
        with open(os.path.join(a.outdir or data, "expected.json"), "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
        return
    model = rwkv7_ref.RWKV7(a.model)
    encode = tokenizer(model, a.vocab)
    print(json.dumps((lambada if a.cmd == "lambada" else ppl)(model, encode, a.file)))


if __name__ == "__main__":
    main()
