#!/usr/bin/python3
"""Independent reference of the RWKV "World" tokenizer (rwkv_vocab_v20230424.txt).

Why it exists: the C++ tokenizer (a trie) must be checked against an
implementation built differently.  This one follows the "slow" algorithm of
FORMATS.md section 4.2: candidates are indexed by their first two bytes and
tried longest first; the first one that is a prefix of the remaining input
wins, otherwise the single byte is emitted.  It is deliberately simple.

The vocab file is third-party and is never copied into the repository; pass its
path.  Each line is `<id> <python literal> <byte length>`; the literal is parsed
with ast.literal_eval (a data-only literal parser), str literals are UTF-8 encoded.

Usage:
    world_tokenizer_ref.py VOCAB encode "some text"      -> prints ids
    world_tokenizer_ref.py VOCAB decode 1,2,3            -> prints text (repr)
"""
import ast
import sys


class WorldTokenizerRef:
    def __init__(self, vocab_path):
        self.id_to_bytes = {}
        self.single_byte_id = {}          # byte value -> id of the 1-byte token
        by_prefix = {}                    # (b0, b1) -> [(token bytes, id)]
        with open(vocab_path, "rb") as f:
            for raw_line in f:
                line = raw_line.decode("utf-8").rstrip("\r\n")
                if not line:
                    continue
                first, last = line.index(" "), line.rindex(" ")
                tok_id, literal, length = int(line[:first]), line[first + 1:last], int(line[last + 1:])
                value = ast.literal_eval(literal)
                tok = value.encode("utf-8") if isinstance(value, str) else value
                assert isinstance(tok, bytes) and len(tok) == length, line
                assert tok_id not in self.id_to_bytes, line
                self.id_to_bytes[tok_id] = tok
                if len(tok) == 1:
                    self.single_byte_id[tok[0]] = tok_id
                else:
                    by_prefix.setdefault((tok[0], tok[1]), []).append((tok, tok_id))
        assert len(self.single_byte_id) == 256, "every byte must be a token"
        # Longest first; among equal lengths the higher id first (never matters: tokens are unique).
        self.candidates = {k: sorted(v, key=lambda t: (-len(t[0]), -t[1])) for k, v in by_prefix.items()}

    def encode(self, data):
        """bytes -> list of ids (greedy longest match)."""
        ids, i = [], 0
        while i < len(data):
            match = None
            if i + 1 < len(data):
                for tok, tok_id in self.candidates.get((data[i], data[i + 1]), ()):
                    if data.startswith(tok, i):
                        match = (tok, tok_id)
                        break
            if match is None:
                match = (data[i:i + 1], self.single_byte_id[data[i]])
            ids.append(match[1])
            i += len(match[0])
        return ids

    def decode(self, ids):
        """list of ids -> bytes (id 0 and ids without a string decode to nothing)."""
        return b"".join(self.id_to_bytes.get(i, b"") for i in ids)


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("encode", "decode"):
        sys.exit(__doc__)
    tok = WorldTokenizerRef(sys.argv[1])
    if sys.argv[2] == "encode":
        print(",".join(map(str, tok.encode(sys.argv[3].encode("utf-8", "surrogateescape")))))
    else:
        print(repr(tok.decode([int(x) for x in sys.argv[3].split(",") if x])))


if __name__ == "__main__":
    main()
