#!/usr/bin/python3
"""Independent reference of rwkv7::Sampler, driven by the float64 model reference.

Why it exists: the test that pins a sampled token sequence for a fixed seed must not take its expected tokens
from the C++ code under test. This script restates the sampler's specification (PCG32 XSH-RR, candidates sorted
by logit then id, logit bias, RWKV presence/frequency penalties with decay, allowed set, top-k, min-p, top-p,
one 24-bit uniform draw per sample) in plain Python and runs it on tools/rwkv7_ref.py's float64 logits.

    sampler_ref.py            writes tests/data/sampled_sequences.json from the committed fixtures
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rwkv7_ref  # noqa: E402

MASK64 = (1 << 64) - 1


class Pcg32:
    INC = 1442695040888963407
    MUL = 6364136223846793005

    def __init__(self, seed):
        self.state = 0
        self.next()
        self.state = (self.state + seed) & MASK64
        self.next()

    def next(self):
        old = self.state
        self.state = (old * self.MUL + self.INC) & MASK64
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((32 - rot) & 31))) & 0xFFFFFFFF

    def uniform(self):
        return (self.next() >> 8) / 16777216.0


class SamplerRef:
    def __init__(self, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, presence=0.0, frequency=0.0,
                 decay=0.996, seed=0, bias=None, allowed=None):
        self.t, self.top_k, self.top_p, self.min_p = temperature, top_k, top_p, min_p
        self.presence, self.frequency, self.decay = presence, frequency, decay
        self.rng = Pcg32(seed)
        self.bias = bias or {}
        self.allowed = set(allowed) if allowed else None
        self.occ = {}

    def sample(self, logits):
        cands = []
        for tok, logit in enumerate(logits):
            if self.allowed is not None and tok not in self.allowed:
                continue
            logit = logit + self.bias.get(tok, 0.0)
            if tok in self.occ:
                logit -= self.presence + self.frequency * self.occ[tok]
            if logit > -math.inf:
                cands.append((tok, logit))
        cands.sort(key=lambda c: (-c[1], c[0]))
        if self.t <= 0:
            pick = cands[0][0]
        else:
            keep = len(cands) if self.top_k <= 0 else min(len(cands), self.top_k)
            top = cands[0][1]
            probs = [math.exp((cands[i][1] - top) / self.t) for i in range(keep)]
            total = sum(probs)
            if self.min_p > 0:
                n = 1
                while n < keep and probs[n] >= self.min_p * probs[0]:
                    n += 1
                total -= sum(probs[n:keep])
                keep = n
            if self.top_p < 1.0:
                cum, n = 0.0, 0
                while n < keep and cum < self.top_p * total:
                    cum += probs[n]
                    n += 1
                keep = max(n, 1)
                total = cum if cum > 0 else probs[0]
            target = self.rng.uniform() * total
            cum, pick = 0.0, cands[keep - 1][0]
            for i in range(keep):
                cum += probs[i]
                if target < cum:
                    pick = cands[i][0]
                    break
        if self.presence != 0 or self.frequency != 0:
            for k in self.occ:
                self.occ[k] *= self.decay
            self.occ[pick] = self.occ.get(pick, 0.0) + 1.0
        return pick


CASES = [
    {"name": "greedy", "options": {"temperature": 0.0}},
    {"name": "temperature_top_p", "options": {"temperature": 0.7, "top_p": 0.8, "seed": 1234}},
    {"name": "top_k_min_p", "options": {"temperature": 1.0, "top_k": 12, "min_p": 0.3, "seed": 7}},
    {"name": "penalties", "options": {"temperature": 0.5, "presence": 0.8, "frequency": 0.4, "decay": 0.9, "seed": 99}},
    {"name": "allowed_and_bias", "options": {"temperature": 1.0, "seed": 5, "allowed": list(range(48, 58)) + [32],
                                             "bias": {"49": 1.5, "50": -100.0}}},
]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
    fixture = "x070_bf16_h32"
    model = rwkv7_ref.RWKV7(os.path.join(root, "fixtures", fixture + ".pth"))
    prompt = [ord(c) for c in "12*34="]
    out = []
    for case in CASES:
        opts = dict(case["options"])
        bias = {int(k): v for k, v in opts.pop("bias", {}).items()}
        sampler = SamplerRef(bias=bias, **opts)
        state = model.new_state()
        logits = None
        for tok in prompt:
            logits = model.step(tok, state)
        tokens = []
        for _ in range(24):
            tok = sampler.sample(logits)
            tokens.append(tok)
            logits = model.step(tok, state)
        out.append({"name": case["name"], "fixture": fixture, "prompt": prompt, "options": case["options"], "tokens": tokens})
        print(case["name"], tokens)
    with open(os.path.join(root, "sampled_sequences.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
