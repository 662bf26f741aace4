#!/usr/bin/python3
"""Write an RWKV-LM x070 .pth checkpoint as a llama.cpp GGUF file (arch "rwkv7"), for running llama.cpp's
llama-bench on the same model as `rwkv7 bench` in the same session.

Why it exists: llama.cpp's own converter needs the `transformers` package, which Debian does not ship. This
writer follows the tensor names, shapes and metadata of FORMATS.md section 3 (llama.cpp's Rwkv7Model
conversion): large matrices keep the checkpoint's bf16 (or become f16/f32 with --outtype), vectors, norms,
the decay LoRA (w1, w2) and the fused token-shift mixes are f32; LoRA factors are stored transposed; layer 0
gets copies of a0/a1/a2 as v0/v1/v2. Quantize it further with llama-quantize (e.g. Q8_0).

    pth_to_gguf.py --model seed000.pth --vocab rwkv_vocab_v20230424.txt --out seed000-bf16.gguf
"""
import argparse
import ast
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io  # noqa: E402

TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_UNUSED = 1, 3, 5


def world_tokens(vocab_path, vocab_size):
    """llama.cpp's rwkv vocab: "<s>" at id 0, each token's bytes as the text inside a Python bytes repr, then
    [PAD] fillers up to the model's vocabulary size."""
    tokens, types = ["<s>"], [TOKEN_CONTROL]
    with open(vocab_path, encoding="utf-8") as f:
        for line in f:
            idx = int(line[: line.index(" ")])
            token = ast.literal_eval(line[line.index(" "): line.rindex(" ")].strip())  # a str or bytes literal only
            raw = token.encode("utf-8") if isinstance(token, str) else token
            if idx != len(tokens):
                raise SystemExit(f"{vocab_path}: token id {idx} out of order")
            tokens.append(repr(raw)[2:-1])
            types.append(TOKEN_NORMAL)
    for i in range(len(tokens), vocab_size):
        tokens.append(f"[PAD{i}]")
        types.append(TOKEN_UNUSED)
    return tokens[:vocab_size], types[:vocab_size]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="RWKV-LM x070 .pth")
    ap.add_argument("--vocab", required=True, help="rwkv_vocab_v20230424.txt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--outtype", choices=["f32", "f16", "bf16"], default="bf16", help="type of the large matrices")
    a = ap.parse_args()

    sd = torch.load(a.model, map_location="cpu", weights_only=True)  # tensors only: the pickle runs no code
    sd = {k: v.float().numpy() for k, v in sd.items()}  # bf16 and fp16 widen to fp32 exactly
    tokens = world_tokens(a.vocab, np.shape(sd["emb.weight"])[0])
    L, _ = gguf_io.write_gguf(a.out, sd, a.outtype, tokens=tokens, name=a.model.rsplit("/", 1)[-1])
    print(f"{a.out}: {L} layers, width {np.shape(sd['emb.weight'])[1]}, large matrices {a.outtype}")


if __name__ == "__main__":
    main()
