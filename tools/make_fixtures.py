#!/usr/bin/python3
"""(Re)generate the committed model test fixtures in tests/data/fixtures/.

Why it exists: the C++ tests compare their logits with those of the independent
float64 reference (rwkv7_ref.py) on small random checkpoints covering every
supported file layout and dtype.  This script makes those checkpoints (via
gen_checkpoint.py), a deterministic token sequence per fixture, the reference
logits at a few positions, and manifest.json describing it all.  Everything is
deterministic, so re-running it reproduces the same bytes (torch .pth zip
archives included, as long as the torch version does not change).

Usage:  /usr/bin/python3 tools/make_fixtures.py [--outdir tests/data/fixtures]
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_checkpoint  # noqa: E402
import gen_prwkv_checkpoint  # noqa: E402
import prwkv7_ref  # noqa: E402
import rwkv7_ref  # noqa: E402

SIZE_LIMIT = 10_200_000  # bytes for the whole fixtures folder
SEQ_LEN = 260
AT = [0, 1, 259]

# name, file/dir, generator options[, positions].  The vocab-65536 fixture stores
# only two logits rows (256 KiB each) to keep the folder under SIZE_LIMIT.
FIXTURES = [
    ("x070_bf16_h32", "x070_bf16_h32.pth",
     dict(format="pth", naming="rwkvlm", dtype="bf16", layers=3, width=64, head_size=32,
          ffn=224, vocab=256, layer0_v="present", seed=101)),
    ("x070_fp16_h64", "x070_fp16_h64.pth",
     dict(format="pth", naming="rwkvlm", dtype="fp16", layers=2, width=128, head_size=64,
          ffn=448, vocab=256, layer0_v="absent", seed=102)),
    ("x070_fp32_rwkvlm", "x070_fp32_rwkvlm.safetensors",
     dict(format="safetensors", naming="rwkvlm", dtype="fp32", layers=2, width=32, head_size=32,
          ffn=128, vocab=256, layer0_v="present", seed=103)),
    ("fla_bf16", "fla_bf16",
     dict(format="safetensors", naming="fla", dtype="bf16", layers=2, width=32, head_size=16,
          ffn=128, vocab=256, seed=104)),
    ("fla_fused_fp32", "fla_fused_fp32",
     dict(format="safetensors", naming="fla", dtype="fp32", layers=1, width=32, head_size=32,
          ffn=112, vocab=256, fused_xx=True, seed=105)),
    ("x070_vocab65536", "x070_vocab65536.pth",
     dict(format="pth", naming="rwkvlm", dtype="fp16", layers=2, width=8, head_size=8,
          ffn=32, vocab=65536, layer0_v="present", seed=106), [0, 259]),
    # llama.cpp GGUF (gguf_io.py): ggml block types read as stored; the reference dequantizes the same blocks.
    ("gguf_q8_0", "gguf_q8_0.gguf",
     dict(format="gguf", dtype="q8_0", layers=2, width=64, head_size=32, ffn=128, vocab=256, dw=32, da=32, dv=32,
          dg=32, seed=107)),
    ("gguf_q4_q5_mix", "gguf_q4_q5_mix.gguf",
     dict(format="gguf", dtype="q4_0", layers=2, width=64, head_size=32, ffn=96, vocab=256, dw=8, da=32, dv=8,
          dg=16, gguf_types="att.key.weight=q4_1,att.value.weight=q5_0,att.output.weight=q5_1,"
          "ffn.value.weight=q5_1,head.weight=q8_0,emb.weight=f16,att.a1=q4_1,att.a2=q5_0", seed=108)),
    ("gguf_k_quants", "gguf_k_quants.gguf",
     dict(format="gguf", dtype="q4_0", layers=1, width=256, head_size=64, ffn=256, vocab=256, dw=8, da=32, dv=8,
          dg=32, gguf_types="att.receptance.weight=q6_k,att.key.weight=q5_k,ffn.key.weight=q4_k,ffn.value.weight=q5_k,vectors=f16,"
          "head.weight=q6_k,att.g1=q4_k", seed=110)),
    # rwkv.cpp .bin (rwkv_cpp_io.py), version 101.
    ("rwkvcpp_q5_1", "rwkvcpp_q5_1.bin",
     dict(format="rwkvcpp", dtype="q5_1", layers=2, width=64, head_size=32, ffn=128, vocab=256, dw=8, da=8, dv=8,
          dg=16, seed=111)),
    ("gguf_bf16", "gguf_bf16.gguf",
     dict(format="gguf", dtype="bf16", layers=1, width=64, head_size=64, ffn=128, vocab=256, seed=109)),
]

# PRWKV cxa076 fixtures (gen_prwkv_checkpoint.py, reference prwkv7_ref.py): key/value heads H/2, H/4 and H; head
# sizes 32, 64, 128; fp32, fp16, bf16; biases or none; cxa076r; attention width unequal to the model width; a
# 151,936-token vocabulary whose head is the embedding (one logits row, 0.6 MB).
PRWKV_FIXTURES = [
    ("cxa076_fp32_kv_half", "cxa076_fp32_kv_half.pth",
     dict(dtype="fp32", layers=2, width=64, heads=4, kv_heads=2, head_size=32, ffn=128, vocab=256,
          bias=True, layer0_v="present", layer_architecture=True, seed=201)),
    ("cxa076_fp16_kv_quarter", "cxa076_fp16_kv_quarter.pth",
     dict(dtype="fp16", layers=2, width=64, heads=4, kv_heads=1, head_size=64, ffn=128, vocab=256,
          layer0_v="absent", seed=202)),
    ("cxa076r_bf16_h128", "cxa076r_bf16_h128.pth",
     dict(dtype="bf16", layers=1, width=128, heads=2, kv_heads=2, head_size=128, ffn=256, vocab=256,
          rk_norm=True, seed=203)),
    ("cxa076_vocab151936_tied", "cxa076_vocab151936_tied.pth",
     dict(dtype="bf16", layers=2, width=8, heads=1, kv_heads=1, head_size=16, ffn=16, vocab=151936,
          bias=True, tied_head=True, seed=204), [259]),
]


def gen_options(out, opts, generator=gen_checkpoint):
    """Turn a fixture's option dict into a generator's (gen_checkpoint / gen_prwkv_checkpoint) parsed arguments."""
    argv = ["--out", out]
    for key, val in opts.items():
        flag = "--" + key.replace("_", "-")
        if val is True:
            argv.append(flag)
        else:
            argv += [flag, str(val)]
    return generator.parse_args(argv)


def folder_size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--outdir", default=os.path.join(root, "tests", "data", "fixtures"))
    args = ap.parse_args()

    if os.path.isdir(args.outdir):
        shutil.rmtree(args.outdir)
    os.makedirs(args.outdir)

    manifest = []
    for index, (name, target, opts, *rest) in enumerate(FIXTURES):
        at = rest[0] if rest else AT
        a = gen_options(os.path.join(args.outdir, target), opts)
        gen_checkpoint.generate(a)
        model_rel = target + "/model.safetensors" if a.naming == "fla" else target

        tokens = np.random.default_rng(1000 + index).integers(0, a.vocab, SEQ_LEN).tolist()
        model = rwkv7_ref.RWKV7(os.path.join(args.outdir, model_rel))
        rows = rwkv7_ref.logits_at(model, tokens, at)
        rows.astype("<f4").tofile(os.path.join(args.outdir, name + ".ref.f32"))

        manifest.append({
            "name": name, "model": model_rel, "tokens": tokens, "at": at,
            "ref": name + ".ref.f32",
            "dtype": a.dtype, "format": a.format, "arch": "x070",
            "naming": {"gguf": "llama.cpp", "rwkvcpp": "rwkv.cpp"}.get(a.format, a.naming),
            "layer0_v": a.naming == "rwkvlm" and a.layer0_v == "present",
            "fused_xx": bool(a.fused_xx),
            "group_norm_eps": model.gn_eps,
            "config": {"n_layer": a.layers, "n_embd": a.width, "head_size": a.head_size,
                       "n_head": a.width // a.head_size, "ffn": a.ffn, "vocab": a.vocab,
                       "dw": a.dw, "da": a.da, "dv": a.dv, "dg": a.dg},
        })
        print(f"{name:18s} logits std {rows.std(axis=1).round(3).tolist()} "
              f"max|logit| {np.abs(rows).max():.3f}")

    for index, (name, target, opts, *rest) in enumerate(PRWKV_FIXTURES):
        at = rest[0] if rest else AT
        a = gen_options(os.path.join(args.outdir, target), opts, gen_prwkv_checkpoint)
        gen_prwkv_checkpoint.generate(a)
        tokens = np.random.default_rng(2000 + index).integers(0, a.vocab, SEQ_LEN).tolist()
        model = prwkv7_ref.PRWKV7(os.path.join(args.outdir, target))
        rows = prwkv7_ref.logits_at(model, tokens, at)
        rows.astype("<f4").tofile(os.path.join(args.outdir, name + ".ref.f32"))
        manifest.append({
            "name": name, "model": target, "tokens": tokens, "at": at, "ref": name + ".ref.f32",
            "dtype": a.dtype, "format": "pth", "naming": "rwkvlm", "arch": "cxa076r" if a.rk_norm else "cxa076",
            "bias": bool(a.bias), "tied_head": bool(a.tied_head),
            "config": {"n_layer": a.layers, "n_embd": a.width, "head_size": a.head_size, "n_head": a.heads,
                       "n_kv_head": a.kv_heads, "ffn": a.ffn, "vocab": a.vocab,
                       "dw": a.dw, "da": a.da, "dv": a.dv, "dg": a.dg},
        })
        print(f"{name:24s} logits std {rows.std(axis=1).round(3).tolist()} "
              f"max|logit| {np.abs(rows).max():.3f}")

    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(entry) for entry in manifest) + "\n]\n")

    total = folder_size(args.outdir)
    print(f"fixtures folder: {total} bytes")
    if total >= SIZE_LIMIT:
        sys.exit(f"fixtures exceed {SIZE_LIMIT} bytes")


if __name__ == "__main__":
    main()
