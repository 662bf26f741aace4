"""GGUF for RWKV-7 (llama.cpp's "rwkv7" architecture, FORMATS.md section 3), written and read with numpy only.

Why it exists: the C++ GGUF reader and block kernels are tested against this independent implementation. It
writes checkpoints with RWKV-LM names as GGUF (llama.cpp's tensor names, ggml dimension order, fused token-shift
mixes, LoRA factors stored [out, in], layer 0's value LoRA replaced by copies of a0/a1/a2) with any mix of the
types F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (blocks quantized as ggml's reference quantizers do) and Q4_K,
Q5_K, Q6_K (valid blocks from a plain min/max search, not ggml's optimizing quantizer), and reads such a file back
as RWKV-LM names in float64, dequantizing the blocks as ggml's formulas say, for rwkv7_ref.py.
"""
import struct

import numpy as np

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 8, 9
GGML_TYPE = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q5_0": 6, "q5_1": 7, "q8_0": 8, "q4_k": 12, "q5_k": 13,
             "q6_k": 14, "bf16": 30}
TYPE_NAME = {v: k for k, v in GGML_TYPE.items()}
BLOCK_BYTES = {"q8_0": 34, "q4_0": 18, "q4_1": 20, "q5_0": 22, "q5_1": 24, "q4_k": 144, "q5_k": 176, "q6_k": 210}
BLOCK_ELEMENTS = {k: 256 if k.endswith("_k") else 32 for k in BLOCK_BYTES}
ALIGN = 32
FILE_TYPE = {"f32": 0, "f16": 1, "bf16": 32}  # llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_BF16
MIX = "rwkvag"
LORA = ["w1", "w2", "a1", "a2", "v1", "v2", "g1", "g2"]
MATRICES = {"att.receptance.weight": "time_mix_receptance", "att.key.weight": "time_mix_key",
            "att.value.weight": "time_mix_value", "att.output.weight": "time_mix_output",
            "ffn.key.weight": "channel_mix_key", "ffn.value.weight": "channel_mix_value"}
NORMS = {"ln1": "attn_norm", "ln2": "attn_norm_2", "att.ln_x": "time_mix_ln"}


# ---------------------------------------------------------------------------- encoding
def bf16_bits(a):
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def f16(v):
    return np.asarray(v, dtype=np.float64).astype(np.float16)


