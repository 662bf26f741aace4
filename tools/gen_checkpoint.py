#!/usr/bin/python3
"""Write a small random RWKV-7 (x070) checkpoint, deterministic for a --seed.

Why it exists: the tests need real checkpoint files of every layout the C++
loader supports (RWKV-LM .pth / .safetensors, fla/HF safetensors with
config.json, old fused attn.x_x; bf16/fp16/fp32) without shipping real model
weights.  Random magnitudes are chosen so the model is non-degenerate: logits
have a healthy spread and the recurrent state evolves without blowing up.

Examples:
    gen_checkpoint.py --out m.pth --layers 2 --width 64 --head-size 32
    gen_checkpoint.py --out fla_dir --format safetensors --naming fla --fused-xx
    gen_checkpoint.py --shape seed000 --out seed000.pth     # ~380 MB benchmark model
"""
import argparse
import json
import os
import struct

import numpy as np

MIX = ["r", "w", "k", "v", "a", "g"]

PRESETS = {
    "seed000": dict(layers=12, width=768, head_size=64, ffn=2688, vocab=65536,
                    dw=64, da=64, dv=32, dg=128, dtype="bf16", format="pth", naming="rwkvlm"),
}


def make_weights(seed, L, C, N, F, V, dw, da, dv, dg, layer0_v=True):
    """Random float32 weights with RWKV-LM names and shapes (insertion-ordered dict)."""
    rng = np.random.default_rng(seed)
    H = C // N

    def normal(shape, std):
        return rng.normal(0.0, std, size=shape).astype(np.float32)

    def uniform(shape, lo, hi):
        return rng.uniform(lo, hi, size=shape).astype(np.float32)

    def matrix(rows, cols):            # nn.Linear-style [out, in], fan_in = cols
        return normal((rows, cols), 1.0 / np.sqrt(cols))

    def lora(fan_in, rows, cols):      # small LoRA factor
        return normal((rows, cols), 0.3 / np.sqrt(fan_in))

    def norm_pair(prefix, sd):
        sd[prefix + ".weight"] = 1.0 + normal((C,), 0.1)
        sd[prefix + ".bias"] = normal((C,), 0.1)

    vec = (1, 1, C)
    sd = {"emb.weight": normal((V, C), 1.0)}
    for i in range(L):
        b = f"blocks.{i}."
        if i == 0:
            norm_pair(b + "ln0", sd)
        norm_pair(b + "ln1", sd)
        norm_pair(b + "ln2", sd)
        for q in MIX:
            sd[b + "att.x_" + q] = uniform(vec, 0.0, 1.0)
        sd[b + "att.w0"] = uniform(vec, -2.0, 1.0)
        sd[b + "att.w1"] = lora(C, C, dw)
        sd[b + "att.w2"] = lora(dw, dw, C)
        sd[b + "att.a0"] = normal(vec, 0.5)
        sd[b + "att.a1"] = lora(C, C, da)
        sd[b + "att.a2"] = lora(da, da, C)
        v0, v1, v2 = normal(vec, 0.5), lora(C, C, dv), lora(dv, dv, C)
        if i > 0 or layer0_v:
            sd[b + "att.v0"], sd[b + "att.v1"], sd[b + "att.v2"] = v0, v1, v2
        sd[b + "att.g1"] = lora(C, C, dg)
        sd[b + "att.g2"] = lora(dg, dg, C)
        sd[b + "att.k_k"] = uniform(vec, 0.5, 1.5)
        sd[b + "att.k_a"] = uniform(vec, 0.5, 1.5)
        sd[b + "att.r_k"] = normal((H, N), 0.5)
        for m in ["receptance", "key", "value", "output"]:
            sd[b + f"att.{m}.weight"] = matrix(C, C)
        norm_pair(b + "att.ln_x", sd)
        sd[b + "ffn.x_k"] = uniform(vec, 0.0, 1.0)
        sd[b + "ffn.key.weight"] = matrix(F, C)
        sd[b + "ffn.value.weight"] = matrix(C, F)
    sd["ln_out.weight"] = 1.0 + normal((C,), 0.1)
    sd["ln_out.bias"] = normal((C,), 0.1)
    sd["head.weight"] = matrix(V, C)
    return sd


