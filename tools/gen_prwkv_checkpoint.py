#!/usr/bin/python3
"""Write a random PRWKV-7 "cxa076" checkpoint in RWKV-Infer's .pth naming (FORMATS.md 1.3).

Why it exists: no small PRWKV model is published, and the real ones are 3B-14B.
The tests need small files covering every layout the loader must detect
(grouped key/value heads, r/k/v biases or none, cxa076r's ln_r/ln_k, layer-0
v0/v1/v2 present or absent, a head tied to the embedding, bf16/fp16/fp32), and
the benchmarks need a file of a real model's shape.  Deterministic for a --seed.
Tensors are made and converted one at a time, so a 6 GB file needs about 6 GB
of memory, not 12.

Examples:
    gen_prwkv_checkpoint.py --out m.pth --layers 2 --heads 4 --kv-heads 2 --head-size 32
    gen_prwkv_checkpoint.py --shape qwen2.5-3b --out prwkv-3b.pth   # ~6 GB, bf16
"""
import argparse

import numpy as np

PRESETS = {
    # Qwen2.5-3B distilled (FORMATS.md 1.3): 36 x 2048, 16 heads of 128, 2 kv heads, FFN 11008.
    "qwen2.5-3b": dict(layers=36, width=2048, heads=16, kv_heads=2, head_size=128, ffn=11008,
                       vocab=151936, dw=96, da=96, dv=64, dg=256, dtype="bf16", bias=True,
                       rk_norm=False, tied_head=False, layer0_v="present"),
}


def tensors(a):
    """Yield (name, float32 array) in file order."""
    rng = np.random.default_rng(a.seed)
    C, H, N, Hkv, F, V = a.width, a.heads, a.head_size, a.kv_heads, a.ffn, a.vocab
    A, K = H * N, Hkv * N

    def normal(shape, std):
        return rng.standard_normal(size=shape, dtype=np.float32) * np.float32(std)

    def uniform(shape, lo, hi):
        return rng.uniform(lo, hi, size=shape).astype(np.float32)

    def matrix(rows, cols):   # nn.Linear [out, in]
        return normal((rows, cols), 1.0 / np.sqrt(cols))

    def lora(fan_in, rows, cols):
        return normal((rows, cols), 0.3 / np.sqrt(fan_in))

    yield "emb.weight", normal((V, C), 1.0)
    for i in range(a.layers):
        b = f"blocks.{i}."
        yield b + "ln1.weight", 1.0 + normal((C,), 0.1)
        yield b + "ln2.weight", 1.0 + normal((C,), 0.1)
        for name, rows in (("receptance", A), ("key", K), ("value", K)):
            yield b + f"att.{name}.weight", matrix(rows, C)
            if a.bias:
                yield b + f"att.{name}.bias", normal((rows,), 0.2)
        yield b + "att.output.weight", matrix(C, A)
        yield b + "att.w0", uniform((1, 1, A), -2.0, 1.0)
        yield b + "att.w1", lora(C, C, a.dw)
        yield b + "att.w2", lora(a.dw, a.dw, A)
        yield b + "att.a0", normal((1, 1, A), 0.5)
        yield b + "att.a1", lora(C, C, a.da)
        yield b + "att.a2", lora(a.da, a.da, A)
        if i > 0 or a.layer0_v == "present":
            yield b + "att.v0", normal((1, 1, A), 0.5)
            yield b + "att.v1", lora(C, C, a.dv)
            yield b + "att.v2", lora(a.dv, a.dv, A)
        yield b + "att.g1", lora(C, C, a.dg)
        yield b + "att.g2", lora(a.dg, a.dg, A)
        yield b + "att.r_k", normal((H, N), 0.5)
        if a.rk_norm:
            yield b + "att.ln_r.weight", 1.0 + normal((N,), 0.1)
            yield b + "att.ln_k.weight", 1.0 + normal((N,), 0.1)
        if a.layer_architecture:
            yield b + "att.layer_architecture", np.array(76.0, dtype=np.float32)  # RWKVInside's marker; readers ignore it
        yield b + "ffn.gate.weight", matrix(F, C)
        yield b + "ffn.up.weight", matrix(F, C)
        yield b + "ffn.down.weight", matrix(C, F)
    yield "ln_out.weight", 1.0 + normal((C,), 0.1)
    if not a.tied_head:
        yield "head.weight", matrix(V, C)


def generate(a):
    if a.heads % a.kv_heads:
        raise SystemExit("--heads must be a multiple of --kv-heads")
    if a.format == "pth":
        import torch
        tdt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
        torch.save({name: torch.from_numpy(t).to(tdt) for name, t in tensors(a)}, a.out)
    else:
        from gen_checkpoint import write_safetensors
        write_safetensors(a.out, dict(tensors(a)), a.dtype)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", choices=sorted(PRESETS), help="preset; overrides the shape options")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["pth", "safetensors"], default="pth")
    ap.add_argument("--dtype", choices=["bf16", "fp16", "fp32"], default="bf16")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=64, help="C, the residual width")
    ap.add_argument("--heads", type=int, default=2, help="H; the attention width is H * head size")
    ap.add_argument("--kv-heads", type=int, default=1)
    ap.add_argument("--head-size", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=None, help="default 3*width")
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--dw", type=int, default=8)
    ap.add_argument("--da", type=int, default=8)
    ap.add_argument("--dv", type=int, default=8)
    ap.add_argument("--dg", type=int, default=16)
    ap.add_argument("--bias", action="store_true", help="r/k/v biases (Qwen2.5)")
    ap.add_argument("--rk-norm", action="store_true", help="cxa076r: ln_r/ln_k per-head RMSNorm (Qwen3)")
    ap.add_argument("--tied-head", action="store_true", help="no head.weight: the embedding is the head")
    ap.add_argument("--layer0-v", choices=["present", "absent"], default="present")
    ap.add_argument("--layer-architecture", action="store_true", help="add the scalar att.layer_architecture keys")
    a = ap.parse_args(argv)
    if a.shape:
        for k, v in PRESETS[a.shape].items():
            setattr(a, k, v)
    if a.ffn is None:
        a.ffn = 3 * a.width
    return a


if __name__ == "__main__":
    generate(parse_args())