def quantize_k(a, kind):
    """Q4_K / Q5_K / Q6_K blocks of 256: scales from each part's range (valid, not optimal)."""
    x = np.ascontiguousarray(a, dtype=np.float32).reshape(-1, 256).astype(np.float64)
    n = x.shape[0]
    if kind == "q6_k":
        g = x.reshape(n, 16, 16)
        s = np.abs(g).max(axis=2) / 31.0
        d = f16(s.max(axis=1) / 127.0).astype(np.float64)
        sc = np.clip(np.round(np.divide(s, d[:, None], out=np.zeros_like(s), where=d[:, None] != 0)), -128, 127)
        step = d[:, None] * sc
        q = np.clip(np.round(np.divide(g, step[:, :, None], out=np.zeros_like(g), where=step[:, :, None] != 0)), -32, 31)
        q = (q.astype(np.int64) + 32).reshape(n, 256)
        ql, qh = np.zeros((n, 128), np.uint8), np.zeros((n, 64), np.uint8)
        for half in range(2):
            for grp in range(4):
                part = q[:, 128 * half + 32 * grp: 128 * half + 32 * grp + 32]
                lo = ql[:, 64 * half + 32 * (grp % 2): 64 * half + 32 * (grp % 2) + 32]
                lo |= ((part & 15) << (grp // 2 * 4)).astype(np.uint8)
                qh[:, 32 * half: 32 * half + 32] |= (((part >> 4) & 3) << (2 * grp)).astype(np.uint8)
        return np.concatenate([ql, qh, sc.astype(np.int8).view(np.uint8), f16(d).view(np.uint8).reshape(n, 2)], axis=1).tobytes()
    levels = 15 if kind == "q4_k" else 31
    p = x.reshape(n, 8, 32)
    lo = np.minimum(p.min(axis=2), 0.0)
    scale = (p.max(axis=2) - lo) / levels
    d = f16(scale.max(axis=1) / 63.0).astype(np.float64)
    dmin = f16((-lo).max(axis=1) / 63.0).astype(np.float64)
    sc = np.clip(np.ceil(np.divide(scale, d[:, None], out=np.zeros_like(scale), where=d[:, None] != 0)), 0, 63).astype(np.int64)
    m = np.clip(np.ceil(np.divide(-lo, dmin[:, None], out=np.zeros_like(lo), where=dmin[:, None] != 0)), 0, 63).astype(np.int64)
    step, base = d[:, None] * sc, -(dmin[:, None] * m)
    q = np.clip(np.round(np.divide(p - base[:, :, None], step[:, :, None], out=np.zeros_like(p), where=step[:, :, None] != 0)), 0, levels)
    q = q.astype(np.int64)
    packed = np.zeros((n, 12), np.int64)
    packed[:, 0:4] = (sc[:, 0:4] & 63) | ((sc[:, 4:8] >> 4) << 6)
    packed[:, 4:8] = (m[:, 0:4] & 63) | ((m[:, 4:8] >> 4) << 6)
    packed[:, 8:12] = (sc[:, 4:8] & 15) | ((m[:, 4:8] & 15) << 4)
    qs = np.zeros((n, 128), np.int64)
    for part in range(8):
        qs[:, 32 * (part // 2): 32 * (part // 2) + 32] |= (q[:, part] & 15) << (part % 2 * 4)
    parts = [f16(d).view(np.uint8).reshape(n, 2), f16(dmin).view(np.uint8).reshape(n, 2), packed.astype(np.uint8)]
    if kind == "q5_k":
        qh = np.zeros((n, 32), np.int64)
        for part in range(8):
            qh |= ((q[:, part] >> 4) & 1) << part
        parts.append(qh.astype(np.uint8))
    parts.append(qs.astype(np.uint8))
    return np.concatenate(parts, axis=1).tobytes()


def dequantize_k(b, kind):
    """ggml's dequantize_row_q4_K / q5_K / q6_K, in float64."""
    n = b.shape[0]
    out = np.zeros((n, 256))
    if kind == "q6_k":
        ql, qh, sc = b[:, :128].astype(np.int64), b[:, 128:192].astype(np.int64), b[:, 192:208].view(np.int8).astype(np.float64)
        d = b[:, 208:210].copy().view(np.float16).astype(np.float64)
        for half in range(2):
            for l in range(32):
                h = qh[:, 32 * half + l]
                q = [(ql[:, 64 * half + l] & 15) | ((h & 3) << 4), (ql[:, 64 * half + l + 32] & 15) | (((h >> 2) & 3) << 4),
                     (ql[:, 64 * half + l] >> 4) | (((h >> 4) & 3) << 4), (ql[:, 64 * half + l + 32] >> 4) | (((h >> 6) & 3) << 4)]
                for grp in range(4):
                    out[:, 128 * half + 32 * grp + l] = d[:, 0] * sc[:, 8 * half + l // 16 + 2 * grp] * (q[grp] - 32)
        return out.reshape(-1)
    d = b[:, 0:2].copy().view(np.float16).astype(np.float64)[:, 0]
    dmin = b[:, 2:4].copy().view(np.float16).astype(np.float64)[:, 0]
    s = b[:, 4:16].astype(np.int64)
    qh = b[:, 16:48].astype(np.int64) if kind == "q5_k" else None
    qs = b[:, 48:].astype(np.int64) if kind == "q5_k" else b[:, 16:].astype(np.int64)
    for part in range(8):
        if part < 4:
            sc, m = s[:, part] & 63, s[:, part + 4] & 63
        else:
            sc = (s[:, part + 4] & 15) | ((s[:, part - 4] >> 6) << 4)
            m = (s[:, part + 4] >> 4) | ((s[:, part] >> 6) << 4)
        q = (qs[:, 32 * (part // 2): 32 * (part // 2) + 32] >> (part % 2 * 4)) & 15
        if qh is not None:
            q = q + ((qh >> part) & 1) * 16
        out[:, 32 * part: 32 * part + 32] = (d * sc)[:, None] * q - (dmin * m)[:, None]
    return out.reshape(-1)


def quantize(a, kind):
    """ggml's reference block quantizers (ggml-quants.c) over rows of 32-element blocks; K-quants: quantize_k."""
    if kind.endswith("_k"):
        return quantize_k(a, kind)
    x = np.ascontiguousarray(a, dtype=np.float32).reshape(-1, 32).astype(np.float64)
    n = x.shape[0]
    if kind == "q8_0":
        d = np.abs(x).max(axis=1) / 127.0
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
        q = np.round(x * inv[:, None]).astype(np.int8)
        out = np.zeros((n, 34), np.uint8)
        out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(n, 2)
        out[:, 2:] = q.view(np.uint8)
        return out.tobytes()
    symmetric = kind.endswith("_0")
    levels = 16 if kind.startswith("q4") else 32
    if symmetric:
        peak = x[np.arange(n), np.abs(x).argmax(axis=1)]  # the signed value of largest magnitude
        d = peak / -(levels // 2)
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
        q = np.minimum(levels - 1, np.trunc(x * inv[:, None] + levels // 2 + 0.5)).astype(np.int64)
        head = [d]
    else:
        lo, hi = x.min(axis=1), x.max(axis=1)
        d = (hi - lo) / (levels - 1)
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
        q = np.minimum(levels - 1, np.trunc((x - lo[:, None]) * inv[:, None] + 0.5)).astype(np.int64)
        head = [d, lo]
    parts = [h.astype(np.float16).view(np.uint8).reshape(n, 2) for h in head]
    if levels == 32:
        bits = ((q >> 4) & 1).astype(np.uint64)
        qh = (bits << np.arange(32, dtype=np.uint64)).sum(axis=1).astype(np.uint32)
        parts.append(qh.view(np.uint8).reshape(n, 4))
    nib = (q & 15).astype(np.uint8)
    parts.append(nib[:, :16] | (nib[:, 16:] << 4))
    return np.concatenate(parts, axis=1).tobytes()


def dequantize(raw, kind, count):
    """Blocks back to float64 weights: q*d, or q*d + m."""
    b = np.frombuffer(raw, np.uint8).reshape(count // BLOCK_ELEMENTS[kind], BLOCK_BYTES[kind])
    if kind.endswith("_k"):
        return dequantize_k(b, kind)
    d = b[:, 0:2].copy().view(np.float16).astype(np.float64)
    if kind == "q8_0":
        return (b[:, 2:].view(np.int8).astype(np.float64) * d).reshape(-1)
    m = b[:, 2:4].copy().view(np.float16).astype(np.float64) if kind.endswith("_1") else None
    qs = b[:, -16:]
    q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int64)
    if kind.startswith("q5"):
        start = 4 if m is not None else 2
        qh = b[:, start:start + 4].copy().view(np.uint32).astype(np.int64)
        q |= ((qh >> np.arange(32)) & 1) << 4
    if m is None:
        return ((q - (8 if kind == "q4_0" else 16)) * d).reshape(-1)
    return (q * d + m).reshape(-1)


def encode(a, kind):
    if kind == "f32":
        return np.ascontiguousarray(a, dtype="<f4").tobytes()
    if kind == "f16":
        return np.ascontiguousarray(a, dtype="<f2").tobytes()
    if kind == "bf16":
        return bf16_bits(a).tobytes()
    return quantize(a, kind)


# ---------------------------------------------------------------------------- writing
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


def gguf_tensors(sd, matrix_type, types=None):
    """[(name, float32 array in PyTorch order, type)] in llama.cpp's names; `types` maps an RWKV-LM suffix
    (e.g. "att.key.weight", "head.weight", "emb.weight", "att.a1") to a type other than matrix_type, and
    "vectors" to the type of the norms, mixes and other 1-D tensors (f32 unless given)."""
    types = types or {}
    pick = lambda suffix, default: types.get(suffix, default)  # noqa: E731
    f = lambda v: np.asarray(v, dtype=np.float32)  # noqa: E731
    vec = types.get("vectors", "f32")
    L = 0
    while f"blocks.{L}.ln1.weight" in sd:
        L += 1
    out = [("token_embd.weight", f(sd["emb.weight"]), pick("emb.weight", matrix_type)),
           ("token_embd_norm.weight", f(sd["blocks.0.ln0.weight"]), vec),
           ("token_embd_norm.bias", f(sd["blocks.0.ln0.bias"]), vec)]
    for i in range(L):
        p, b = f"blocks.{i}.", f"blk.{i}."
        att = lambda n: f(sd[p + "att." + n])  # noqa: E731
        for ours, theirs in NORMS.items():
            out += [(b + theirs + ".weight", f(sd[p + ours + ".weight"]), vec),
                    (b + theirs + ".bias", f(sd[p + ours + ".bias"]), vec)]
        out.append((b + "time_mix_lerp_fused.weight", np.stack([att("x_" + m).reshape(1, 1, -1) for m in MIX]), vec))
        for n in ["w0", "a0", "k_k", "k_a", "r_k"]:
            out.append((b + "time_mix_" + n + ".weight", att(n).reshape(-1), vec))
        out.append((b + "time_mix_v0.weight", att("a0" if i == 0 else "v0").reshape(-1), vec))
        for n in LORA:
            source = "a" + n[1] if i == 0 and n[0] == "v" else n  # layer 0: copies of a1/a2
            default = "f32" if n[0] == "w" else matrix_type     # the converter keeps w1/w2 in fp32
            kind = pick("att." + n, default)
            lora = np.ascontiguousarray(att(source).T)           # RWKV-LM [in, out] -> [out, in]
            if kind in BLOCK_BYTES and lora.shape[1] % BLOCK_ELEMENTS[kind]:
                kind = "f32"
            out.append((b + "time_mix_" + n + ".weight", lora, kind))
        for ours, theirs in MATRICES.items():
            out.append((b + theirs + ".weight", f(sd[p + ours]), pick(ours, matrix_type)))
        out.append((b + "channel_mix_lerp_k.weight", f(sd[p + "ffn.x_k"]).reshape(-1), vec))
    out += [("output_norm.weight", f(sd["ln_out.weight"]), vec), ("output_norm.bias", f(sd["ln_out.bias"]), vec),
            ("output.weight", f(sd["head.weight"]), pick("head.weight", matrix_type))]
    return L, out


def write_gguf(path, sd, matrix_type, types=None, tokens=None, name="rwkv7"):
    """Writes sd (RWKV-LM names, x070) as GGUF v3; tokens = (list of str, list of int types) or None."""
    L, tensors = gguf_tensors(sd, matrix_type, types)
    V, C = np.shape(sd["emb.weight"])
    H, N = np.shape(sd["blocks.0.att.r_k"])
    rank = lambda n: np.shape(sd["blocks.0.att." + n])[1]  # noqa: E731  [C, D]
    meta = [
        kv("general.architecture", GGUF_STRING, "rwkv7"),
        kv("general.name", GGUF_STRING, name),
    ] + ([kv("general.file_type", GGUF_UINT32, FILE_TYPE[matrix_type])] if matrix_type in FILE_TYPE else []) + [
        kv("rwkv7.context_length", GGUF_UINT32, 1048576),
        kv("rwkv7.embedding_length", GGUF_UINT32, C),
        kv("rwkv7.block_count", GGUF_UINT32, L),
        kv("rwkv7.feed_forward_length", GGUF_UINT32, np.shape(sd["blocks.0.ffn.key.weight"])[0]),
        kv("rwkv7.attention.layer_norm_epsilon", GGUF_FLOAT32, 1e-5),
        kv("rwkv7.attention.head_count", GGUF_UINT32, 0),
        kv("rwkv7.wkv.head_size", GGUF_UINT32, N),
        kv("rwkv7.attention.decay_lora_rank", GGUF_UINT32, rank("w1")),
        kv("rwkv7.attention.iclr_lora_rank", GGUF_UINT32, rank("a1")),
        kv("rwkv7.attention.value_residual_mix_lora_rank", GGUF_UINT32, rank("v1")),
        kv("rwkv7.attention.gate_lora_rank", GGUF_UINT32, rank("g1")),
    ]
    if tokens:
        meta += [kv("tokenizer.ggml.model", GGUF_STRING, "rwkv"),
                 kv("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, tokens[0])),
                 kv("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, tokens[1])),
                 kv("tokenizer.ggml.eot_token_id", GGUF_UINT32, 261)]
    assert H * N == C
    infos, blobs, offset = [], [], 0
    for tname, t, kind in tensors:
        data = encode(t, kind)
        ne = list(reversed(t.shape))
        infos.append(gguf_string(tname) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
                     + struct.pack("<IQ", GGML_TYPE[kind], offset))
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    with open(path, "wb") as out:
        out.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)))
        for m in meta:
            out.write(m)
        for info in infos:
            out.write(info)
        out.write(b"\0" * ((-out.tell()) % ALIGN))
        for blob in blobs:
            out.write(blob)
    return L, tensors


# ---------------------------------------------------------------------------- reading
class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("Q")
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s.decode("utf-8", "replace")

    def value(self, vtype):
        scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "B", 10: "Q", 11: "q", 12: "d"}
        if vtype in scalar:
            return self.take(scalar[vtype])
        if vtype == GGUF_STRING:
            return self.string()
        assert vtype == GGUF_ARRAY
        elem, count = self.take("I"), self.take("Q")
        return [self.value(elem) for _ in range(count)]


def read_gguf(path):
    """(metadata dict, {name: float64 array in PyTorch order})."""
    with open(path, "rb") as fh:
        data = fh.read()
    r = _Reader(data)
    assert data[:4] == b"GGUF"
    r.pos = 4
    _version, n_tensors, n_kv = r.take("I"), r.take("Q"), r.take("Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = r.take("I")
        ne = [r.take("Q") for _ in range(dims)]
        kind, offset = TYPE_NAME[r.take("I")], r.take("Q")
        infos.append((name, ne, kind, offset))
    align = meta.get("general.alignment", ALIGN)
    start = (r.pos + align - 1) // align * align
    tensors = {}
    for name, ne, kind, offset in infos:
        count = int(np.prod(ne))
        shape = tuple(reversed(ne))
        at = start + offset
        if kind in BLOCK_BYTES:
            raw = data[at:at + count // BLOCK_ELEMENTS[kind] * BLOCK_BYTES[kind]]
            values = dequantize(raw, kind, count)
        elif kind == "bf16":
            bits = np.frombuffer(data, np.uint16, count, at).astype(np.uint32) << 16
            values = bits.view(np.float32).astype(np.float64)
        else:
            values = np.frombuffer(data, "<f4" if kind == "f32" else "<f2", count, at).astype(np.float64)
        tensors[name] = values.reshape(shape)
    return meta, tensors


def read_gguf_rwkvlm(path):
    """The file's weights under RWKV-LM names and layouts (float64), for rwkv7_ref.py."""
    meta, t = read_gguf(path)
    N = meta["rwkv7.wkv.head_size"]
    sd = {"emb.weight": t["token_embd.weight"], "blocks.0.ln0.weight": t["token_embd_norm.weight"],
          "blocks.0.ln0.bias": t["token_embd_norm.bias"], "ln_out.weight": t["output_norm.weight"],
          "ln_out.bias": t["output_norm.bias"], "head.weight": t["output.weight"]}
    for i in range(meta["rwkv7.block_count"]):
        p, b = f"blocks.{i}.", f"blk.{i}."
        for ours, theirs in NORMS.items():
            sd[p + ours + ".weight"], sd[p + ours + ".bias"] = t[b + theirs + ".weight"], t[b + theirs + ".bias"]
        fused = t[b + "time_mix_lerp_fused.weight"].reshape(6, -1)
        for k, m in enumerate(MIX):
            sd[p + "att.x_" + m] = fused[k]
        for n in ["w0", "a0", "v0", "k_k", "k_a"]:
            sd[p + "att." + n] = t[b + "time_mix_" + n + ".weight"]
        sd[p + "att.r_k"] = t[b + "time_mix_r_k.weight"].reshape(-1, N)
        for n in LORA:
            sd[p + "att." + n] = t[b + "time_mix_" + n + ".weight"].T
        for ours, theirs in MATRICES.items():
            sd[p + ours] = t[b + theirs + ".weight"]
        sd[p + "ffn.x_k"] = t[b + "channel_mix_lerp_k.weight"]
    return sd
