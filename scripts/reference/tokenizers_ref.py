#!/usr/bin/env python3
"""Golden files for TokenizersTests: small BPE tokenizers TRAINED with the `tokenizers` library in each
family's configuration, variants of one base that exercise every pre-tokenizer / normalizer / added-token
option, and the library's ids and decodings on hard strings and a sample of ../shared/data texts.

  python3 scripts/reference/tokenizers_ref.py            # writes Tests/TokenizersTests/Golden/
  python3 scripts/reference/tokenizers_ref.py --full OUT # every text of ../shared/data, every tokenizer
                                                         # (and SmolLM2 when built), as OUT/<name>.jsonl

Golden layout: <base>.tokenizer.json (trained, a few hundred tokens) and cases.json:
  [{"name", "base", "patch": {top-level keys replacing the base's}, "cases": [{"text", "ids",
    "special" (ids with add_special_tokens, when they differ), "decoded" (when it is not the text)}]}]
Needs: tokenizers (0.23.3 was used).
"""
import json
import os
import sys

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
GOLDEN = os.path.join(ROOT, "Tests", "TokenizersTests", "Golden")

LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

HARD = [
    "", " ", "  ", "a", " a", "  a", "\t", "\n", "\r\n", "\n\n\n", " \n \n ", "\t\tx\t", "x  \n  y",
    "Hello, world!", " leading space", "trailing space ", "   many   spaces   between   ",
    " " * 40 + "x" + " " * 17, "\n" * 12 + "end", "\t \t \t\n\r\n\r", "a\u00a0b\u2003c\u3000d",
    "12345678901234567890", "3.14159 and 2,718 and -42", "x=1+2*3/4-5", "١٢٣ ٤٥ and ⅣⅫ and ²³",
    "I'm you're he'll they've we'd it's IT'S I'M DON'T 'sup 'S", "don't won't shan't",
    "中文分词测试：你好，世界！", "日本語のテキスト、カタカナ。", "한국어 문장입니다.",
    "emoji 😀 and 👍🏽 and family 👨‍👩‍👧‍👦 and flag 🇯🇵 and ❤️", "👩🏽‍💻🧑‍🚀",
    "e\u0301 vs \u00e9; a\u0308\u0323 n\u0303 Å Å ﬁ ﬀ ㎏ ½ Ⅸ ℌ", "Ǆ ǅ ǆ İstanbul ΣΑΣ ẞ ß",
    "مرحبا بالعالم", "שלום עולם", "mixed עברית and English and العربية",
    "<|endoftext|>", "a<|endoftext|>b", "text <|endoftext|> more", "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "<s> [INST] hi [/INST] </s>", "x<s>y</s>z", "<|begin_of_text|>hello<|eot_id|>", "[MASK] mask [MASK]  x",
    "Hello HELLO hello <day> x<day>y", "<unk> <0x41>", "def f(x):\n    return x ** 2\n\n\nprint(f(3))\n",
    "if a<b and c>d: pass  # comment\r\n", "path/to/file.py:12:3 -> ok?!", "$$\\frac{1}{2}\\sqrt{x^2+y^2}$$",
    "\u200b\u200c\u200d zero widths", "\ufeffBOM", "\x00\x01\x7f control", "ſ ﬅ K (Kelvin)",
    "Ⓐⓑ ⒈ ① fullwidth ＡＢＣ１２３", "\U0001d400\U0001d401 math bold", "a" * 300, "ab" * 150 + " " + "🙂" * 20,
]


def texts():
    """Every text field of the shared data, in file order."""
    out = []
    def add(v):
        if isinstance(v, str) and v:
            out.append(v)
        elif isinstance(v, list):
            for x in v:
                add(x)
    for rel, fields in [("gsm8k/train.jsonl", ["question", "answer"]), ("gsm8k/test.jsonl", ["question", "answer"]),
                        ("math500/test.jsonl", ["problem", "solution", "answer"]),
                        ("humaneval/HumanEval.jsonl", ["prompt", "canonical_solution", "test"]),
                        ("mbpp/mbpp.jsonl", ["text", "code", "test_list", "test_setup_code"])]:
        with open(os.path.join(DATA, rel)) as f:
            for line in f:
                r = json.loads(line)
                for k in fields:
                    add(r.get(k))
    return out


def sample(all_texts, k=16):
    """k texts spread over the data (deterministic), for the committed goldens."""
    step = max(1, len(all_texts) // k)
    return all_texts[::step][:k]


def train(tok, corpus, vocab_size, special, **kw):
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False, **kw)
    tok.train_from_iterator(corpus, trainer)
    return tok


