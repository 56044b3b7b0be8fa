"""Build `sentences.json`: real texts from /work/shared/data plus hand-written edge cases.

Selection is deterministic: `random.Random(SEED)` samples line numbers from each file; the chosen
line numbers (1-based) are recorded beside every text.
"""

from __future__ import annotations

import gzip
import json
import random
from typing import Any

from common import FIXTURES_DIR, SHARED_DATA, header, log, write_json

SEED = 20240611

# How many texts to take from each source.
N_LCQMC = 45
N_CSTS = 35
N_OCNLI = 30
N_ESTS = 60
N_MSMARCO_Q = 25
N_MSMARCO_P = 15


def _lines(path) -> list[str]:
    """Records of a text file, 1-based line i at index i-1; trailing CR removed (CRLF files)."""
    if str(path).endswith(".gz"):
        raw = gzip.open(path, "rb").read().decode("utf-8")
    else:
        raw = path.read_bytes().decode("utf-8")
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def load_sources() -> dict[str, Any]:
    d = SHARED_DATA
    lcqmc = [(i + 1, ln.split("\t")) for i, ln in enumerate(_lines(d / "lcqmc" / "dev.txt"))]
    csts = [(i + 1, ln.split("\t")) for i, ln in enumerate(_lines(d / "chinese-sts-b" / "STS-B.valid.data"))]
    ocnli = [(i + 1, json.loads(ln)) for i, ln in enumerate(_lines(d / "nli" / "ocnli" / "dev.json"))]
    # English STS-B: header on line 1; TAB split only (the file has literal quotes; no quote processing).
    ests_lines = _lines(d / "english-sts-b" / "stsbenchmark.tsv.gz")
    ests = [(i + 1, ln.split("\t")) for i, ln in enumerate(ests_lines) if i > 0]
    msm = [(i + 1, ln.split("\t")) for i, ln in enumerate(_lines(d / "msmarco" / "triples.train.small.head100.tsv"))]
    return {"lcqmc": lcqmc, "csts": csts, "ocnli": ocnli, "ests": ests, "msmarco": msm}


SRC_FILES = {
    "lcqmc": "lcqmc/dev.txt",
    "csts": "chinese-sts-b/STS-B.valid.data",
    "ocnli": "nli/ocnli/dev.json",
    "ests": "english-sts-b/stsbenchmark.tsv.gz",
    "msmarco": "msmarco/triples.train.small.head100.tsv",
}


def _pick(rng: random.Random, records, n: int, get_texts, src: str, lang: str, seen: set[str], out: list):
    """Sample records in seeded order until `n` new distinct texts were taken."""
    order = list(range(len(records)))
    rng.shuffle(order)
    taken = 0
    for idx in order:
        if taken >= n:
            break
        line, rec = records[idx]
        for column, text in get_texts(rec):
            if taken >= n:
                break
            if not text or text in seen:
                continue
            seen.add(text)
            out.append((text, {"source": SRC_FILES[src], "line": line, "column": column, "lang": lang, "kind": "data"}))
            taken += 1
    assert taken == n, (src, taken, n)


