#!/usr/bin/python3
"""(Re)generate the libFuzzer seed corpora in fuzz/corpus/<harness>/.

Why it exists: each harness in fuzz/ starts from a few small, valid inputs of its format (plus a few that
are refused on purpose) so the fuzzer reaches the deep parts of a reader in seconds instead of hours.
Everything here is synthetic and deterministic: tiny random x070 models (width 8, 2 heads of 4, ffn 16,
vocab 16, LoRA ranks 2) as .pth and .safetensors, their data.pkl alone, hand-made zip archives, a synthetic
300-token World vocabulary (never the real third-party one), and saved states for the fixed ModelConfig of
fuzz/fuzz_state.cpp.  Each file stays under ~10 KB and each corpus under 100 KB.

Usage:  /usr/bin/python3 tools/make_fuzz_seeds.py [--outdir fuzz/corpus]
"""
import argparse
import io
import json
import os
import pickle
import shutil
import struct
import sys
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_checkpoint  # noqa: E402
import gen_prwkv_checkpoint  # noqa: E402
import gguf_io  # noqa: E402
import rwkv_cpp_io  # noqa: E402

FILE_LIMIT = 12 * 1024
CORPUS_LIMIT = 100 * 1024

# The tiny model shape; fuzz_state.cpp's ModelConfig uses the same width and heads.
C, N, F, V, RANK = 8, 4, 16, 16, 2

# Must match kConfig in fuzz/fuzz_state.cpp.
STATE_LAYERS, STATE_EMBD, STATE_HEADS, STATE_HEAD_SIZE = 2, 8, 2, 4
STATE_FINGERPRINT = 0x5EED_F022_0123_4567


def tiny_weights(layers, seed, layer0_v=False):
    return gen_checkpoint.make_weights(seed, layers, C, N, F, V, RANK, RANK, RANK, RANK, layer0_v=layer0_v)


def tiny_prwkv_weights(seed, bias, rk_norm):
    """A one-layer PRWKV cxa076 model: 2 heads of N sharing one key/value head."""
    a = gen_prwkv_checkpoint.parse_args(["--out", "-", "--layers", "1", "--width", str(C), "--heads", "2", "--kv-heads", "1",
                                         "--head-size", str(N), "--ffn", str(F), "--vocab", str(V), "--dw", str(RANK),
                                         "--da", str(RANK), "--dv", str(RANK), "--dg", str(RANK), "--seed", str(seed)]
                                        + (["--bias"] if bias else []) + (["--rk-norm", "--tied-head"] if rk_norm else []))
    return OrderedDict(gen_prwkv_checkpoint.tensors(a))


def torch_dtype(name):
    import torch
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


def pth_bytes(obj):
    """torch.save into memory: the archive folder is then always 'archive/'."""
    import torch
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def shared_storage_state(sd, dtype):
    """All tensors as views of one flat storage: torch.save then writes one data entry and the archive stays
    small (one zip entry per tensor costs ~200 bytes of headers)."""
    import torch
    total = sum(int(np.prod(v.shape)) for v in sd.values())
    flat = torch.empty(total, dtype=torch_dtype(dtype))
    out, off = {}, 0
    for name, arr in sd.items():
        n = int(np.prod(arr.shape))
        flat[off:off + n] = torch.from_numpy(np.ascontiguousarray(arr).reshape(-1)).to(flat.dtype)
        out[name] = flat[off:off + n].view(*arr.shape)
        off += n
    return out


def misc_pth():
    """Not a model: the reader's side paths (OrderedDict + _metadata BUILD, nn.Parameter, an int64 tensor,
    a non-tensor value, a storage offset, separate storages of three dtypes)."""
    import torch
    g = torch.Generator().manual_seed(7)
    module = torch.nn.Linear(3, 2)
    with torch.no_grad():
        module.weight.copy_(torch.randn(2, 3, generator=g))
        module.bias.copy_(torch.randn(2, generator=g))
    sd = module.state_dict()  # OrderedDict with _metadata
    sd["half"] = torch.randn(4, generator=g).half()
    sd["bf"] = torch.randn(2, 2, generator=g).bfloat16()
    sd["steps"] = torch.arange(3, dtype=torch.int64)
    sd["param"] = torch.nn.Parameter(torch.randn(3, generator=g))
    sd["slice"] = torch.randn(10, generator=g)[4:7]
    sd["epoch"] = 3
    return pth_bytes(sd)


def misc_noncontiguous_pth():
    """Refused: a transposed (non-contiguous) tensor."""
    import torch
    return pth_bytes({"t": torch.arange(6, dtype=torch.float32).view(2, 3).t()})


