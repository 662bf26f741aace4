#!/usr/bin/python3
"""Byte-level text format for the tiny RWKV-7 multiplication model (issue #6).

One example per sequence; numbers in the scratchpad are written least
significant digit first ("reversed").  For a = 123, b = 456:

    123*456\\n             prompt: "{a}*{b}\\n"
    321*6=837\\n           one line per digit d_i of b (least significant first):
    321*5=516\\n               "{rev(a)}*{d_i}={rev(a*d_i)}\\n"
    321*4=294\\n
    837+0516=8886\\n       running sums, i = 1..len(b)-1 (only if b has >= 2 digits):
    8886+00294=88065\\n        "{rev(S)}+{'0'*i + rev(a*d_i)}={rev(S + a*d_i*10**i)}\\n"
    <byte 0>              end of text (token 0)

S starts as a*d_0.  The answer is the last running sum (or the only partial
product when b has one digit), read reversed.  Token id = byte value.

Held-out rule: the pair (a, b) is never trained on when
    (a * 1009 + b * 9176) % 50 == 7
(ordered pair: (a, b) and (b, a) are judged separately).

CLI:
    multiply_data.py 123 456            print the example for 123*456
    multiply_data.py --random 5         print 5 random training examples
    multiply_data.py --held-out-3x3 10  list the first 10 held-out 3x3 eval pairs
"""
import argparse
import random
import sys

HELD_OUT_MOD, HELD_OUT_REM = 50, 7
EVAL_SEED = 20250806  # seed of the shuffle that orders the held-out 3x3 eval pairs


def rev(x):
    """Decimal digits of a non-negative int, least significant first (rev(0) == '0')."""
    return str(x)[::-1]


def prompt(a, b):
    """The question bytes, forward digits: b'{a}*{b}\\n'."""
    return f"{a}*{b}\n".encode("ascii")


def completion(a, b):
    """Scratchpad + end-of-text byte that should follow prompt(a, b)."""
    digits = [int(c) for c in str(b)[::-1]]
    ra = rev(a)
    lines = [f"{ra}*{d}={rev(a * d)}\n" for d in digits]
    s = a * digits[0]
    for i in range(1, len(digits)):
        p = a * digits[i]
        new = s + p * 10 ** i
        lines.append(f"{rev(s)}+{'0' * i + rev(p)}={rev(new)}\n")
        s = new
    assert s == a * b
    return "".join(lines).encode("ascii") + b"\x00"


def example(a, b):
    """Full training sequence: prompt + scratchpad + byte 0."""
    return prompt(a, b) + completion(a, b)


def answer_from_completion(text):
    """Parse the product from generated scratchpad bytes (without the trailing 0); None if malformed."""
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    lines = [ln for ln in text.split("\n") if ln]
    if not lines or "=" not in lines[-1]:
        return None
    r = lines[-1].split("=")[-1]
    if not r.isdigit():
        return None
    return int(r[::-1])


def is_held_out(a, b):
    """True if the ordered pair (a, b) must never be used for training."""
    return (a * 1009 + b * 9176) % HELD_OUT_MOD == HELD_OUT_REM


def held_out_3x3(n=2000):
    """First n held-out pairs with both factors in 100..999, in a fixed seeded shuffle."""
    pairs = [(a, b) for a in range(100, 1000) for b in range(100, 1000) if is_held_out(a, b)]
    random.Random(EVAL_SEED).shuffle(pairs)
    return pairs[:n]


def held_out_small():
    """All held-out pairs with a in 1..99 and b in 1..999, plus a in 1..999 and b in 1..99."""
    out = []
    for a in range(1, 1000):
        for b in range(1, 1000):
            if (a < 100 or b < 100) and is_held_out(a, b):
                out.append((a, b))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pair", nargs="*", type=int, help="a b")
    ap.add_argument("--random", type=int, default=0, help="print N random non-held-out examples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--held-out-3x3", type=int, default=0, help="list the first N held-out 3x3 eval pairs")
    args = ap.parse_args(argv)
    out = sys.stdout
    if len(args.pair) == 2:
        out.write(example(*args.pair).decode("ascii").replace("\x00", "<0>\n"))
    rng = random.Random(args.seed)
    shown = 0
    while shown < args.random:
        a, b = rng.randint(1, 999), rng.randint(1, 999)
        if is_held_out(a, b):
            continue
        out.write(example(a, b).decode("ascii").replace("\x00", "<0>\n"))
        shown += 1
    for a, b in held_out_3x3(args.held_out_3x3) if args.held_out_3x3 else []:
        out.write(f"{a} {b}\n")


if __name__ == "__main__":
    main()