# Hand-written edge cases. Escapes are explicit so the intent is visible.
EDGE_CASES: list[tuple[str, str]] = [
    ("", "empty string"),
    ("   ", "spaces only"),
    ("\t\n", "tab + newline only"),
    (" \u3000\u00a0 ", "space, ideographic space, no-break space"),
    ("   leading spaces", "leading spaces"),
    ("trailing spaces   ", "trailing spaces"),
    ("\t  both sides padded \n", "leading and trailing whitespace"),
    ("你好，世界！Hello World 123", "Chinese + English + digits"),
    ("我今天买了3个iPhone15和2台MacBook Pro，一共花了25000元。", "Chinese with embedded Latin words and numbers"),
    ("Python3.12的新特性有哪些？PEP 695和f-string改进", "Chinese/English tech question"),
    ("これはテストです。ひらがなとカタカナ、そして漢字。", "Japanese kana + kanji"),
    ("ｶﾀｶﾅ (half-width katakana) と ＡＢＣ１２３ (full-width Latin)", "half-width kana, full-width Latin"),
    ("안녕하세요, 세계! 한국어 문장입니다.", "Korean Hangul"),
    ("مرحبا بالعالم، هذه جملة عربية.", "Arabic (RTL)"),
    ("Привет, мир! Как дела? Ёлка и щука.", "Cyrillic"),
    ("ΟΔΟΣ ΣΟΦΟΣ Σίσυφος — Ελληνικά", "Greek capitals incl. final sigma (lowercasing edge)"),
    ("Café naïve façade résumé coöperate", "Latin accents (precomposed)"),
    ("Cafe\u0301 nai\u0308ve", "Latin accents as combining marks (NFD)"),
    ("ÀÉÎÕÜ àéîõü Ångström Øresund Straße İstanbul", "uppercase accents, sharp s, dotted capital I"),
    ("（全角括号）「引号」『书名』！？，。；：——……", "full-width CJK punctuation"),
    ("I love pizza 🍕🍕! So good 😋", "emoji"),
    ("Family: 👨‍👩‍👧‍👦 and 👩🏽‍💻 coding", "ZWJ emoji sequences with skin tone"),
    ("Flags 🇨🇳 🇺🇸 🇯🇵 🇩🇪 and keycap 1️⃣ heart ❤️", "regional-indicator flags, keycap, VS16"),
    ("😀😃😄😁😆😅🤣😂🙂🙃", "emoji run without spaces"),
    ("abc\u0000def", "NUL control character"),
    ("bell\u0007char and esc\u001b[0m sequence", "C0 control characters"),
    ("zero\u200bwidth\u200cjoiner\u200dtest", "zero-width space / non-joiner / joiner"),
    ("soft\u00adhyphen and \ufeffBOM inside", "soft hyphen and BOM (format chars)"),
    ("line\r\nbreak\rcarriage\u2028sep\u0085nel", "CR LF, U+2028, NEL"),
    ("replacement \ufffd char and private use \ue000", "U+FFFD and private use"),
    ("Ext-B 𠀀𠀁𠀂 and compat 丽 CJK", "CJK extension B (astral) and compatibility ideographs"),
    ("สวัสดีครับ ภาษาไทย", "Thai (no spaces, combining marks)"),
    ("नमस्ते दुनिया, यह हिंदी है।", "Devanagari (combining vowel signs)"),
    ("∑∫√∞ ≤ ≥ ≠ ± x² + y² = z² ½ ⅓", "math symbols, superscripts, vulgar fractions"),
    ("3.14159 1,000,000 2024-06-01 12:30:45 -42 +7 1e-9", "numbers, dates, signs"),
    ("Hello!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&&", "punctuation runs"),
    ("Visit https://example.com/path?q=1&x=2#frag or mail foo.bar@example.org", "URL and e-mail"),
    ("[CLS] [SEP] [MASK] [PAD] [UNK] special tokens typed in text", "special-token strings inside text"),
    ("ThE QuIcK BrOwN FoX JuMpS OvEr ThE LaZy DoG", "mixed case"),
    ("ALL CAPS SENTENCE WITH ACRONYMS NASA FBI HTTP", "all caps"),
    ("don't won't it's l'homme O'Neil rock'n'roll", "apostrophes"),
    ("“Curly quotes” ‘single’ «guillemets» „German“", "typographic quotes"),
    ("tab\tseparated\tvalues\tand  double  spaces", "tabs and double spaces"),
    ("a", "single letter"),
    ("。", "single CJK full stop"),
    ("中", "single CJK char"),
    ("pneumonoultramicroscopicsilicovolcanoconiosis" * 3, "very long single word (135 chars; > WordPiece max_input_chars_per_word=100)"),
    ("x" * 99 + " " + "y" * 100 + " " + "z" * 101, "words of 99, 100, 101 chars (WordPiece 100-char limit boundary)"),
    ("超长中文无空格" * 30, "long Chinese run without spaces (210 chars)"),
    ("#hashtag @mention <html>&amp;</html> {json: [1, 2]}", "markup-ish"),
]


def build_long_texts(ests_sentences: list[str], zh_sentences: list[str]) -> list[tuple[str, str]]:
    """Texts far beyond 512 tokens, made by joining real sentences."""
    out = []
    en = ""
    i = 0
    while len(en) < 3000:
        en += ests_sentences[i % len(ests_sentences)] + " "
        i += 1
    out.append((en.strip(), f"~3000-char English text: {i} STS-B sentences joined with spaces"))
    zh = ""
    j = 0
    while len(zh) < 1200:
        zh += zh_sentences[j % len(zh_sentences)]
        j += 1
    out.append((zh, f"~1200-char Chinese text: {j} Chinese sentences concatenated"))
    return out


