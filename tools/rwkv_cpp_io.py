"""rwkv.cpp model files (.bin, version 101) for RWKV-7, written and read with numpy only.

Why it exists: the C++ reader is tested against this independent implementation of rwkv.cpp's format
(docs/FILE_FORMAT.md and convert_pytorch_to_ggml.py of RWKV/rwkv.cpp at 4358e70): RWKV-LM names, the six
token-shift mixes concatenated into blocks.N.att.x_rwkvag [6, 1, C], LoRA factors transposed to [out, in], 2-D
matrices in the file's type except the LoRA factors, r_k, the embedding and the head (which rwkv.cpp's quantizer
leaves alone), and ggml blocks as gguf_io.py makes them. The reader gives RWKV-LM names back in float64.
"""
import struct

import numpy as np

import gguf_io

MAGIC = 0x67676D66
TYPE = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q5_0": 7, "q5_1": 8, "q8_0": 9, "q4_k": 13, "q5_k": 14, "q6_k": 15}
TYPE_NAME = {v: k for k, v in TYPE.items()}
LORA = (".w1", ".w2", ".a1", ".a2", ".v1", ".v2", ".g1", ".g2")
KEEP = ("emb.weight", "head.weight", "att.r_k") + LORA


def rwkv_cpp_tensors(sd):
    """(name, float32 array) in the converter's order: x_* concatenated where the first of them was."""
    out, seen = [], set()
    for k, v in sd.items():
        a = np.asarray(v, dtype=np.float32)
        if ".att.x_" in k:
            layer = k.split(".")[1]
            if layer not in seen:
                seen.add(layer)
                out.append((f"blocks.{layer}.att.x_rwkvag",
                            np.concatenate([np.asarray(sd[f"blocks.{layer}.att.x_{m}"], np.float32) for m in "rwkvag"], axis=0)))
            continue
        if k.endswith(LORA):
            a = np.ascontiguousarray(a.T)
        out.append((k, a))
    return out


def write_rwkv_cpp(path, sd, matrix_type):
    V, C = np.shape(sd["emb.weight"])
    L = 0
    while f"blocks.{L}.ln1.weight" in sd:
        L += 1
    with open(path, "wb") as f:
        f.write(struct.pack("<6I", MAGIC, 101, V, C, L, TYPE[matrix_type]))
        for name, a in rwkv_cpp_tensors(sd):
            kind = "f32"  # as converted to FP16 then quantized: other 2-D tensors but r_k in fp16
            if a.ndim == 2 and not name.endswith(".att.r_k"):
                kind = "f16" if name.endswith(KEEP) else matrix_type
            if kind in gguf_io.BLOCK_BYTES and a.shape[-1] % gguf_io.BLOCK_ELEMENTS[kind]:
                kind = "f32"
            key = name.encode()
            f.write(struct.pack("<3I", a.ndim, len(key), TYPE[kind]) + struct.pack(f"<{a.ndim}I", *reversed(a.shape)) + key)
            f.write(gguf_io.encode(a, kind))


def read_rwkv_cpp(path):
    """RWKV-LM names and layouts in float64."""
    with open(path, "rb") as f:
        data = f.read()
    magic, version, _V, _C, _L, _t = struct.unpack_from("<6I", data, 0)
    assert magic == MAGIC and version == 101
    pos, sd = 24, {}
    while pos < len(data):
        dims, length, t = struct.unpack_from("<3I", data, pos)
        ne = struct.unpack_from(f"<{dims}I", data, pos + 12)
        pos += 12 + 4 * dims
        name = data[pos:pos + length].decode()
        pos += length
        kind, shape, count = TYPE_NAME[t], tuple(reversed(ne)), int(np.prod(ne))
        if kind in gguf_io.BLOCK_BYTES:
            size = count // gguf_io.BLOCK_ELEMENTS[kind] * gguf_io.BLOCK_BYTES[kind]
            values = gguf_io.dequantize(data[pos:pos + size], kind, count)
        else:
            size = count * (4 if kind == "f32" else 2)
            values = np.frombuffer(data, "<f4" if kind == "f32" else "<f2", count, pos).astype(np.float64)
        pos += size
        a = values.reshape(shape)
        if name.endswith(".att.x_rwkvag"):
            for i, m in enumerate("rwkvag"):
                sd[name[:-len("rwkvag")] + m] = a[i].reshape(-1)
        elif name.endswith(LORA):
            sd[name] = a.T
        else:
            sd[name] = a
    return sd
