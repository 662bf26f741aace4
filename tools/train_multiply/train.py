#!/usr/bin/python3
"""Train the tiny RWKV-7 (x070) multiplication model of issue #6 on CPU.

    /usr/bin/python3 tools/train_multiply/train.py --out models/multiply-tiny.pth

Fixed seeds; data from tools/multiply_data.py (held-out pairs are never drawn).
Loss only on the bytes after the prompt (scratchpad + final byte 0).  Matmuls
run under bf16 autocast, the WKV state math in fp32.  The exported checkpoint
is a flat fp32 dict with RWKV-LM tensor names (torch.save), written at every
evaluation and at the end.

The process re-executes itself once with glibc malloc tunables that keep freed
memory (otherwise every 2 MB temporary in the time loop page-faults afresh) and
with one OpenMP thread (two threads on a shared 2-core box were far slower).
"""
import argparse
import math
import os
import random
import sys
import time

ENV = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "68719476736",
       "MALLOC_TOP_PAD_": "268435456", "OMP_NUM_THREADS": "1"}
if os.environ.get("RWKV_MUL_REEXEC") != "1":
    os.environ.update(ENV)
    os.environ["RWKV_MUL_REEXEC"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import multiply_data as md  # noqa: E402
from model import RWKV7Train, greedy_batch  # noqa: E402

# digit-length classes (len a, len b) and their sampling weights
CLASSES = [(la, lb) for la in (1, 2, 3) for lb in (1, 2, 3)]
WEIGHTS = {(3, 3): 0.40, (2, 3): 0.10, (3, 2): 0.10, (1, 3): 0.08, (3, 1): 0.08,
           (2, 2): 0.08, (1, 2): 0.06, (2, 1): 0.06, (1, 1): 0.04}
LO = {1: 1, 2: 10, 3: 100}
HI = {1: 9, 2: 99, 3: 999}


def draw_pair(rng):
    la, lb = rng.choices(CLASSES, weights=[WEIGHTS[c] for c in CLASSES])[0]
    while True:
        a, b = rng.randint(LO[la], HI[la]), rng.randint(LO[lb], HI[lb])
        if not md.is_held_out(a, b):
            return a, b


def make_batch(rng, B):
    seqs, plens = [], []
    for _ in range(B):
        a, b = draw_pair(rng)
        seqs.append(md.example(a, b))
        plens.append(len(md.prompt(a, b)))
    T = max(len(s) for s in seqs) - 1
    x = torch.zeros(B, T, dtype=torch.long)
    y = torch.full((B, T), -100, dtype=torch.long)
    for i, (s, p) in enumerate(zip(seqs, plens)):
        s = torch.tensor(list(s))
        n = len(s) - 1
        x[i, :n] = s[:-1]
        y[i, p - 1:n] = s[p:]          # predict every byte after the prompt, incl. the final 0
    return x, y


def evaluate(model, pairs):
    model.eval()
    prompts = [md.prompt(a, b) for a, b in pairs]
    ok = 0
    bad = []
    for i in range(0, len(prompts), 256):
        outs = greedy_batch(model, prompts[i:i + 256])
        for (a, b), o in zip(pairs[i:i + 256], outs):
            if o + b"\x00" == md.completion(a, b):
                ok += 1
            elif len(bad) < 5:
                bad.append((a, b, o))
    model.train()
    return ok / len(pairs), bad


def train_phase(model, args, tag, steps, lr_max, lr_final, warmup, seed, mon3, mons):
    """One AdamW run with linear warmup + cosine decay; data drawn from random.Random(seed)."""
    rng = random.Random(seed)
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.dim() == 2 and ("weight" in n and "emb" not in n) else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr_max, betas=(0.9, 0.99), eps=1e-8)
    t0 = time.time()
    tok_seen = 0
    ema = None
    for step in range(1, steps + 1):
        if step <= warmup:
            lr = lr_max * step / warmup
        else:
            p = (step - warmup) / max(1, steps - warmup)
            lr = lr_final + 0.5 * (lr_max - lr_final) * (1 + math.cos(math.pi * p))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = make_batch(rng, args.batch)
        with torch.autocast("cpu", torch.bfloat16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, 256), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tok_seen += x.numel()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 25 == 0:
            el = time.time() - t0
            print(f"[{tag}] step {step} loss {ema:.4f} lr {lr:.2e} tok/s {tok_seen / el:.0f} "
                  f"elapsed {el / 60:.1f}m", flush=True)
        if step % args.eval_every == 0 or step == steps:
            acc3, bad3 = evaluate(model, mon3)
            accs, bads = evaluate(model, mons)
            print(f"[{tag}] EVAL step {step} acc3x3 {acc3:.4f} accsmall {accs:.4f} "
                  f"bad {[(a, b, o[-24:]) for a, b, o in (bad3 + bads)[:3]]}", flush=True)
            tmp = args.out + ".tmp"
            torch.save(model.export(), tmp)
            os.replace(tmp, args.out)
    print(f"[{tag}] done in {(time.time() - t0) / 60:.1f} min", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--head-size", type=int, default=32)
    ap.add_argument("--ffn", type=int, default=0, help="default 4x width")
    ap.add_argument("--lora", type=str, default="16,16,16,32", help="dw,da,dv,dg")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=2000, help="phase 1 (main run) steps")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-final", type=float, default=2e-5)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--ft-steps", type=int, default=700, help="phase 2 (fresh AdamW, new data seed); 0 = none")
    ap.add_argument("--ft-lr", type=float, default=4e-4)
    ap.add_argument("--ft-lr-final", type=float, default=1e-5)
    ap.add_argument("--ft-warmup", type=int, default=30)
    ap.add_argument("--ft-seed", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--eval-n", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", default=None, help="start from this checkpoint (continued training)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dw, da, dv, dg = (int(z) for z in args.lora.split(","))
    model = RWKV7Train(n_layer=args.layers, C=args.width, N=args.head_size,
                       Fdim=args.ffn or 4 * args.width, V=256, dw=dw, da=da, dv=dv, dg=dg)
    if args.init:
        sd = torch.load(args.init, map_location="cpu")
        model.load_state_dict({k: v.float() for k, v in sd.items()})
        print(f"initialised from {args.init}", flush=True)
    nparam = sum(p.numel() for p in model.parameters())
    print(f"params {nparam}  args {vars(args)}", flush=True)

    # small fixed monitoring sets (subsets of the held-out eval sets)
    mon3 = md.held_out_3x3(args.eval_n)
    mons = random.Random(7).sample(md.held_out_small(), args.eval_n)

    t0 = time.time()
    if args.steps:
        train_phase(model, args, "main", args.steps, args.lr, args.lr_final, args.warmup, args.seed, mon3, mons)
    if args.ft_steps:
        train_phase(model, args, "ft", args.ft_steps, args.ft_lr, args.ft_lr_final, args.ft_warmup,
                    args.ft_seed, mon3, mons)
    print(f"all done in {(time.time() - t0) / 60:.1f} min; wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
