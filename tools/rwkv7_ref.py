#!/usr/bin/python3
"""Independent float64 numpy reference of the RWKV-7 (x070) RNN.

Why it exists: the C++ library must be checked against something that was not
derived from it.  This file restates the x070 math (FORMATS.md section 0) as
plainly as possible, one token at a time, in float64, so that its logits can be
stored as test fixtures and compared with the C++ output.  Speed is not a goal.

It reads RWKV-LM checkpoints (.pth via torch, or .safetensors) and fla/HF
checkpoints (model.safetensors, optionally with config.json next to it),
with either the current per-channel attn.x_r..x_g or the old fused attn.x_x.

Command line (mirrors the C++ CLI):
    rwkv7_ref.py logits --model M --tokens 1,2,3 --at 0,2 --out F
writes little-endian float32 rows of vocab size, one per position in --at
(0-based positions into the token list, in the order given).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

LAYER_NORM_EPS = 1e-5
DEFAULT_GROUP_NORM_EPS = 64e-5
L2_EPS = 1e-12


# ----------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------

def read_safetensors(path):
    """Minimal safetensors reader: returns {name: float64 ndarray}."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data_start = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = blob[data_start + begin:data_start + end]
        dtype = info["dtype"]
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2")
        elif dtype == "F64":
            arr = np.frombuffer(raw, dtype="<f8")
        elif dtype == "BF16":
            # bf16 is the top half of an IEEE float32.
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            raise ValueError(f"{path}: unsupported dtype {dtype} for {name}")
        tensors[name] = arr.astype(np.float64).reshape(info["shape"])
    return tensors


def read_pth(path):
    """Load a torch .pth state dict and convert every tensor to float64 numpy."""
    import torch
    sd = torch.load(path, map_location="cpu")
    return {k: v.detach().to(torch.float64).numpy() for k, v in sd.items()}


FLA_LORAS = {"w_lora": ("w1", "w2", "w0"), "a_lora": ("a1", "a2", "a0"),
             "v_lora": ("v1", "v2", "v0"), "g_lora": ("g1", "g2", None)}
FLA_SIMPLE = {"attn.r_proj.weight": "att.receptance.weight",
              "attn.k_proj.weight": "att.key.weight",
              "attn.v_proj.weight": "att.value.weight",
              "attn.o_proj.weight": "att.output.weight",
              "attn.k_k": "att.k_k", "attn.k_a": "att.k_a", "attn.r_k": "att.r_k",
              "attn.g_norm.weight": "att.ln_x.weight", "attn.g_norm.bias": "att.ln_x.bias",
              "attn_norm.weight": "ln1.weight", "attn_norm.bias": "ln1.bias",
              "ffn_norm.weight": "ln2.weight", "ffn_norm.bias": "ln2.bias",
              "pre_norm.weight": "ln0.weight", "pre_norm.bias": "ln0.bias",
              "ffn.x_k": "ffn.x_k", "ffn.key.weight": "ffn.key.weight",
              "ffn.value.weight": "ffn.value.weight"}
MIX_ORDER = ["r", "w", "k", "v", "a", "g"]  # order of the old fused attn.x_x rows


def fla_to_rwkvlm(sd):
    """Rename an fla/HF state dict to RWKV-LM names and layouts (FORMATS 2.2)."""
    out = {}
    for name, t in sd.items():
        if name == "model.embeddings.weight":
            out["emb.weight"] = t
        elif name.startswith("model.norm."):
            out["ln_out." + name.split(".")[-1]] = t
        elif name == "lm_head.weight":
            out["head.weight"] = t
        elif name.startswith("model.layers."):
            parts = name.split(".")
            layer, rest = parts[2], ".".join(parts[3:])
            pre = f"blocks.{layer}."
            if rest in FLA_SIMPLE:
                out[pre + FLA_SIMPLE[rest]] = t
            elif rest == "attn.x_x":
                for row, q in enumerate(MIX_ORDER):
                    out[pre + "att.x_" + q] = t[row]
            elif rest.startswith("attn.x_"):
                out[pre + "att." + rest[len("attn."):]] = t
            elif rest.split(".")[1] in FLA_LORAS:
                lora = rest.split(".")[1]
                down, up, bias = FLA_LORAS[lora]
                tail = ".".join(rest.split(".")[2:])
                if tail == "lora.0.weight":
                    out[pre + "att." + down] = t.T      # [rank, C] -> [C, rank]
                elif tail == "lora.2.weight":
                    out[pre + "att." + up] = t.T        # [C, rank] -> [rank, C]
                elif tail == "lora.2.bias" and bias is not None:
                    out[pre + "att." + bias] = t
                else:
                    raise KeyError(f"unexpected fla tensor {name}")
            else:
                raise KeyError(f"unexpected fla tensor {name}")
        else:
            raise KeyError(f"unexpected fla tensor {name}")
    return out