def safetensors_bytes(tensors, dtype, extra=None, metadata=None):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.safetensors")
        gen_checkpoint.write_safetensors(path, tensors, dtype)
        with open(path, "rb") as f:
            data = f.read()
    if extra is None and metadata is None:
        return data
    # Re-pack with an __metadata__ entry and/or extra raw tensors ({name: (dtype, shape, bytes)}).
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hlen])
    body = bytearray(data[8 + hlen:])
    for name, (st_dtype, shape, raw) in (extra or {}).items():
        header[name] = {"dtype": st_dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + bytes(body)


def config_json(layers, naming_fla=True, **override):
    cfg = {"model_type": "rwkv7", "hidden_size": C, "num_hidden_layers": layers, "head_dim": N,
           "intermediate_size": F, "vocab_size": V, "v_low_rank_dim": RANK, "norm_eps": 1e-5, "attn": None}
    cfg.update(override)
    return json.dumps(cfg, separators=(",", ":")).encode()


def with_config(config, st):
    """fuzz_safetensors input: u16 LE length of config.json, config.json, then the safetensors file."""
    return struct.pack("<H", len(config)) + config + st


# ---- zip ----------------------------------------------------------------------------------------------

def sharded_input(weight_map, a, b, extra_index=None):
    """fuzz_sharded input: u16 LE index length, model.safetensors.index.json, u32 LE length of shard a.safetensors,
    shard a, then shard b.safetensors."""
    index = {"metadata": {"total_size": len(a) + len(b)}, "weight_map": weight_map}
    index.update(extra_index or {})
    text = json.dumps(index).encode()
    return struct.pack("<H", len(text)) + text + struct.pack("<I", len(a)) + a + b


def gguf_bytes(weights, matrix_type, types=None, tokens=None):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.gguf")
        gguf_io.write_gguf(path, weights, matrix_type, types, tokens)
        with open(path, "rb") as f:
            return f.read()


def gguf_tokens_only(pieces, types):
    """A GGUF with a token list and one tensor: the tokenizer path without a model."""
    meta = [gguf_io.kv("general.architecture", gguf_io.GGUF_STRING, "rwkv7"),
            gguf_io.kv("tokenizer.ggml.model", gguf_io.GGUF_STRING, "rwkv"),
            gguf_io.kv("tokenizer.ggml.tokens", gguf_io.GGUF_ARRAY, (gguf_io.GGUF_STRING, pieces)),
            gguf_io.kv("tokenizer.ggml.token_type", gguf_io.GGUF_ARRAY, (gguf_io.GGUF_INT32, types))]
    info = gguf_io.gguf_string("token_embd.weight") + struct.pack("<I2QIQ", 2, 32, 1, 0, 0)
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(meta)) + b"".join(meta) + info
    out += b"\0" * ((-len(out)) % 32)
    return out + np.arange(32, dtype="<f4").tobytes()


def gguf_corpus():
    """GGUF seeds: block types need rows of 32, so these models are 32 wide (2 heads of 16, ffn 32)."""
    def weights(layers, seed):
        return gen_checkpoint.make_weights(seed, layers, 32, 16, 32, V, RANK, RANK, RANK, RANK)
    pieces = ["<s>"] + [repr(bytes([b]))[2:-1] for b in range(256)] + ["\\n\\n", "ab\\'"] + ["[PAD0]"]
    types = [3] + [1] * 258 + [5]
    return {
        "l1_q4_0.gguf": gguf_bytes(weights(1, 21), "q4_0", {"vectors": "f16"}),
        "l1_mixed.gguf": gguf_bytes(weights(1, 22), "q4_0", {"att.receptance.weight": "q8_0", "att.key.weight": "q5_1",
                                                             "att.value.weight": "q4_1", "ffn.value.weight": "q5_0",
                                                             "emb.weight": "bf16", "vectors": "f16"}),
        "tokens_only.gguf": gguf_tokens_only(pieces, types),
    }


def rwkv_cpp_bytes(weights, matrix_type):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.bin")
        rwkv_cpp_io.write_rwkv_cpp(path, weights, matrix_type)
        with open(path, "rb") as f:
            return f.read()


def rwkv_cpp_corpus():
    """rwkv.cpp seeds, 32 wide like the GGUF ones (block rows of 32)."""
    def weights(layers, seed):
        return gen_checkpoint.make_weights(seed, layers, 32, 16, 32, V, RANK, RANK, RANK, RANK)
    return {"l1_q4_0.bin": rwkv_cpp_bytes(weights(1, 31), "q4_0"),
            "l1_q5_1.bin": rwkv_cpp_bytes(weights(1, 32), "q5_1")}