def byte_level(corpus, pre, special, vocab=700, **model_kw):
    tok = Tokenizer(models.BPE(**model_kw))
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    return train(tok, corpus, vocab, special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())


def sentencepiece_like(corpus, metaspace_pre, vocab=700):
    """Llama 2 / Mistral: byte fallback, <0xXX> in the vocabulary (not added tokens), a small alphabet."""
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    train(tok, corpus, vocab + 256, ["<unk>", "<s>", "</s>"] + byte_tokens, limit_alphabet=60)
    d = json.loads(tok.to_str())
    d["added_tokens"] = [t for t in d["added_tokens"] if t["content"] in ("<unk>", "<s>", "</s>")]
    d["pre_tokenizer"] = metaspace_pre
    return d


def bases(corpus):
    out = {}
    gpt2 = byte_level(corpus, pre_tokenizers.ByteLevel(add_prefix_space=False), ["<|endoftext|>"])
    gpt2.post_processor = processors.ByteLevel(trim_offsets=True)
    d = json.loads(gpt2.to_str())
    d["model"]["merges"] = [" ".join(m) for m in d["model"]["merges"]]  # the older "a b" serialization
    out["gpt2"] = d

    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), "isolated"),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    llama3 = byte_level(corpus, pre, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"], ignore_merges=True)
    llama3.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])
    out["llama3"] = json.loads(llama3.to_str())

    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2), "isolated"),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    qwen2 = byte_level(corpus, pre, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    qwen2.normalizer = normalizers.NFC()
    out["qwen2"] = json.loads(qwen2.to_str())

    pre = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)])
    out["starcoder"] = json.loads(byte_level(corpus, pre, ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<file_sep>"]).to_str())

    d = sentencepiece_like(corpus, None)
    d["normalizer"] = json.loads(normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]).__getstate__())
    d["decoder"] = json.loads(decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                                 decoders.Strip(" ", 1, 0)]).__getstate__())
    d["post_processor"] = json.loads(processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)]).__getstate__())
    out["llama2"] = d

    meta = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    d = sentencepiece_like(corpus, json.loads(meta.__getstate__()))
    d["decoder"] = json.loads(decoders.Metaspace(replacement="\u2581", prepend_scheme="first").__getstate__())
    out["mistral"] = d

    tok = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.Lowercase(), normalizers.Strip()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    train(tok, corpus, 500, ["[UNK]", "[SEP]"], continuing_subword_prefix="##", end_of_word_suffix="</w>", limit_alphabet=80)
    out["affixes"] = json.loads(tok.to_str())
    return out


def variants():
    """(name, base, function(Tokenizer) -> None) exercising one option each."""
    B = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    def pre(*steps):
        return lambda t: setattr(t, "pre_tokenizer", pre_tokenizers.Sequence(list(steps) + [B]))
    def norm(n):
        return lambda t: setattr(t, "normalizer", n)
    v = []
    for b in ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]:
        v.append((f"split-regex-{b}", pre(pre_tokenizers.Split(Regex(r"\d+|[.,!?]+| "), b))))
        v.append((f"split-regex-{b}-invert", pre(pre_tokenizers.Split(Regex(r"\p{L}+"), b, invert=True))))
        v.append((f"split-string-{b}", pre(pre_tokenizers.Split(" ", b))))
        v.append((f"punctuation-{b}", pre(pre_tokenizers.Punctuation(b))))
    v += [
        ("split-regex-other", pre(pre_tokenizers.Split(Regex(r"[A-Z][a-z]*|\s+(?=\S)|\p{P}"), "isolated"))),
        ("digits-contiguous", pre(pre_tokenizers.Digits(individual_digits=False))),
        ("digits-individual", pre(pre_tokenizers.Digits(individual_digits=True))),
        ("whitespace", pre(pre_tokenizers.Whitespace())),
        ("whitespace-split", pre(pre_tokenizers.WhitespaceSplit())),
        ("metaspace-always-split", pre(pre_tokenizers.Metaspace(prepend_scheme="always", split=True))),
        ("metaspace-first", pre(pre_tokenizers.Metaspace(prepend_scheme="first", split=True))),
        ("metaspace-never-nosplit", pre(pre_tokenizers.Metaspace(prepend_scheme="never", split=False))),
        ("bytelevel-prefix-noregex", lambda t: setattr(t, "pre_tokenizer", pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False))),
        ("bytelevel-prefix-regex", lambda t: setattr(t, "pre_tokenizer", pre_tokenizers.ByteLevel(add_prefix_space=True))),
        ("nfd", norm(normalizers.NFD())), ("nfkc", norm(normalizers.NFKC())), ("nfkd", norm(normalizers.NFKD())),
        ("lowercase", norm(normalizers.Lowercase())), ("strip-left", norm(normalizers.Strip(left=True, right=False))),
        ("strip-both", norm(normalizers.Strip())),
        ("replace-regex", norm(normalizers.Replace(Regex(r"\s+"), " "))), ("prepend", norm(normalizers.Prepend("\u2581"))),
        ("normalizer-sequence", norm(normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(), normalizers.Replace("a", "aa")]))),
    ]
    def added(t):
        t.normalizer = normalizers.Lowercase()
        t.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=True, normalized=False)])
        t.add_tokens([AddedToken("<day>", single_word=True, normalized=True), AddedToken("Hello", normalized=True),
                      AddedToken("HELLO", normalized=False), AddedToken("<s>", normalized=False, special=False),
                      AddedToken("mask", single_word=True, lstrip=True, normalized=False)])
    v.append(("added-token-flags", added))
    return [(n, "gpt2", f) for n, f in v]