def to_fla(sd, L, fused_xx):
    """Rename RWKV-LM weights to fla/HF names and layouts (FORMATS 2.2)."""
    out = {"model.embeddings.weight": sd["emb.weight"]}
    for i in range(L):
        b, f = f"blocks.{i}.", f"model.layers.{i}."
        if i == 0:
            out[f + "pre_norm.weight"] = sd[b + "ln0.weight"]
            out[f + "pre_norm.bias"] = sd[b + "ln0.bias"]
        out[f + "attn_norm.weight"] = sd[b + "ln1.weight"]
        out[f + "attn_norm.bias"] = sd[b + "ln1.bias"]
        if fused_xx:
            out[f + "attn.x_x"] = np.stack([sd[b + "att.x_" + q].reshape(-1) for q in MIX])
        else:
            for q in MIX:
                out[f + "attn.x_" + q] = sd[b + "att.x_" + q]
        out[f + "attn.k_k"] = sd[b + "att.k_k"].reshape(-1)
        out[f + "attn.k_a"] = sd[b + "att.k_a"].reshape(-1)
        out[f + "attn.r_k"] = sd[b + "att.r_k"]
        for src, dst in [("receptance", "r_proj"), ("key", "k_proj"),
                         ("value", "v_proj"), ("output", "o_proj")]:
            out[f + f"attn.{dst}.weight"] = sd[b + f"att.{src}.weight"]
        for q in ["w", "a", "v", "g"]:
            if q == "v" and i == 0:
                continue  # fla never has layer-0 v_lora
            out[f + f"attn.{q}_lora.lora.0.weight"] = np.ascontiguousarray(sd[b + f"att.{q}1"].T)
            out[f + f"attn.{q}_lora.lora.2.weight"] = np.ascontiguousarray(sd[b + f"att.{q}2"].T)
            if q != "g":
                out[f + f"attn.{q}_lora.lora.2.bias"] = sd[b + f"att.{q}0"].reshape(-1)
        out[f + "attn.g_norm.weight"] = sd[b + "att.ln_x.weight"]
        out[f + "attn.g_norm.bias"] = sd[b + "att.ln_x.bias"]
        out[f + "ffn_norm.weight"] = sd[b + "ln2.weight"]
        out[f + "ffn_norm.bias"] = sd[b + "ln2.bias"]
        out[f + "ffn.x_k"] = sd[b + "ffn.x_k"].reshape(-1)
        out[f + "ffn.key.weight"] = sd[b + "ffn.key.weight"]
        out[f + "ffn.value.weight"] = sd[b + "ffn.value.weight"]
    out["model.norm.weight"] = sd["ln_out.weight"]
    out["model.norm.bias"] = sd["ln_out.bias"]
    out["lm_head.weight"] = sd["head.weight"]
    return out