def load_checkpoint(path):
    """Return (state dict with RWKV-LM names, group-norm eps)."""
    if os.path.isdir(path):
        path = os.path.join(path, "model.safetensors")
    if path.endswith(".pth"):
        sd = read_pth(path)
    elif path.endswith(".bin"):
        import rwkv_cpp_io  # numpy-only rwkv.cpp reader
        sd = rwkv_cpp_io.read_rwkv_cpp(path)
    elif path.endswith(".gguf"):
        import gguf_io  # numpy-only GGUF reader; blocks dequantized in float64
        sd = gguf_io.read_gguf_rwkvlm(path)
    else:
        sd = read_safetensors(path)
    gn_eps = DEFAULT_GROUP_NORM_EPS
    if "model.embeddings.weight" in sd:
        sd = fla_to_rwkvlm(sd)
        cfg_path = os.path.join(os.path.dirname(os.path.abspath(path)), "config.json")
        if os.path.exists(cfg_path):
            with open(cfg_path) as f:
                cfg = json.load(f)
            gn_eps = cfg["head_dim"] * cfg.get("norm_eps", 1e-5)
    return sd, gn_eps


# ----------------------------------------------------------------------------
# Math helpers
# ----------------------------------------------------------------------------

def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free form of 1/(1+e^-z)


def layer_norm(x, weight, bias, eps=LAYER_NORM_EPS):
    mean = x.mean()
    var = ((x - mean) ** 2).mean()
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def group_norm(x, n_groups, weight, bias, eps):
    g = x.reshape(n_groups, -1)
    mean = g.mean(axis=1, keepdims=True)
    var = ((g - mean) ** 2).mean(axis=1, keepdims=True)
    return ((g - mean) / np.sqrt(var + eps)).reshape(-1) * weight + bias


def l2_normalize_rows(m):
    norm = np.sqrt((m * m).sum(axis=1, keepdims=True))
    return m / np.maximum(norm, L2_EPS)


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------