def cases_for(tok, texts_):
    out = []
    for t in texts_:
        ids = tok.encode(t, add_special_tokens=False).ids
        c = {"text": t, "ids": ids}
        decoded = tok.decode(ids, skip_special_tokens=False)
        if decoded != t:
            c["decoded"] = decoded
        sp = tok.encode(t, add_special_tokens=True).ids
        if sp != ids:
            c["special"] = sp
        out.append(c)
    return out


def main():
    all_texts = texts()
    corpus = all_texts[::3]
    if len(sys.argv) > 2 and sys.argv[1] == "--full":
        full(sys.argv[2], all_texts)
        return
    os.makedirs(GOLDEN, exist_ok=True)
    probe = HARD + sample(all_texts, 12)
    entries = []
    for name, d in bases(corpus).items():
        with open(os.path.join(GOLDEN, f"{name}.tokenizer.json"), "w") as f:
            json.dump(d, f, ensure_ascii=False, separators=(",", ":"))
        entries.append({"name": name, "base": name, "patch": {}, "cases": cases_for(Tokenizer.from_str(json.dumps(d)), probe)})
    for name, base, change in variants():
        with open(os.path.join(GOLDEN, f"{base}.tokenizer.json")) as f:
            bd = json.load(f)
        tok = Tokenizer.from_str(json.dumps(bd))
        change(tok)
        nd = json.loads(tok.to_str())
        patch = {k: v for k, v in nd.items() if k != "model" and bd.get(k) != v}
        entries.append({"name": name, "base": base, "patch": patch, "cases": cases_for(tok, HARD[:-3] + sample(all_texts, 2))})
    with open(os.path.join(GOLDEN, "cases.json"), "w") as f:
        json.dump({"tokenizers_version": tokenizers.__version__, "entries": entries}, f, ensure_ascii=False, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(GOLDEN, x)) for x in os.listdir(GOLDEN))
    print(f"{GOLDEN}: {len(entries)} tokenizers, {total // 1000} kB")


def full(out_dir, all_texts):
    """Expected ids for every text of the shared data: one JSONL per golden tokenizer (and SmolLM2)."""
    os.makedirs(out_dir, exist_ok=True)
    files = [(n[: -len(".tokenizer.json")], os.path.join(GOLDEN, n)) for n in sorted(os.listdir(GOLDEN)) if n.endswith(".tokenizer.json")]
    smol = os.environ.get("ST_SMOLLM2_TOKENIZER", os.path.join(ROOT, ".cache", "tokenizers", "smollm2"))
    if os.path.exists(os.path.join(smol, "tokenizer.json")):
        files.append(("smollm2", os.path.join(smol, "tokenizer.json")))
    for name, path in files:
        tok = Tokenizer.from_file(path)
        encs = tok.encode_batch(all_texts, add_special_tokens=False)
        with open(os.path.join(out_dir, f"{name}.jsonl"), "w") as f:
            for t, e in zip(all_texts, encs):
                f.write(json.dumps({"text": t, "ids": e.ids}, ensure_ascii=False) + "\n")
        print(f"{out_dir}/{name}.jsonl: {len(all_texts)} texts")


if __name__ == "__main__":
    main()