def f32_to_bf16_bits(a):
    """float32 -> bf16 bit patterns (uint16), round to nearest even."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = u + 0x7FFF + ((u >> 16) & 1)
    return (u >> 16).astype(np.uint16)


def write_safetensors(path, tensors, dtype):
    """Tiny safetensors writer: 8-byte header length, JSON header, raw LE data."""
    st_dtype = {"fp32": "F32", "fp16": "F16", "bf16": "BF16"}[dtype]
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        if dtype == "fp32":
            raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        elif dtype == "fp16":
            raw = np.ascontiguousarray(arr, dtype="<f2").tobytes()
        else:
            raw = f32_to_bf16_bits(arr).astype("<u2").tobytes()
        header[name] = {"dtype": st_dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)  # pad so the data section is 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def write_pth(path, tensors, dtype):
    import torch
    tdt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    torch.save({k: torch.from_numpy(np.ascontiguousarray(v)).to(tdt).clone()
                for k, v in tensors.items()}, path)


def fla_config(a):
    return {"model_type": "rwkv7", "architectures": ["RWKV7ForCausalLM"],
            "hidden_size": a.width, "num_hidden_layers": a.layers, "head_dim": a.head_size,
            "num_heads": None, "intermediate_size": a.ffn, "hidden_act": "sqrelu",
            "decay_low_rank_dim": a.dw, "a_low_rank_dim": a.da, "v_low_rank_dim": a.dv,
            "gate_low_rank_dim": a.dg, "norm_eps": 1e-5, "norm_bias": True, "norm_first": True,
            "vocab_size": a.vocab, "tie_word_embeddings": False, "attn": None,
            "torch_dtype": {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}[a.dtype]}


def generate(a):
    """Build and write the checkpoint described by the parsed options `a`."""
    if a.width % a.head_size:
        raise SystemExit("--width must be a multiple of --head-size")
    sd = make_weights(a.seed, a.layers, a.width, a.head_size, a.ffn, a.vocab,
                      a.dw, a.da, a.dv, a.dg, layer0_v=(a.layer0_v == "present"))
    if a.naming == "fla":
        if a.format != "safetensors":
            raise SystemExit("fla naming requires --format safetensors")
        os.makedirs(a.out, exist_ok=True)
        write_safetensors(os.path.join(a.out, "model.safetensors"),
                          to_fla(sd, a.layers, a.fused_xx), a.dtype)
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump(fla_config(a), f, indent=2)
            f.write("\n")
    elif a.format == "rwkvcpp":
        import rwkv_cpp_io
        rwkv_cpp_io.write_rwkv_cpp(a.out, sd, a.dtype)
    elif a.format == "gguf":
        import gguf_io
        types = dict(item.split("=") for item in a.gguf_types.split(",")) if a.gguf_types else {}
        gguf_io.write_gguf(a.out, sd, a.dtype, types)
    else:
        if a.fused_xx:
            raise SystemExit("--fused-xx applies to fla naming only")
        (write_pth if a.format == "pth" else write_safetensors)(a.out, sd, a.dtype)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="file (rwkvlm) or directory (fla)")
    ap.add_argument("--shape", choices=sorted(PRESETS), help="preset; overrides shape/dtype/format")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["pth", "safetensors", "gguf", "rwkvcpp"], default="pth")
    ap.add_argument("--naming", choices=["rwkvlm", "fla"], default="rwkvlm")
    ap.add_argument("--dtype", choices=["bf16", "fp16", "fp32", "f32", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"],
                    default="bf16", help="gguf, rwkvcpp: the large matrices' type (f32, f16, bf16 [gguf] or a ggml block type)")
    ap.add_argument("--gguf-types", default="", help="gguf: per-tensor types, e.g. att.key.weight=q4_1,head.weight=q8_0")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--head-size", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=None, help="default 4*width")
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--dw", type=int, default=8)
    ap.add_argument("--da", type=int, default=8)
    ap.add_argument("--dv", type=int, default=8)
    ap.add_argument("--dg", type=int, default=16)
    ap.add_argument("--layer0-v", choices=["present", "absent"], default="present",
                    help="RWKV-LM naming only: store blocks.0.att.v0/v1/v2")
    ap.add_argument("--fused-xx", action="store_true", help="fla only: old fused attn.x_x [6,C]")
    a = ap.parse_args(argv)
    if a.shape:
        for k, v in PRESETS[a.shape].items():
            setattr(a, k, v)
    if a.ffn is None:
        a.ffn = 4 * a.width
    if a.naming == "fla":
        a.format = "safetensors"
    return a


if __name__ == "__main__":
    generate(parse_args())
