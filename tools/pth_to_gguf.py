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
import struct

import numpy as np
import torch

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 8, 9
GGML_TYPE = {"f32": 0, "f16": 1, "bf16": 30}
FILE_TYPE = {"f32": 0, "f16": 1, "bf16": 32}  # llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_BF16
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_UNUSED = 1, 3, 5
ALIGN = 32


def gguf_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == GGUF_UINT32:
        return out + struct.pack("<I", value)
    if vtype == GGUF_FLOAT32:
        return out + struct.pack("<f", value)
    if vtype == GGUF_STRING:
        return out + gguf_string(value)
    elem, items = value
    out += struct.pack("<IQ", elem, len(items))
    if elem == GGUF_STRING:
        return out + b"".join(gguf_string(x) for x in items)
    return out + np.asarray(items, dtype="<i4").tobytes()


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


def gguf_tensors(sd, outtype):
    """(name, tensor in PyTorch order, dtype) in llama.cpp's naming."""
    L = 0
    while f"blocks.{L}.ln1.weight" in sd:
        L += 1
    out = [("token_embd.weight", sd["emb.weight"], outtype),
           ("token_embd_norm.weight", sd["blocks.0.ln0.weight"], "f32"),
           ("token_embd_norm.bias", sd["blocks.0.ln0.bias"], "f32")]
    for i in range(L):
        p, b = f"blocks.{i}.", f"blk.{i}."
        att = lambda n: sd[p + "att." + n]  # noqa: E731
        lora = lambda n: att(n).t().contiguous()  # noqa: E731  stored transposed in GGUF
        v = "a" if i == 0 else "v"  # layer 0 has no value residual; llama.cpp wants copies of a0/a1/a2
        out += [
            (b + "attn_norm.weight", sd[p + "ln1.weight"], "f32"), (b + "attn_norm.bias", sd[p + "ln1.bias"], "f32"),
            (b + "attn_norm_2.weight", sd[p + "ln2.weight"], "f32"), (b + "attn_norm_2.bias", sd[p + "ln2.bias"], "f32"),
            (b + "time_mix_lerp_fused.weight", torch.stack([att("x_" + m).reshape(1, 1, -1) for m in "rwkvag"]), "f32"),
            (b + "time_mix_w0.weight", att("w0").flatten(), "f32"),
            (b + "time_mix_w1.weight", lora("w1"), "f32"), (b + "time_mix_w2.weight", lora("w2"), "f32"),
            (b + "time_mix_a0.weight", att("a0").flatten(), "f32"),
            (b + "time_mix_a1.weight", lora("a1"), outtype), (b + "time_mix_a2.weight", lora("a2"), outtype),
            (b + "time_mix_v0.weight", att(v + "0").flatten(), "f32"),
            (b + "time_mix_v1.weight", lora(v + "1"), outtype), (b + "time_mix_v2.weight", lora(v + "2"), outtype),
            (b + "time_mix_g1.weight", lora("g1"), outtype), (b + "time_mix_g2.weight", lora("g2"), outtype),
            (b + "time_mix_k_k.weight", att("k_k").flatten(), "f32"),
            (b + "time_mix_k_a.weight", att("k_a").flatten(), "f32"),
            (b + "time_mix_r_k.weight", att("r_k").flatten(), "f32"),
            (b + "time_mix_receptance.weight", att("receptance.weight"), outtype),
            (b + "time_mix_key.weight", att("key.weight"), outtype),
            (b + "time_mix_value.weight", att("value.weight"), outtype),
            (b + "time_mix_output.weight", att("output.weight"), outtype),
            (b + "time_mix_ln.weight", att("ln_x.weight"), "f32"), (b + "time_mix_ln.bias", att("ln_x.bias"), "f32"),
            (b + "channel_mix_lerp_k.weight", sd[p + "ffn.x_k"].flatten(), "f32"),
            (b + "channel_mix_key.weight", sd[p + "ffn.key.weight"], outtype),
            (b + "channel_mix_value.weight", sd[p + "ffn.value.weight"], outtype),
        ]
    out += [("output_norm.weight", sd["ln_out.weight"], "f32"), ("output_norm.bias", sd["ln_out.bias"], "f32"),
            ("output.weight", sd["head.weight"], outtype)]
    return L, out


def tensor_bytes(t, dtype):
    if dtype == "bf16":
        return t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
    return t.to(torch.float16 if dtype == "f16" else torch.float32).contiguous().numpy().tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="RWKV-LM x070 .pth")
    ap.add_argument("--vocab", required=True, help="rwkv_vocab_v20230424.txt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--outtype", choices=sorted(GGML_TYPE), default="bf16", help="type of the large matrices")
    a = ap.parse_args()

    sd = torch.load(a.model, map_location="cpu", weights_only=True)  # tensors only: the pickle runs no code
    L, tensors = gguf_tensors(sd, a.outtype)
    V, C = sd["emb.weight"].shape
    H, N = sd["blocks.0.att.r_k"].shape
    rank = lambda n: sd["blocks.0.att." + n].shape[1]  # noqa: E731  [C, D]
    tokens, types = world_tokens(a.vocab, V)
    meta = [
        kv("general.architecture", GGUF_STRING, "rwkv7"),
        kv("general.name", GGUF_STRING, a.model.rsplit("/", 1)[-1]),
        kv("general.file_type", GGUF_UINT32, FILE_TYPE[a.outtype]),
        kv("rwkv7.context_length", GGUF_UINT32, 1048576),
        kv("rwkv7.embedding_length", GGUF_UINT32, C),
        kv("rwkv7.block_count", GGUF_UINT32, L),
        kv("rwkv7.feed_forward_length", GGUF_UINT32, sd["blocks.0.ffn.key.weight"].shape[0]),
        kv("rwkv7.attention.layer_norm_epsilon", GGUF_FLOAT32, 1e-5),
        kv("rwkv7.attention.head_count", GGUF_UINT32, 0),
        kv("rwkv7.wkv.head_size", GGUF_UINT32, N),
        kv("rwkv7.attention.decay_lora_rank", GGUF_UINT32, rank("w1")),
        kv("rwkv7.attention.iclr_lora_rank", GGUF_UINT32, rank("a1")),
        kv("rwkv7.attention.value_residual_mix_lora_rank", GGUF_UINT32, rank("v1")),
        kv("rwkv7.attention.gate_lora_rank", GGUF_UINT32, rank("g1")),
        kv("tokenizer.ggml.model", GGUF_STRING, "rwkv"),
        kv("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens)),
        kv("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        kv("tokenizer.ggml.eot_token_id", GGUF_UINT32, 261),
    ]
    assert H * N == C
    infos, blobs, offset = [], [], 0
    for name, t, dtype in tensors:
        data = tensor_bytes(t, dtype)
        ne = list(reversed(t.shape))
        infos.append(gguf_string(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
                     + struct.pack("<IQ", GGML_TYPE[dtype], offset))
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    with open(a.out, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)))
        for m in meta:
            f.write(m)
        for info in infos:
            f.write(info)
        f.write(b"\0" * ((-f.tell()) % ALIGN))
        for blob in blobs:
            f.write(blob)
    print(f"{a.out}: {len(tensors)} tensors, {L} layers, width {C}, vocab {V}, large matrices {a.outtype}")


if __name__ == "__main__":
    main()
