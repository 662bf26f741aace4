#!/usr/bin/python3
"""Independent float64 numpy reference of PRWKV-7 "cxa076" / "cxa076r" (OpenMOSE).

Why it exists: the C++ library's cxa076 path must be checked against something
not derived from it.  This restates FORMATS.md section 1.4 (decay offset -0.5,
section 1.6) one token at a time in float64, plainly, from the tensor names of
section 1.3: RMSNorm block norms, no token shift, grouped key/value heads
repeated to every head (head h reads kv head h // (H / Hkv)), optional r/k/v
biases, optional per-head RMSNorm of r and k (cxa076r), k scaled by
(1 - w + a), WKV output times N^-0.5 with no GroupNorm, SwiGLU FFN, head tied to
the embedding when head.weight is absent.  Speed is not a goal.

Command line:
    prwkv7_ref.py logits --model M --tokens 1,2,3 --at 0,2 --out F
writes little-endian float32 rows of vocab size, one per position in --at.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwkv7_ref  # noqa: E402
from rwkv7_ref import logits_at, read_pth, read_safetensors  # noqa: E402,F401  (readers and the token loop; no math)

RMS_EPS = 1e-6
DECAY_OFFSET = -0.5
L2_EPS = 1e-12


def rms_norm(z, weight, eps=RMS_EPS):
    return z / np.sqrt(np.mean(z * z) + eps) * weight


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softplus(z):
    return np.logaddexp(0.0, z)  # ln(1 + e^z) without overflow


def silu(z):
    return z * sigmoid(z)


class PRWKV7:
    """cxa076 model in float64; call step(token, state) repeatedly."""

    def __init__(self, path):
        sd = read_pth(path) if path.endswith(".pth") else read_safetensors(path)
        self.w = {k: (v.reshape(-1) if v.ndim == 3 else v) for k, v in sd.items()}
        self.n_layer = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
        self.n_head, self.head_size = sd["blocks.0.att.r_k"].shape
        self.n_kv_head = sd["blocks.0.att.key.weight"].shape[0] // self.head_size
        assert self.n_head % self.n_kv_head == 0
        self.rk_norm = "blocks.0.att.ln_r.weight" in sd
        self.head = sd["head.weight"] if "head.weight" in sd else sd["emb.weight"]
        self.vocab = self.head.shape[0]

    def new_state(self):
        H, N = self.n_head, self.head_size
        return [np.zeros((H, N, N)) for _ in range(self.n_layer)]  # [head][value i][key j]

    def p(self, layer, name):
        return self.w[f"blocks.{layer}.{name}"]

    def has(self, layer, name):
        return f"blocks.{layer}.{name}" in self.w

    def projection(self, layer, name, x):
        y = self.p(layer, f"att.{name}.weight") @ x
        if self.has(layer, f"att.{name}.bias"):
            y = y + self.p(layer, f"att.{name}.bias")
        return y

    def time_mix(self, layer, xn, S, v_first):
        H, N, Hkv = self.n_head, self.head_size, self.n_kv_head
        p = lambda name: self.p(layer, "att." + name)

        r = self.projection(layer, "receptance", xn).reshape(H, N)
        k = self.projection(layer, "key", xn).reshape(Hkv, N)
        v = self.projection(layer, "value", xn).reshape(Hkv, N)
        if self.rk_norm:
            r = np.stack([rms_norm(r[h], p("ln_r.weight")) for h in range(H)])
            k = np.stack([rms_norm(k[j], p("ln_k.weight")) for j in range(Hkv)])
        # RepeatKV: every group of H / Hkv consecutive heads shares one key/value head.
        group = H // Hkv
        k = np.stack([k[h // group] for h in range(H)])
        v = np.stack([v[h // group] for h in range(H)])

        w_log = -softplus(-(p("w0") + np.tanh(xn @ p("w1")) @ p("w2"))) + DECAY_OFFSET  # <= -0.5
        decay = np.exp(-np.exp(w_log)).reshape(H, N)
        a = sigmoid(p("a0") + (xn @ p("a1")) @ p("a2")).reshape(H, N)
        g = sigmoid(xn @ p("g1")) @ p("g2")

        kk = k / np.maximum(np.sqrt((k * k).sum(axis=1, keepdims=True)), L2_EPS)
        k = k * (1.0 - w_log.reshape(H, N) + a)
        if layer == 0:
            v_first = v
        else:
            v = v + (v_first - v) * sigmoid(p("v0") + (xn @ p("v1")) @ p("v2")).reshape(H, N)

        o = np.zeros((H, N))
        for h in range(H):
            Sh = S[h] * decay[h][None, :] + np.outer(S[h] @ -kk[h], kk[h] * a[h]) + np.outer(v[h], k[h])
            S[h] = Sh
            o[h] = (Sh @ r[h]) * N ** -0.5
            o[h] += (r[h] * k[h] * p("r_k")[h]).sum() * v[h]
        return p("output.weight") @ (o.reshape(-1) * g), v_first

    def ffn(self, layer, xn):
        gate = self.p(layer, "ffn.gate.weight") @ xn
        up = self.p(layer, "ffn.up.weight") @ xn
        return self.p(layer, "ffn.down.weight") @ (silu(gate) * up)

    def step(self, token, state):
        """Feed one token, update state in place, return float64 logits [vocab]."""
        x = self.w["emb.weight"][token].copy()
        v_first = None
        for layer in range(self.n_layer):
            dx, v_first = self.time_mix(layer, rms_norm(x, self.p(layer, "ln1.weight")), state[layer], v_first)
            x = x + dx
            x = x + self.ffn(layer, rms_norm(x, self.p(layer, "ln2.weight")))
        return self.head @ rms_norm(x, self.w["ln_out.weight"])


def main(argv=None):
    rwkv7_ref.main(argv, model_class=PRWKV7, description=__doc__.split("\n")[0])


if __name__ == "__main__":
    main()
