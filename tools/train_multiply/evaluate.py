#!/usr/bin/python3
"""Greedy exact-match accuracy of a multiplication checkpoint on the held-out sets.

    evaluate.py --model models/multiply-tiny.pth                 # torch fp32 greedy decoder
    evaluate.py --model M --cpp build/bin/rwkv7 --n3 200 --nsmall 200   # C++ CLI, one process per pair

Sets (tools/multiply_data.py): the first --n3 (default 2000) held-out 3x3-digit
pairs in the fixed seeded shuffle, and all held-out pairs with a or b < 100
(--nsmall limits to a seeded sample).  --compare also checks that the C++ CLI
and the torch decoder produce byte-identical text.
"""
import argparse
import os
import random
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import multiply_data as md  # noqa: E402
from model import greedy_batch, load_model  # noqa: E402


def cpp_generate(cli, model, a, b):
    out = subprocess.run([cli, "generate", "--model", model, "--prompt", f"{a}*{b}\n",
                          "--temperature", "0", "--max-tokens", "120"],
                         capture_output=True, check=True).stdout
    return out[:-1] if out.endswith(b"\n") else out   # the CLI prints one "\n" after the text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--n3", type=int, default=2000)
    ap.add_argument("--nsmall", type=int, default=0, help="0 = all held-out small pairs")
    ap.add_argument("--cpp", default=None, help="path of the rwkv7 CLI: decode with it instead")
    ap.add_argument("--compare", action="store_true", help="with --cpp: also run torch and diff")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sets = {"3x3": md.held_out_3x3(args.n3)}
    small = md.held_out_small()
    if args.nsmall:
        small = random.Random(7).sample(small, args.nsmall)
    sets["small"] = small
    model = load_model(args.model) if (args.cpp is None or args.compare) else None
    for name, pairs in sets.items():
        t0 = time.time()
        prompts = [md.prompt(a, b) for a, b in pairs]
        torch_out = []
        if model is not None:
            for i in range(0, len(prompts), 500):
                torch_out += greedy_batch(model, prompts[i:i + 500])
        outs = torch_out
        mism = 0
        if args.cpp:
            outs = [cpp_generate(args.cpp, args.model, a, b) for a, b in pairs]
            if args.compare:
                for (a, b), c, t in zip(pairs, outs, torch_out):
                    if c != t:
                        mism += 1
                        if mism <= 5:
                            print(f"  C++/torch differ on {a}*{b}: {c!r} vs {t!r}")
        ok = 0
        fails = []
        for (a, b), o in zip(pairs, outs):
            good = o + b"\x00" == md.completion(a, b) and md.answer_from_completion(o) == a * b
            ok += good
            if not good:
                fails.append((a, b, o.decode("ascii", "replace")))
        print(f"{name}: {ok}/{len(pairs)} = {100.0 * ok / len(pairs):.2f}% exact"
              + (f"  (C++ vs torch mismatches: {mism})" if args.compare else "")
              + f"  [{time.time() - t0:.0f}s]")
        for a, b, o in fails[:10]:
            print(f"  FAIL {a}*{b}={a * b}: {o!r}")


if __name__ == "__main__":
    main()