def sharded_corpus(tensors, dtype):
    names = sorted(tensors)
    first, second = names[: len(names) // 2], names[len(names) // 2:]
    a = safetensors_bytes({n: tensors[n] for n in first}, dtype)
    b = safetensors_bytes({n: tensors[n] for n in second}, dtype)
    listed = {n: "a.safetensors" for n in first} | {n: "b.safetensors" for n in second}
    return {
        "two_shards.bin": sharded_input(listed, a, b),
        "misplaced.bin": sharded_input(listed | {first[0]: "b.safetensors"}, a, b),
        "unlisted.bin": sharded_input({n: s for n, s in listed.items() if n != second[-1]}, a, b),
        "escaping_name.bin": sharded_input(listed | {first[0]: "../a.safetensors"}, a, b),
        "absent_shard.bin": sharded_input(listed | {second[0]: "c.safetensors"}, a, b),
        "one_shard_twice.bin": sharded_input({n: "a.safetensors" for n in names}, a + b, a),
    }


def python_zip(entries, compression=zipfile.ZIP_STORED, comment=b""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
        z.comment = comment
    return buf.getvalue()


def zip64_by_hand(entries):
    """Stored entries whose central directory saturates sizes and offsets (0xffffffff) and carries them in a
    ZIP64 extra field, followed by a ZIP64 end record and locator: the paths torch uses for large files."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        nb = name.encode()
        local = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, 0, len(data), len(data), len(nb), 0)
        out += nb + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), local)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(nb), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += nb + extra
    dir_offset = len(out)
    out += central
    rec = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central), dir_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, rec, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


def zip_from_pth(pth):
    """data.pkl of a torch.save archive."""
    with zipfile.ZipFile(io.BytesIO(pth)) as z:
        name = next(n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
        return z.read(name)


# ---- World vocabulary -----------------------------------------------------------------------------------

MERGES = ["th", "he", "the", " the", "in", "ing", " in", "an", "and", " and", "er", "Hello", ", ", "world", " world",
          "\n\n", "\t", "  ", "'s", '"', "中", "中文", "é", "😀", "\u200b", "\r\n", "\\", "User", ":", "Assistant",
          " a", "re", "on", "es", "is", " is", "it", "at", "or", "en", "al", "to", " to"]
BYTE_MERGES = [b"\xe4\xb8", b"\xf0\x9f", b"\xff\xfe", b"\x00\x01"]


def vocab_lines():
    lines = []
    for b in range(256):  # ids 1..256: every single byte, as the real vocabulary holds them
        lit = repr(chr(b)) if b < 128 else repr(bytes([b]))
        lines.append((b + 1, lit, 1))
    tid = 257
    for s in MERGES:
        lines.append((tid, repr(s), len(s.encode("utf-8"))))
        tid += 1
    for bs in BYTE_MERGES:
        lines.append((tid, repr(bs), len(bs)))
        tid += 1
    return lines


def vocab_text(lines, eol="\n"):
    return "".join(f"{i} {lit} {n}{eol}" for i, lit, n in lines).encode("utf-8")


# ---- states ---------------------------------------------------------------------------------------------

QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_level(data):
    """GPT-2's printable spelling of bytes."""
    printable = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or b >= 174]
    other = [b for b in range(256) if b not in printable]
    table = {b: chr(b) for b in printable} | {b: chr(256 + i) for i, b in enumerate(other)}
    return "".join(table[b] for b in data)


def qwen_tokenizer_json(pair_merges=True):
    """A small tokenizer.json in the Qwen2 layout: every byte, a few merges, three special tokens."""
    merges = [(b" ", b"t"), (b"h", b"e"), (b" t", b"he"), (b"i", b"n"), (b" ", b"w"), (b"\xe4", b"\xb8"), (b"\n", b"\n"),
              (b"1", b"2"), (b"\xcc", b"\x81")]
    vocab = {byte_level(bytes([b])): b for b in range(256)}
    for a, b in merges:
        vocab.setdefault(byte_level(a + b), len(vocab))
    added = [{"id": len(vocab) + i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, c in enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])]
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    return json.dumps({
        "version": "1.0", "added_tokens": added, "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False}, bl]},
        "post_processor": bl, "decoder": bl,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab,
                  "merges": [[byte_level(a), byte_level(b)] if pair_merges else byte_level(a) + " " + byte_level(b)
                             for a, b in merges]}}, ensure_ascii=False).encode()