class RWKV7:
    """x070 model in float64; call step(token, state) repeatedly."""

    def __init__(self, path):
        sd, self.gn_eps = load_checkpoint(path)
        # Squeeze [1,1,C] vectors to [C]; matrices keep their 2-D shape.
        self.w = {k: (v.reshape(-1) if v.ndim == 3 else v) for k, v in sd.items()}
        self.n_layer = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
        self.n_head, self.head_size = sd["blocks.0.att.r_k"].shape
        self.n_embd = sd["emb.weight"].shape[1]
        self.vocab = sd["head.weight"].shape[0]
        assert self.n_head * self.head_size == self.n_embd

    def new_state(self):
        C, H, N = self.n_embd, self.n_head, self.head_size
        return {"att_shift": [np.zeros(C) for _ in range(self.n_layer)],
                "ffn_shift": [np.zeros(C) for _ in range(self.n_layer)],
                "wkv": [np.zeros((H, N, N)) for _ in range(self.n_layer)]}  # [head][value i][key j]

    def p(self, layer, name):
        return self.w[f"blocks.{layer}.{name}"]

    def time_mix(self, layer, x, state, v_first):
        H, N = self.n_head, self.head_size
        p = lambda name: self.p(layer, "att." + name)

        delta = state["att_shift"][layer] - x
        state["att_shift"][layer] = x
        xr, xw, xk, xv, xa, xg = (x + delta * p("x_" + q) for q in MIX_ORDER)

        r = p("receptance.weight") @ xr
        k = p("key.weight") @ xk
        v = p("value.weight") @ xv
        w_raw = p("w0") + np.tanh(xw @ p("w1")) @ p("w2")
        decay = np.exp(-np.exp(-0.5) * sigmoid(w_raw))
        a = sigmoid(p("a0") + (xa @ p("a1")) @ p("a2"))
        g = sigmoid(xg @ p("g1")) @ p("g2")

        kk = l2_normalize_rows((k * p("k_k")).reshape(H, N))
        k = k * (1.0 + (a - 1.0) * p("k_a"))
        if layer == 0:
            v_first = v
        else:
            v = v + (v_first - v) * sigmoid(p("v0") + (xv @ p("v1")) @ p("v2"))

        r_h, k_h, v_h = r.reshape(H, N), k.reshape(H, N), v.reshape(H, N)
        d_h, a_h = decay.reshape(H, N), a.reshape(H, N)
        S = state["wkv"][layer]
        o = np.zeros((H, N))
        for h in range(H):
            Sh = S[h]
            Sh = Sh * d_h[h][None, :] - np.outer(Sh @ kk[h], kk[h] * a_h[h]) + np.outer(v_h[h], k_h[h])
            S[h] = Sh
            o[h] = Sh @ r_h[h]

        o = group_norm(o.reshape(-1), H, p("ln_x.weight"), p("ln_x.bias"), self.gn_eps)
        bonus = (r_h * k_h * p("r_k")).sum(axis=1, keepdims=True) * v_h
        o = o + bonus.reshape(-1)
        return p("output.weight") @ (o * g), v_first

    def channel_mix(self, layer, x, state):
        delta = state["ffn_shift"][layer] - x
        state["ffn_shift"][layer] = x
        xk = x + delta * self.p(layer, "ffn.x_k")
        hidden = np.maximum(self.p(layer, "ffn.key.weight") @ xk, 0.0) ** 2
        return self.p(layer, "ffn.value.weight") @ hidden

    def step(self, token, state):
        """Feed one token, update state in place, return float64 logits [vocab]."""
        x = self.w["emb.weight"][token]
        x = layer_norm(x, self.p(0, "ln0.weight"), self.p(0, "ln0.bias"))
        v_first = None
        for layer in range(self.n_layer):
            h = layer_norm(x, self.p(layer, "ln1.weight"), self.p(layer, "ln1.bias"))
            dx, v_first = self.time_mix(layer, h, state, v_first)
            x = x + dx
            h = layer_norm(x, self.p(layer, "ln2.weight"), self.p(layer, "ln2.bias"))
            x = x + self.channel_mix(layer, h, state)
        x = layer_norm(x, self.w["ln_out.weight"], self.w["ln_out.bias"])
        return self.w["head.weight"] @ x


def logits_at(model, tokens, at):
    """Run the token list through a fresh state; return float64 rows for positions `at`."""
    wanted = set(at)
    rows = {}
    state = model.new_state()
    for pos, tok in enumerate(tokens):
        out = model.step(tok, state)
        if pos in wanted:
            rows[pos] = out
        if len(rows) == len(wanted):
            break
    return np.stack([rows[i] for i in at])


def main(argv=None, model_class=None, description=None):
    """The logits command line; the cxa076 reference (prwkv7_ref.py) runs it with its own model class."""
    model_class = model_class or RWKV7
    ap = argparse.ArgumentParser(description=description or __doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits", help="write float32 logits rows")
    lg.add_argument("--model", required=True)
    lg.add_argument("--tokens", required=True, help="comma-separated token ids")
    lg.add_argument("--at", default=None, help="comma-separated 0-based positions (default: last)")
    lg.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    tokens = [int(t) for t in args.tokens.split(",") if t != ""]
    at = [int(t) for t in args.at.split(",")] if args.at else [len(tokens) - 1]
    if any(not 0 <= i < len(tokens) for i in at):
        sys.exit("--at position out of range")
    model = model_class(args.model)
    if any(not 0 <= t < model.vocab for t in tokens):
        sys.exit("token id out of range")
    rows = logits_at(model, tokens, at)
    rows.astype("<f4").tofile(args.out)


if __name__ == "__main__":
    main()
