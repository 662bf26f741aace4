"""Trainable RWKV-7 (x070) in plain torch, with RWKV-LM parameter names.

The math is the one restated in tools/rwkv7_ref.py (FORMATS.md section 0); only
the layout differs: whole batches of sequences [B, T, C] go through each layer,
and the WKV recurrence runs as a loop over time on [B*H, N, N] fp32 states with
everything that does not depend on the state (r, k, v, decay, kk, a) computed
for all timesteps at once.  Matmuls may run under bf16 autocast; the WKV state
math is always fp32.

state_dict() of RWKV7Train is directly a RWKV-LM checkpoint dict (blocks.i.att.*,
blocks.i.ffn.*, emb.weight, ln_out.*, head.weight; [1,1,C] vectors).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

GN_EPS = 64e-5
MIX = ["r", "w", "k", "v", "a", "g"]


def _ortho(rows, cols, gain, gen=None):
    w = torch.empty(rows, cols)
    nn.init.orthogonal_(w, gain=gain)
    return w


class TimeMix(nn.Module):
    def __init__(self, C, N, layer, n_layer, dw, da, dv, dg):
        super().__init__()
        H = C // N
        self.C, self.N, self.H, self.layer = C, N, H, layer
        r0 = layer / max(n_layer - 1, 1)          # 0 -> 1
        r1 = 1.0 - layer / n_layer                # 1 -> almost 0
        ddd = torch.arange(C, dtype=torch.float32) / C
        ramp = lambda p: (1.0 - ddd.pow(p * r1)).view(1, 1, C)
        self.x_r, self.x_w, self.x_k = nn.Parameter(ramp(0.2)), nn.Parameter(ramp(0.9)), nn.Parameter(ramp(0.7))
        self.x_v, self.x_a, self.x_g = nn.Parameter(ramp(0.7)), nn.Parameter(ramp(0.9)), nn.Parameter(ramp(0.2))
        n = torch.arange(C, dtype=torch.float32) / (C - 1)
        decay_speed = -7.0 + 5.0 * n.pow(0.85 + 1.0 * r0 ** 0.5)
        self.w0 = nn.Parameter((decay_speed + 0.5).view(1, 1, C))
        self.w1 = nn.Parameter(torch.zeros(C, dw))
        self.w2 = nn.Parameter(_ortho(dw, C, 0.1, None))
        self.a0 = nn.Parameter(torch.zeros(1, 1, C))
        self.a1 = nn.Parameter(torch.zeros(C, da))
        self.a2 = nn.Parameter(_ortho(da, C, 0.1, None))
        self.v0 = nn.Parameter(torch.ones(1, 1, C))
        self.v1 = nn.Parameter(torch.zeros(C, dv))
        self.v2 = nn.Parameter(_ortho(dv, C, 0.1, None))
        self.g1 = nn.Parameter(torch.zeros(C, dg))
        self.g2 = nn.Parameter(_ortho(dg, C, 0.1, None))
        self.k_k = nn.Parameter(torch.full((1, 1, C), 0.85))
        self.k_a = nn.Parameter(torch.ones(1, 1, C))
        self.r_k = nn.Parameter(torch.full((H, N), -0.04))
        s = 0.5 / math.sqrt(C)
        self.receptance = nn.Linear(C, C, bias=False)
        self.key = nn.Linear(C, C, bias=False)
        self.value = nn.Linear(C, C, bias=False)
        self.output = nn.Linear(C, C, bias=False)
        for m in (self.receptance, self.key, self.value):
            nn.init.uniform_(m.weight, -s, s)
        nn.init.zeros_(self.output.weight)
        self.ln_x = nn.GroupNorm(H, C, eps=GN_EPS)
        with torch.no_grad():
            self.ln_x.weight.fill_(((1 + layer) / n_layer) ** 0.7)

    def forward(self, x, v_first):
        B, T, C = x.shape
        H, N = self.H, self.N
        delta = F.pad(x, (0, 0, 1, -1)) - x          # x_prev - x (x_prev = 0 at t = 0)
        xr, xw, xk, xv, xa, xg = (x + delta * getattr(self, "x_" + q) for q in MIX)
        r = self.receptance(xr)
        k = self.key(xk)
        v = self.value(xv)
        w_raw = self.w0 + torch.tanh(xw @ self.w1) @ self.w2
        a = torch.sigmoid(self.a0 + (xa @ self.a1) @ self.a2)
        g = torch.sigmoid(xg @ self.g1) @ self.g2
        # state math in fp32
        ft = self.w0.dtype  # fp32 (fp64 in tests) even under bf16 autocast
        r, k, v, w_raw, a, g = r.to(ft), k.to(ft), v.to(ft), w_raw.to(ft), a.to(ft), g.to(ft)
        decay = torch.exp(-math.exp(-0.5) * torch.sigmoid(w_raw))
        kk = F.normalize((k * self.k_k).view(B, T, H, N), dim=-1, eps=1e-12).view(B, T, C)
        k = k * (1.0 + (a - 1.0) * self.k_a)
        if self.layer == 0:
            v_first = v
        else:
            v = v + (v_first - v) * torch.sigmoid(self.v0 + (xv @ self.v1) @ self.v2).to(ft)
        with torch.autocast("cpu", enabled=False):
            o = wkv7(r, decay, k, v, kk, a, H, N)          # [B, T, C] fp32
            o = self.ln_x(o.reshape(B * T, C)).view(B, T, C)
        bonus = ((r * k).view(B, T, H, N) * self.r_k).sum(-1, keepdim=True) * v.view(B, T, H, N)
        o = o + bonus.view(B, T, C)
        return self.output(o * g), v_first


def wkv7(r, decay, k, v, kk, a, H, N):
    """S_t = S_{t-1} diag(d_t) - (S_{t-1} kk_t)(kk_t*a_t)^T + v_t k_t^T ; o_t = S_t r_t.  Inputs [B,T,C].

    Elementwise multiply + sum instead of bmm: Debian's torch has slow fp32 BLAS.
    """
    B, T, C = r.shape
    BH = B * H
    tm = lambda z: z.reshape(B, T, H, N).transpose(0, 1).reshape(T, BH, N)
    r_, d_, k_, v_, kk_ = tm(r), tm(decay), tm(k), tm(v), tm(kk)
    rows = lambda z: z.unsqueeze(2)                      # [T, BH, 1, N]  (indexed by key j)
    b_, kr, rr, dr, kkr = rows(-(kk_ * tm(a))), rows(k_), rows(r_), rows(d_), rows(kk_)
    vc = v_.unsqueeze(3)                                  # [T, BH, N, 1]  (indexed by value i)
    S = torch.zeros(BH, N, N, dtype=r.dtype)
    outs = []
    for t in range(T):
        sa = (S * kkr[t]).sum(-1, keepdim=True)           # S kk      [BH, N, 1]
        S = S * dr[t] + sa * b_[t] + vc[t] * kr[t]
        outs.append((S * rr[t]).sum(-1))                  # S r       [BH, N]
    o = torch.stack(outs, 0).view(T, B, H, N).transpose(0, 1).reshape(B, T, C)
    return o


class ChannelMix(nn.Module):
    def __init__(self, C, Fdim, layer, n_layer):
        super().__init__()
        r1 = 1.0 - layer / n_layer
        ddd = torch.arange(C, dtype=torch.float32) / C
        self.x_k = nn.Parameter((1.0 - ddd.pow(r1 ** 4)).view(1, 1, C))
        self.key = nn.Linear(C, Fdim, bias=False)
        self.value = nn.Linear(Fdim, C, bias=False)
        s = 0.5 / math.sqrt(C)
        nn.init.uniform_(self.key.weight, -s, s)
        nn.init.zeros_(self.value.weight)

    def forward(self, x):
        delta = F.pad(x, (0, 0, 1, -1)) - x
        xk = x + delta * self.x_k
        return self.value(torch.relu(self.key(xk)) ** 2)


class Block(nn.Module):
    def __init__(self, C, N, Fdim, layer, n_layer, dw, da, dv, dg):
        super().__init__()
        self.layer = layer
        if layer == 0:
            self.ln0 = nn.LayerNorm(C)
        self.ln1 = nn.LayerNorm(C)
        self.ln2 = nn.LayerNorm(C)
        self.att = TimeMix(C, N, layer, n_layer, dw, da, dv, dg)
        self.ffn = ChannelMix(C, Fdim, layer, n_layer)

    def forward(self, x, v_first):
        dx, v_first = self.att(self.ln1(x), v_first)
        x = x + dx
        x = x + self.ffn(self.ln2(x))
        return x, v_first


class RWKV7Train(nn.Module):
    def __init__(self, n_layer=3, C=128, N=32, Fdim=512, V=256, dw=32, da=16, dv=16, dg=32):
        super().__init__()
        self.emb = nn.Embedding(V, C)
        nn.init.uniform_(self.emb.weight, -1e-4 * 100, 1e-4 * 100)
        self.blocks = nn.ModuleList([Block(C, N, Fdim, i, n_layer, dw, da, dv, dg) for i in range(n_layer)])
        self.ln_out = nn.LayerNorm(C)
        self.head = nn.Linear(C, V, bias=False)
        nn.init.orthogonal_(self.head.weight, gain=0.5)

    def forward(self, idx):
        x = self.emb(idx)
        x = self.blocks[0].ln0(x)
        v_first = None
        for blk in self.blocks:
            x, v_first = blk(x, v_first)
        return self.head(self.ln_out(x))

    def export(self):
        """Flat RWKV-LM state dict (fp32, contiguous, cloned)."""
        return {k: v.detach().float().contiguous().clone() for k, v in self.state_dict().items()}


# ----------------------------------------------------------------------------
# Recurrent (one token at a time, batched) inference for greedy evaluation
# ----------------------------------------------------------------------------

@torch.no_grad()
def rnn_step(model, tok, state):
    """tok: LongTensor [B]; state: dict or None (fresh). Returns (logits [B, V] fp32, state)."""
    B = tok.shape[0]
    blocks = model.blocks
    C = model.emb.weight.shape[1]
    H, N = blocks[0].att.H, blocks[0].att.N
    dt = model.emb.weight.dtype
    if state is None:
        state = {"att": [torch.zeros(B, C, dtype=dt) for _ in blocks],
                 "ffn": [torch.zeros(B, C, dtype=dt) for _ in blocks],
                 "wkv": [torch.zeros(B, H, N, N, dtype=dt) for _ in blocks]}
    x = blocks[0].ln0(model.emb(tok))
    v_first = None
    for i, blk in enumerate(blocks):
        at = blk.att
        h = blk.ln1(x)
        delta = state["att"][i] - h
        state["att"][i] = h
        xr, xw, xk, xv, xa, xg = (h + delta * getattr(at, "x_" + q).view(C) for q in MIX)
        r, k, v = at.receptance(xr), at.key(xk), at.value(xv)
        w_raw = at.w0.view(C) + torch.tanh(xw @ at.w1) @ at.w2
        d = torch.exp(-math.exp(-0.5) * torch.sigmoid(w_raw))
        a = torch.sigmoid(at.a0.view(C) + (xa @ at.a1) @ at.a2)
        g = torch.sigmoid(xg @ at.g1) @ at.g2
        kk = F.normalize((k * at.k_k.view(C)).view(B, H, N), dim=-1, eps=1e-12)
        k = k * (1.0 + (a - 1.0) * at.k_a.view(C))
        if i == 0:
            v_first = v
        else:
            v = v + (v_first - v) * torch.sigmoid(at.v0.view(C) + (xv @ at.v1) @ at.v2)
        S = state["wkv"][i]
        kh, vh, rh, dh, ah = k.view(B, H, N), v.view(B, H, N), r.view(B, H, N), d.view(B, H, N), a.view(B, H, N)
        sa = (S * kk.unsqueeze(2)).sum(-1, keepdim=True)
        S = S * dh.unsqueeze(2) - sa * (kk * ah).unsqueeze(2) + vh.unsqueeze(3) * kh.unsqueeze(2)
        state["wkv"][i] = S
        o = (S * rh.unsqueeze(2)).sum(-1)
        o = at.ln_x(o.reshape(B, C))
        o = o + ((rh * kh * at.r_k).sum(-1, keepdim=True) * vh).reshape(B, C)
        x = x + at.output(o * g)
        h = blk.ln2(x)
        fm = blk.ffn
        delta = state["ffn"][i] - h
        state["ffn"][i] = h
        x = x + fm.value(torch.relu(fm.key(h + delta * fm.x_k.view(C))) ** 2)
    return model.head(model.ln_out(x)).float(), state


@torch.no_grad()
def greedy_batch(model, prompts, max_new=120):
    """Greedy continuation of each prompt (bytes) until token 0; returns list of bytes (without the 0)."""
    B = len(prompts)
    pos = [0] * B
    outs = [bytearray() for _ in range(B)]
    done = [False] * B
    cur = torch.tensor([p[0] for p in prompts])
    state = None
    steps = 0
    while not all(done) and steps < max(len(p) for p in prompts) + max_new:
        logits, state = rnn_step(model, cur, state)
        nxt = logits.argmax(-1).tolist()
        cur_l = []
        for i in range(B):
            if pos[i] + 1 < len(prompts[i]):          # still feeding the prompt
                pos[i] += 1
                cur_l.append(prompts[i][pos[i]])
                continue
            if not done[i]:
                if nxt[i] == 0 or len(outs[i]) >= max_new:
                    done[i] = True
                else:
                    outs[i].append(nxt[i])
            cur_l.append(nxt[i] if not done[i] else 0)
        cur = torch.tensor(cur_l)
        steps += 1
    return [bytes(o) for o in outs]


def load_model(path):
    """Rebuild an fp32 RWKV7Train from a checkpoint written by export() (shapes inferred)."""
    sd = torch.load(path, map_location="cpu")
    sd = {k: v.float() for k, v in sd.items()}
    n_layer = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
    H, N = sd["blocks.0.att.r_k"].shape
    V, C = sd["emb.weight"].shape
    m = RWKV7Train(n_layer=n_layer, C=C, N=N, Fdim=sd["blocks.0.ffn.key.weight"].shape[0], V=V,
                   dw=sd["blocks.0.att.w1"].shape[1], da=sd["blocks.0.att.a1"].shape[1],
                   dv=sd["blocks.0.att.v1"].shape[1], dg=sd["blocks.0.att.g1"].shape[1])
    m.load_state_dict(sd)
    m.eval()
    return m