def fnv1a(data, h=14695981039346656037):
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def state_bytes(values, extra=b"", fingerprint=STATE_FINGERPRINT, dims=None):
    dims = dims or (STATE_LAYERS, STATE_EMBD, STATE_HEADS, STATE_HEAD_SIZE)
    out = bytearray(b"RWKV7ST\0")
    out += struct.pack("<IQ", 1, fingerprint)
    out += struct.pack("<4q", *dims)
    out += struct.pack("<Q", len(values)) + np.asarray(values, dtype="<f4").tobytes()
    out += struct.pack("<Q", len(extra)) + extra
    out += struct.pack("<Q", fnv1a(out))
    return bytes(out)


def state_floats():
    return STATE_LAYERS * (2 * STATE_EMBD + STATE_HEADS * STATE_HEAD_SIZE * STATE_HEAD_SIZE)


# ---- corpora --------------------------------------------------------------------------------------------

def build():
    rng = np.random.default_rng(2024)
    l1 = tiny_weights(1, seed=11)
    l2 = tiny_weights(2, seed=12)
    l1v = tiny_weights(1, seed=13, layer0_v=True)

    pth_l1_bf16 = pth_bytes(shared_storage_state(l1, "bf16"))
    pth_l2_fp16 = pth_bytes(shared_storage_state(l2, "fp16"))
    pth_l1_fp32 = pth_bytes(shared_storage_state(l1v, "fp32"))
    misc = misc_pth()
    noncontig = misc_noncontiguous_pth()

    st_l1_fp32 = safetensors_bytes(l1, "fp32")
    st_l2_bf16 = safetensors_bytes(l2, "bf16", extra={"step": ("I64", [1], struct.pack("<q", 1000))},
                                   metadata={"format": "pt"})
    fla_l1_fp16 = safetensors_bytes(gen_checkpoint.to_fla(l1, 1, False), "fp16")
    fla_l2_bf16 = safetensors_bytes(gen_checkpoint.to_fla(l2, 2, False), "bf16")
    fla_l2_fused = safetensors_bytes(gen_checkpoint.to_fla(l2, 2, True), "fp16")

    corpora = {}
    corpora["model"] = {
        "rwkvlm_l1_bf16.pth": pth_l1_bf16,
        "rwkvlm_l2_fp16.pth": pth_l2_fp16,
        "rwkvlm_l1_fp32_layer0v.pth": pth_l1_fp32,
        "rwkvlm_l1_fp32.safetensors": st_l1_fp32,
        "rwkvlm_l2_bf16_extra.safetensors": st_l2_bf16,
        "fla_l1_fp16.safetensors": fla_l1_fp16,
        "fla_l2_bf16.safetensors": fla_l2_bf16,
        "fla_l2_fused_fp16.safetensors": fla_l2_fused,
        "cxa076_l1_bias_bf16.pth": pth_bytes(shared_storage_state(tiny_prwkv_weights(14, True, False), "bf16")),
        "cxa076r_l1_tied_fp32.safetensors": safetensors_bytes(tiny_prwkv_weights(15, False, True), "fp32"),
    }
    corpora["pth"] = {
        "rwkvlm_l1_bf16.pth": pth_l1_bf16,
        "rwkvlm_l2_fp16.pth": pth_l2_fp16,
        "misc.pth": misc,
        "noncontiguous.pth": noncontig,
        "tiny.safetensors": safetensors_bytes({"x": np.arange(4, dtype=np.float32)}, "fp32"),
    }
    corpora["safetensors"] = {
        "rwkvlm_l1_fp32_noconfig.bin": with_config(b"", st_l1_fp32),
        "rwkvlm_l2_bf16_config.bin": with_config(config_json(2), st_l2_bf16),
        "fla_l1_fp16_config.bin": with_config(config_json(1), fla_l1_fp16),
        "fla_l2_fused_config.bin": with_config(config_json(2, head_dim=N, norm_eps=2e-5), fla_l2_fused),
        "config_mismatch.bin": with_config(config_json(1, hidden_size=16), fla_l1_fp16),
        "config_hybrid.bin": with_config(config_json(1, attn={"layers": [0]}), fla_l1_fp16),
    }
    corpora["sharded"] = sharded_corpus(l1, "fp32")
    corpora["gguf"] = gguf_corpus()
    corpora["rwkv_cpp"] = rwkv_cpp_corpus()
    corpora["model"]["gguf_l1_mixed.gguf"] = corpora["gguf"]["l1_mixed.gguf"]
    corpora["model"]["rwkv_cpp_l1_q4_0.bin"] = corpora["rwkv_cpp"]["l1_q4_0.bin"]
    corpora["zip"] = {
        "rwkvlm_l1_bf16.pth": pth_l1_bf16,
        "misc.pth": misc,
        "stored_comment.zip": python_zip([("a/data.pkl", b"\x80\x02}q\x00."), ("a/byteorder", b"little"),
                                          ("a/data/0", bytes(range(64)))], comment=b"a comment"),
        "deflated.zip": python_zip([("x.txt", b"hello hello hello hello"), ("empty", b"")], zipfile.ZIP_DEFLATED),
        "zip64.zip": zip64_by_hand([("archive/data.pkl", b"\x80\x02}."), ("archive/data/0", b"\x00" * 16)]),
        "empty.zip": python_zip([]),
    }
    corpora["pickle"] = {
        "rwkvlm_l1_bf16.pkl": zip_from_pth(pth_l1_bf16),
        "misc.pkl": zip_from_pth(misc),
    }
    shared = [1, 2]
    plain = {"a": 1, "b": [1, 2, (3, 4)], "c": "x" * 300, "d": None, "e": True, "f": 1.5, "g": b"bytes", "h": -5,
             "i": 2 ** 40, "j": 65535, "k": -2 ** 31, "l": (), "m": (1,), "n": (1, 2), "o": (1, 2, 3), "p": shared,
             "q": shared, "r": OrderedDict(), "s": False}
    for proto in (2, 3, 4, 5):
        # Protocol 2 spells bytes as a _codecs.encode call, which the reader refuses.
        value = {k: v for k, v in plain.items() if proto > 2 or not isinstance(v, bytes)}
        corpora["pickle"][f"plain_p{proto}.pkl"] = pickle.dumps(value, protocol=proto)

    lines = vocab_lines()
    shuffled = list(lines)
    np.random.default_rng(5).shuffle(shuffled)
    # Unused ids (3 past the single bytes) and blank lines: ids stay within the line count, as the parser requires.
    gappy = [(i if i <= 256 else i + 3, lit, n) for i, lit, n in shuffled]
    corpora["world_vocab"] = {
        "synthetic_300.txt": vocab_text(lines),
        "synthetic_crlf.txt": vocab_text(lines, "\r\n"),
        "synthetic_shuffled_gaps.txt": vocab_text(gappy[:150]) + b"\n\n\n\n" + vocab_text(gappy[150:]),
        "too_small.txt": vocab_text(lines[:20]),
    }

    corpora["bpe_tokenizer"] = {
        "tiny_pairs.json": qwen_tokenizer_json(True),
        "tiny_strings.json": qwen_tokenizer_json(False),
        "text_mixed.txt": "Hello <|im_end|> the wo\u0301rld 12 in\n\n  \U0001F600 it's \u4e16\u754c".encode() + b"\xff\xe0\x80 x",
        "text_whitespace.txt": " \t\r\n\u3000\u0085\ufeff\u2028 a  b   ".encode(),
    }

    n = state_floats()
    corpora["state"] = {
        "zeros.bin": state_bytes([0.0] * n),
        "random_extra.bin": state_bytes(rng.normal(size=n).tolist(), extra=b"pending\x00tokens\x01\x02"),
        "nonfinite.bin": state_bytes([float("nan"), float("inf"), -float("inf"), -0.0] * (n // 4), extra=b"x"),
        "other_model.bin": state_bytes([0.5] * n, fingerprint=STATE_FINGERPRINT ^ 1),
        "other_shape.bin": state_bytes([0.5] * (n // 2), dims=(1, 8, 2, 4)),
        "bad_checksum.bin": state_bytes([1.0] * n)[:-1] + b"\x00",
    }
    return corpora


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--outdir", default=os.path.join(root, "fuzz", "corpus"))
    ap.add_argument("--only", nargs="*", help="write only these harnesses' corpora")
    args = ap.parse_args()

    corpora = build()
    if args.only:
        corpora = {k: v for k, v in corpora.items() if k in args.only}
    failed = False
    for harness, files in corpora.items():
        d = os.path.join(args.outdir, harness)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        total = 0
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += len(data)
            if len(data) > FILE_LIMIT:
                print(f"{harness}/{name}: {len(data)} bytes exceeds {FILE_LIMIT}", file=sys.stderr)
                failed = True
        print(f"{harness:12s} {len(files):2d} files {total:7d} bytes (largest {max(len(v) for v in files.values())})")
        if total > CORPUS_LIMIT:
            print(f"{harness}: corpus of {total} bytes exceeds {CORPUS_LIMIT}", file=sys.stderr)
            failed = True
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
