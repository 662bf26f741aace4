#!/usr/bin/python3
"""Write tests/data/tokenizer_cases.json: World-tokenizer inputs and expected ids.

Why it exists: the C++ tokenizer tests need expected token ids that come from an
independent implementation (world_tokenizer_ref.py).  The cases stress the
edges: empty input, control bytes, invalid UTF-8, CJK, emoji, long space runs,
newlines, "<|endoftext|>" as plain text, the \\u-escaped vocab entries, and a
few hundred deterministic random strings (alphabets modelled on the official
ChatRWKV tokenizer test) and random bytes.  Each case is {"hex": input bytes as
hex, "ids": [...]}; decode(encode(x)) == x is asserted for every case.

Usage: /usr/bin/python3 tools/make_tokenizer_cases.py VOCAB [--out tests/data/tokenizer_cases.json]
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world_tokenizer_ref import WorldTokenizerRef  # noqa: E402

SIZE_LIMIT = 400_000


def fixed_cases():
    """Hand-picked edge cases, as bytes."""
    u = lambda s: s.encode("utf-8")
    cases = [b"", b" ", b"  ", b"a", b"hello", u("Hello, world!")]
    cases += [bytes([c]) for c in range(0x20)]                 # each control byte
    cases += [bytes(range(0x20)), bytes(range(0x80)), b"\x7f", b"a\x00b"]
    cases += [bytes(range(256)), bytes(range(255, -1, -1))]
    # Invalid UTF-8: lone continuation bytes, truncated sequences, ff/fe, overlong, surrogates.
    cases += [b"\x80", b"\xbf", b"\x80\x80\x80", b"\xc3", b"\xe4\xbd", b"\xf0\x9f\x98",
              b"\xff", b"\xfe", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb", b"\xc0\xaf", b"\xc1\xbf",
              b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
              b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"abc\x80def", b"\xe4\xbd\xa0\xe5",
              b"\xe4\xbd\xa0\xa0\xe5\xa5\xbd", b"x\xc3(y", b"\x82\xac", b"\xe2\x82"]
    # CJK and other scripts.
    cases += [u("你好"), u("你好，世界！"), u("中文测试：今天天气很好，我们去公园散步吧。"),
              u("東京で新しい宇宙船の打ち上げ試験が行われ、多くの人々が見守った。"),
              u("ひらがなとカタカナ、そして漢字。"), u("안녕하세요, 세계!"),
              u("Привет, мир! Съешь же ещё этих мягких французских булок."),
              u("Γειά σου Κόσμε"), u("مرحبا بالعالم"), u("שלום עולם"), u("नमस्ते दुनिया"),
              u("สวัสดีชาวโลก"), u("Õ\U000683B8"), u("\u6A81"), u("中\nEnglish mixed 文字 text")]
    # Emoji, including non-BMP, modifiers, ZWJ sequences and flags.
    cases += [u("😀"), u("👍🏽"), u("👨‍👩‍👧‍👦"), u("🇯🇵🇫🇷"), u("I ❤️ RWKV 🚀🚀🚀"),
              u("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚"), u("\U0010FFFF\U00010000")]
    # Newlines, CRLF, tabs.
    cases += [b"\n", b"\n\n", b"\n\n\n", b"\r", b"\r\n", b"\r\n\r\n", b"\t", b"\t\t\t",
              b"a\nb", b"a\n\nb", b"User: hi\n\nAssistant:", b"line1\r\nline2\r\n",
              b"\tindented\n\t\tmore\n", b" \n \n ", b"\n \n\t\r\n"]
    cases += [b"\n" * k for k in range(4, 41, 3)]
    cases += [u("def f(x):\n    return x * 2\n\n\nprint(f(21))\n"),
              u("#include <stdio.h>\nint main() {\n\tprintf(\"%d\\n\", 42);\n}\n")]
    # End-of-text marker is ordinary text for the encoder.
    cases += [b"<|endoftext|>", b"hello<|endoftext|>world", b"<|endoftext|><|endoftext|>",
              b"<|", b"|>"]
    # The \u-escaped vocab entries, alone, doubled, after a space and inside text.
    specials = [chr(c) for c in range(0x2002, 0x200F)] + ["\u202c", "\u202f", "\u3000", "\ufeff"]
    for ch in specials:
        cases += [u(ch), u(ch * 2), u(" " + ch), u("a" + ch + "b")]
    cases += [u("".join(specials)), u("\ufeffHello"), u("\u3000\u3000全角")]
    # Space runs 1..300 (the vocab has space tokens up to 128 bytes) and other runs.
    cases += [b" " * n for n in range(1, 301)]
    cases += [b" " * n + b"x" for n in (63, 64, 127, 128, 129, 255, 256, 257)]
    cases += [b"-" * n for n in (1, 2, 16, 63, 64, 65, 127, 128, 129, 200)]
    cases += [b"=" * 100, b"#" * 50, b"0" * 77, b"\xe4\xb8\xad" * 20]
    return cases


def random_cases(rng):
    """Deterministic random strings from tricky alphabets, plus random bytes."""
    alphabets = [["0", " "], ["0", "1"], ["0", "1", " "],
                 ["0", "1", " ", "00", "11", "000", "111", "  ", "   "],
                 list("01 \n\r\t,.;!?:'\"-=") + ["你", "好"],
                 ["the", " the", " of", " and", "ing", " a", ".", ",", "\n", " ", "RWKV", "is", "ation"],
                 ["\u3000", "\ufeff", "\u200b", " ", "a", "中", "😀", "\r\n"]]
    out = []
    for alphabet in alphabets:
        for _ in range(45):
            n = rng.randint(1, 96)
            out.append("".join(rng.choice(alphabet) for _ in range(n)).encode("utf-8"))
    for _ in range(60):                      # a code point < 256 repeated 1..31 times
        out.append((chr(rng.randrange(256)) * rng.randint(1, 31)).encode("utf-8"))
    for _ in range(80):                      # random code points >= 256, each repeated 1..3 times
        s = ""
        for _ in range(rng.randint(1, 8)):
            c = rng.randrange(256, 0x110000)
            if 0xD800 <= c <= 0xDFFF:
                continue                     # surrogates cannot be UTF-8 encoded
            s += chr(c) * rng.randint(1, 3)
        out.append(s.encode("utf-8"))
    for _ in range(60):                      # raw random bytes
        out.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))))
    for _ in range(30):                      # random bytes biased towards UTF-8 lead/continuation bytes
        pool = [0x80, 0x9f, 0xbf, 0xc2, 0xc3, 0xe0, 0xe4, 0xed, 0xef, 0xf0, 0xf4, 0xff, 0x20, 0x61]
        out.append(bytes(rng.choice(pool) for _ in range(rng.randint(1, 32))))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vocab", help="path to rwkv_vocab_v20230424.txt")
    ap.add_argument("--out", default=os.path.join(root, "tests", "data", "tokenizer_cases.json"))
    args = ap.parse_args()

    tok = WorldTokenizerRef(args.vocab)
    inputs = fixed_cases() + random_cases(random.Random(20230424))
    cases = []
    for data in inputs:
        ids = tok.encode(data)
        assert tok.decode(ids) == data, data
        cases.append({"hex": data.hex(), "ids": ids})

    text = "[\n" + ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases) + "\n]\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(f"{len(cases)} cases, {len(text)} bytes -> {args.out}")
    if len(text) >= SIZE_LIMIT:
        sys.exit(f"tokenizer cases exceed {SIZE_LIMIT} bytes")


if __name__ == "__main__":
    main()