def build() -> dict[str, Any]:
    src = load_sources()
    rng = random.Random(SEED)
    seen: set[str] = set()
    data: list[tuple[str, dict]] = []

    _pick(rng, src["lcqmc"], N_LCQMC, lambda r: [("sentence1", r[0]), ("sentence2", r[1])], "lcqmc", "zh", seen, data)
    _pick(rng, src["csts"], N_CSTS, lambda r: [("sentence1", r[0]), ("sentence2", r[1])], "csts", "zh", seen, data)
    _pick(rng, src["ocnli"], N_OCNLI, lambda r: [("sentence1", r["sentence1"])], "ocnli", "zh", seen, data)
    _pick(rng, src["ests"], N_ESTS, lambda r: [("sentence1", r[6]), ("sentence2", r[7])], "ests", "en", seen, data)
    _pick(rng, src["msmarco"], N_MSMARCO_Q, lambda r: [("query", r[0])], "msmarco", "en", seen, data)
    _pick(rng, src["msmarco"], N_MSMARCO_P, lambda r: [("positive", r[1])], "msmarco", "en", seen, data)

    en_sents = [t for t, m in data if m["source"] == SRC_FILES["ests"]]
    zh_sents = [t for t, m in data if m["lang"] == "zh"]
    for text, note in EDGE_CASES:
        data.append((text, {"lang": "mixed", "kind": "edge", "note": note}))
    for text, note in build_long_texts(en_sents, zh_sents):
        data.append((text, {"lang": "en" if text.isascii() else "zh", "kind": "long", "note": note}))

    texts = [t for t, _ in data]
    meta = [m for _, m in data]

    # ---- pairs ----
    prng = random.Random(SEED + 1)
    pairs: list[tuple[str, str, dict]] = []

    def sample_pairs(records, n, get, src_key, note):
        idxs = prng.sample(range(len(records)), n)
        for k in idxs:
            line, rec = records[k]
            a, b = get(rec)
            pairs.append((a, b, {"source": SRC_FILES[src_key], "line": line, "kind": "data", "note": note}))

    sample_pairs(src["lcqmc"], 8, lambda r: (r[0], r[1]), "lcqmc", "LCQMC question pair")
    sample_pairs(src["csts"], 5, lambda r: (r[0], r[1]), "csts", "Chinese STS-B pair")
    sample_pairs(src["ocnli"], 5, lambda r: (r["sentence1"], r["sentence2"]), "ocnli", "OCNLI premise/hypothesis")
    sample_pairs(src["ests"], 8, lambda r: (r[6], r[7]), "ests", "English STS-B pair")
    sample_pairs(src["msmarco"], 6, lambda r: (r[0], r[1]), "msmarco", "query + positive passage (short + long)")
    sample_pairs(src["msmarco"], 3, lambda r: (r[1], r[0]), "msmarco", "passage + query (long + short)")
    sample_pairs(src["msmarco"], 3, lambda r: (r[1], r[2]), "msmarco", "positive + negative passage (both long)")

    long_en = texts[-2]
    long_zh = texts[-1]
    hand = [
        (long_en, "A short second text.", "very long + short"),
        ("short first", long_en, "short + very long"),
        (long_en, long_zh, "both very long"),
        (long_zh, long_zh, "identical very long texts"),
        ("How old are you?", "", "empty second text"),
        ("", "How old are you?", "empty first text"),
        ("", "", "both empty"),
        ("你好吗？", "   ", "whitespace-only second text"),
        ("今天天气很好 The weather is nice", "明天会下雨吗？Will it rain tomorrow?", "mixed-script pair"),
        ("I love pizza 🍕", "👨‍👩‍👧‍👦 family time 🇨🇳", "emoji pair"),
        ("Café naïve", "ΟΔΟΣ ΣΟΦΟΣ", "accents + Greek"),
        ("a " * 40, "b " * 3, "40 one-token words + 3 one-token words"),
        ("a " * 5, "b " * 5, "equal short lengths (tie in longest_first)"),
        ("a " * 20, "b " * 20, "equal lengths 20/20 (tie in longest_first)"),
        ("a " * 21, "b " * 20, "lengths 21/20"),
    ]
    for a, b, note in hand:
        pairs.append((a, b, {"kind": "edge", "note": note}))

    assert len(texts) >= 260, len(texts)
    assert sum(1 for m in meta if m["lang"] == "zh" and m["kind"] == "data") >= 100
    assert sum(1 for m in meta if m["lang"] == "en" and m["kind"] == "data") >= 80
    assert len(pairs) >= 40, len(pairs)

    doc = header(
        "sentences",
        "Texts and text pairs shared by all @sbert/core parity fixtures. `texts[i]` is described by "
        "`text_meta[i]` (source file under /work/shared/data, 1-based line, column) or is a hand-written edge "
        "case; `pairs[i]` = [a, b] is described by `pair_meta[i]`.",
    )
    doc["selection"] = {
        "seed": SEED,
        "method": "random.Random(seed).shuffle of record indices per source, in the order lcqmc, csts, ocnli, "
        "ests, msmarco-queries, msmarco-positives, taking the first unseen non-empty texts; pairs use "
        "random.Random(seed + 1).sample. English STS-B is split on TAB only (no quote processing), CR stripped.",
        "counts": {
            "lcqmc": N_LCQMC,
            "chinese_sts_b": N_CSTS,
            "ocnli": N_OCNLI,
            "english_sts_b": N_ESTS,
            "msmarco_queries": N_MSMARCO_Q,
            "msmarco_passages": N_MSMARCO_P,
            "edge": len(EDGE_CASES),
            "long": 2,
            "total": len(texts),
            "pairs": len(pairs),
        },
    }
    doc["texts"] = texts
    doc["text_meta"] = meta
    doc["pairs"] = [[a, b] for a, b, _ in pairs]
    doc["pair_meta"] = [m for _, _, m in pairs]
    return doc


def main() -> dict[str, Any]:
    doc = build()
    path = FIXTURES_DIR / "sentences.json"
    write_json(path, doc, indent=1)
    log(f"wrote {path} ({len(doc['texts'])} texts, {len(doc['pairs'])} pairs)")
    return doc


def load() -> dict[str, Any]:
    from common import read_json

    return read_json(FIXTURES_DIR / "sentences.json")
