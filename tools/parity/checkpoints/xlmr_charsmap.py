#!/usr/bin/env python3
"""XLM-RoBERTa tokenizer with a real SentencePiece `precompiled_charsmap`, and the ids transformers gives.

    tools/parity/.venv/bin/python tools/parity/checkpoints/xlmr_charsmap.py

XLM-R and the paraphrase-multilingual-* models normalise text with a `Precompiled` normaliser: the
`nmt_nfkc` rule of SentencePiece compiled into a byte trie (NFKC plus SentencePiece's own replacements:
control characters dropped, odd spaces turned into " ", ...). The other XLM-R fixtures have no
normaliser, so this script:

1. trains a SentencePiece Unigram model (`normalization_rule_name="nmt_nfkc"`, as XLM-R's, with
   <unk>=0 <s>=1 </s>=2 as in fairseq's models) on the core fixtures' Chinese/English corpus from
   /work/shared/data plus the hand-written multilingual sentences and character pools below;
2. converts the `.model` the way transformers 5 does for `XLMRobertaTokenizer` (`from_pretrained` on a
   directory holding `sentencepiece.bpe.model`) and saves it: `tokenizer.json` then carries the real
   charsmap;
3. writes the ids `AutoTokenizer` (transformers 5.23, Rust tokenizers 0.23.3) gives for several hundred
   strings rich in characters the charsmap rewrites, and, where they differ, the ids of
   `tokenizers.Tokenizer.from_file` and of SentencePiece itself.

Writes tools/parity/fixtures/checkpoints/:
  xlm-roberta-charsmap/                 tokenizer.json + tokenizer_config.json (+ special_tokens_map.json)
  xlm-roberta-charsmap.expected.json    per string: text, kind, ids, the Rust normaliser's output
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import shutil
import sys
import unicodedata
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "core"))

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from common import PARITY_DIR, rel  # noqa: E402
from vocab import corpus  # noqa: E402  (the core fixtures' training corpus from /work/shared/data)

OUT = PARITY_DIR / "fixtures" / "checkpoints"
TOK_DIR = OUT / "xlm-roberta-charsmap"
EXPECTED = OUT / "xlm-roberta-charsmap.expected.json"
WORK = PARITY_DIR / ".work" / "xlmr-charsmap"
COMMAND = "tools/parity/.venv/bin/python tools/parity/checkpoints/xlmr_charsmap.py"
SEED = 8

SPM_ARGS: dict[str, Any] = dict(
    model_type="unigram",
    vocab_size=2500,
    character_coverage=0.9995,
    normalization_rule_name="nmt_nfkc",
    unk_id=0,
    bos_id=1,
    eos_id=2,
    pad_id=-1,
    num_threads=1,
    input_sentence_size=0,
    shuffle_input_sentence=False,
    seed_sentencepiece_size=200000,
    max_sentencepiece_length=16,
)

# Hand-written sentences in scripts the shared data lacks (training text and test strings).
SENTENCES = [
    "Привет, как дела? Сегодня хорошая погода.",
    "Москва — столица России, а Киев — столица Украины.",
    "Καλημέρα σας! Η Αθήνα είναι μια όμορφη πόλη.",
    "ΟΔΥΣΣΕΥΣ ΚΑΙ ΠΗΝΕΛΟΠΗ ΣΤΗΝ ΙΘΑΚΗ",
    "مرحبا بكم في المدينة، كيف حالكم اليوم؟",
    "اللغة العربية جميلة جداً وتُكتب من اليمين إلى اليسار.",
    "नमस्ते, आप कैसे हैं? मैं ठीक हूँ।",
    "भारत की राजधानी नई दिल्ली है और हिंदी वहाँ की भाषा है।",
    "สวัสดีครับ วันนี้อากาศดีมาก ขอบคุณที่มา",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ น้ำใจ กำลัง",
    "안녕하세요. 오늘 날씨가 정말 좋네요!",
    "한국어는 한글로 씁니다. 서울은 대한민국의 수도입니다.",
    "こんにちは。今日はいい天気ですね。",
    "東京はカタカナとひらがなで書きます。コーヒーをください。",
    "שלום עולם, מה שלומך היום?",
    "Xin chào, tôi tên là Nguyễn. Tiếng Việt có nhiều dấu.",
    "Ça va très bien, merci ! L'été dernier était chaud.",
    "Größe, Straße und Übermäßigkeit sind deutsche Wörter.",
    "Él pidió un café y una tostada con aceite, señor.",
    "Türkçe öğrenmek çok güzel; İstanbul büyük bir şehir.",
    "Zażółć gęślą jaźń — polskie znaki diakrytyczne.",
    "Հայերեն լեզու և ქართული ენა",
    "ኢትዮጵያ አማርኛ ቋንቋ",
    "தமிழ் மொழி மிகவும் பழமையானது",
    "বাংলা ভাষা সুন্দর",
]

# Characters the nmt_nfkc charsmap rewrites (or that are easy to get wrong around it).
POOLS: dict[str, str] = {
    "fullwidth": "ＡＢＣＸＹＺａｂｃｘｙｚ０１２３９！？（）［］｛｝＠＃＄％＆＊＋－／：；＜＝＞＼＾＿｀｜～｟｠￠￡￢￣￤￥￦",
    "halfwidth": "｡｢｣､･ｦｧｱｲｳｴｵｶｷｸｹｺﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟ￨￩￪￫￬￭￮ﾠﾡﾢﾣﾤﾥﾦﾧ",
    "ligatures": "ﬀﬁﬂﬃﬄﬅﬆĲĳǄǅǆǇǈǉǊǋǌﬓﬔﬕﬖﬗŉ",
    "compat": "℃℉№™℡℻㎏㎞㎡㍿㈱㈲㊤㊥½¼¾⅓⅛²³¹⁰⁴₁₂µſ﹏︰﹐﹑﹒﹔﹕﹖﹗ㄱㄴㅏㅑㆍ㋀㍻㌀㌔㍱ｰ〜‥…′″‴ΩKÅ",
    "combining": "\u0301\u0300\u0308\u0327\u0303\u030a\u0323\u0331\u05b4\u093c\u0e31\u0e48\u3099\u309a\u20dd\u0345",
    "arabic": "ﻻﷺ﷽ﺍﺏﺑﺒﺐﻠﻼﭐﭑﮰﯾﹰﹱﹲ\u0640ـﷲ",
    "indic": "क़ख़ग़ज़ड़ढ़फ़य़ড়ঢ়য়ਲ਼ਸ਼ਖ਼ୟ\u0950ॐ",
    "thai": "ำแเกไโใ\u0e4dาๆ฿",
    "korean": "가각힣각히",
    "kana": "がぎぐガギグヴゔ゛゜ゟヿ㋐㋾㌀",
    "emoji": "😀👍🏽❤️🇯🇵👨‍👩‍👧1️⃣✈︎☺️🧑🏿‍🚀🏳️‍🌈",
    "zero_width": "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f\ufe0f\ufe00\u2061\u2062\u2063\u2064\u206a",
    "control": "\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x85\x8f\x9f\u061c\u200e\u200f\u202a\u202e\u2066\u2069",
    "spaces": "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u2581",
    "circled": "①②⑨⑩⑳㉑㊿⓪⓵ⓐⓩⒶⓏ⑴⑵⒈⒉⒜⒵㈠㉠㉮🄐🄰🅐🅰⓿❶➀",
    "roman": "ⅠⅡⅢⅣⅫⅬⅭⅮⅯⅰⅱⅲⅻⅿↀↁ↉ↈ",
    "math": "𝐀𝐁𝐚𝕏𝕪𝟎𝟗𝒜𝔄ℂℍℕℙℚℝℤℎℏℓ℮ℯⅅⅆⅇ",
    "super_sub": "ᵃᵇᶜʰʲˡˢˣ⁺⁻⁼⁽⁾ⁿ₊₋₌₍₎ₐₑₒ",
    "cjk_compat": "豈更車賈滑串句龜契金喇奈懶癩羅蘿螺裸邏樂洛\U0002f800\U0002f801\U0002fa1d⺟⻳⼀⼁⿕",
    "misc": "ẛ\u0323ΐΰϓϔϐϑϕϖϰϱϲϴϵϹ\u1e9bﬞ\ufb1d\ufb2aשׁ\u0f77\u0f79ᾳᾼῳ\u0387\u037e\u2126\u212b\u2024\u2025\u2047\u2048\u2049\u203c",
    "specials_text": "▁<s></s><pad><mask><unk>",
    "other": "\ufffd\ue000\uf8ff\U000f0000\ufffe\uffff\U0001f600\U00020000\U00020001\u4e00\u9fff",
}

BASE_WORDS = ["hello", "world", "Straße", "中文", "日本語", "ภาษา", "한국", "नमस्ते", "مرحبا", "test", "ok"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def all_pool_chars() -> list[str]:
    """Every pool entry split into user-perceived units that make sense alone (emoji sequences kept)."""
    import regex

    out: list[str] = []
    for name, pool in POOLS.items():
        if name in ("combining", "zero_width", "control", "spaces"):
            out += list(pool)
        else:
            out += regex.findall(r"\X", pool)
    return out


def training_texts(rng: random.Random) -> list[str]:
    # The corpus is two-thirds Chinese: 3000 of its Chinese texts keep the vocabulary from being
    # mostly single ideographs (rarer ideographs stay unknown).
    texts = corpus()
    chinese = [t for t in texts if any(0x4E00 <= ord(c) <= 0x9FFF for c in t)]
    texts = [t for t in texts if not any(0x4E00 <= ord(c) <= 0x9FFF for c in t)] + chinese[:: len(chinese) // 3000][:3000]
    # Multilingual sentences and pool characters inside words, repeated so that SentencePiece keeps
    # pieces for the normalised forms of many of them (and leaves a few unknown).
    chars = all_pool_chars()
    extra: list[str] = []
    for _ in range(30):
        extra += SENTENCES
    for _ in range(3000):
        words = [rng.choice(BASE_WORDS) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(words) + 1)
            words.insert(i, "".join(rng.choice(chars) for _ in range(rng.randint(1, 3))))
        extra.append(" ".join(words))
    return texts + extra


def train_spm(texts: list[str]) -> bytes:
    import sentencepiece as spm

    spm.set_random_generator_seed(SEED)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=buf, minloglevel=2, **SPM_ARGS)
    return buf.getvalue()


def test_strings(rng: random.Random) -> list[dict[str, str]]:
    """Several hundred strings: every pool character alone, inside words and between spaces; the
    multilingual sentences (plain, NFD, with odd spaces); seeded random mixes; real data lines."""
    import regex

    cases: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(text: str, kind: str) -> None:
        if text not in seen:
            seen.add(text)
            cases.append({"text": text, "kind": kind})

    for name, pool in POOLS.items():
        units = list(pool) if name in ("combining", "zero_width", "control", "spaces") else regex.findall(r"\X", pool)
        add(pool, f"{name}:pool")
        add(" ".join(units), f"{name}:spaced")
        for j, u in enumerate(units):
            w = BASE_WORDS[j % len(BASE_WORDS)]
            if j % 2 == 0 or name in ("control", "zero_width", "spaces", "combining"):
                add(f"{w}{u}{w}", f"{name}:inside")
            if j % 4 == 0:
                add(u, f"{name}:alone")
        # Each unit after a base letter (combining sequences and grapheme clusters that straddle the
        # boundary of a charsmap entry).
        add("".join("a" + u for u in units), f"{name}:after-a")
        add("".join("Ａ" + u for u in units), f"{name}:after-fullwidth")
    for s in SENTENCES:
        add(s, "sentence")
        add(unicodedata.normalize("NFD", s), "sentence:nfd")
        add(unicodedata.normalize("NFKD", s), "sentence:nfkd")
        add(s.replace(" ", "\u00a0"), "sentence:nbsp")
        add(s.replace(" ", "\u3000\u200b"), "sentence:ideographic-space+zwsp")
    # Combining sequences whose NFKC composes across a charsmap entry.
    for base in ["e", "E", "a", "o", "n", "s", "Ａ", "ｅ", "ſ", "ﬁ", "K", "Å", "α", "ω", "и", "ｶ", "ﾊ", "か", "ᄀ", "가"]:
        for marks in ["\u0301", "\u0308\u0301", "\u0323\u0302", "\u3099", "\u0345", "\u0301\u0301\u0301"]:
            add(f"x{base}{marks}y {base}{marks}", "combining:sequence")
    # Hangul: conjoining jamo, compatibility jamo, half-width jamo.
    for s in ["\u1100\u1161", "\u1100\u1161\u11a8", "\u1112\u1175\u11ab", "\u110b\u1173\u11af", "ㄱㅏ", "ﾡﾢ", "\uffa1\uffc2", "가\u11a8", "한\u1100\u1161\u11a8국"]:
        add(f"{s} {s}{s}", "korean:jamo")
    # Japanese half-width katakana with voiced marks.
    for s in ["ｶﾞｷﾞｸﾞ", "ﾊﾟﾋﾟﾌﾟ", "ｳﾞｧｲｵﾘﾝ", "ｺｰﾋｰ", "ﾃﾞｰﾀﾍﾞｰｽ", "か\u3099き\u3099", "ｶ\u3099", "ﾊ\u309a"]:
        add(f"{s} と {s}", "kana:halfwidth")
    # Seeded random mixes of pool characters and words.
    chars = all_pool_chars()
    for k in range(100):
        parts: list[str] = []
        for _ in range(rng.randint(2, 8)):
            r = rng.random()
            if r < 0.35:
                parts.append(rng.choice(BASE_WORDS))
            elif r < 0.5:
                parts.append(rng.choice([" ", "  ", "\t", "\u3000", "\u00a0", " \u200b "]))
            else:
                parts.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 4))))
        add("".join(parts), "random")
    # Real data lines (Chinese / English) with their full-width punctuation.
    texts = corpus()
    for t in rng.sample(texts, 20):
        add(t, "data")
    for t in [t for t in texts if any(0xFF01 <= ord(c) <= 0xFF5E for c in t)][:10]:
        add(t, "data:fullwidth")
    # Whitespace-only and empty-ish strings.
    for s in ["", " ", "\u200b", "\u3000", "\x7f", "\t\n", "\u00a0\u00a0a\u00a0\u00a0", "\ufeffhello", "a\u200db", "▁", "▁▁a▁"]:
        add(s, "edge")
    return cases


def visible_json(obj: Any) -> str:
    """JSON with letters as they are and every invisible or combining character as a \\u escape."""
    raw = json.dumps(obj, ensure_ascii=False)

    def esc(ch: str) -> str:
        if unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Mc", "Co", "Cs", "Cn") or ch == " ":
            return ch
        units = ch.encode("utf-16-be")
        return "".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2))

    return "".join(esc(ch) for ch in raw)


def versions() -> dict[str, str]:
    import platform

    import sentencepiece
    import tokenizers
    import transformers

    return {"python": platform.python_version(), "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__, "sentencepiece": sentencepiece.__version__}


def main() -> None:
    import sentencepiece as spm
    import tokenizers
    from transformers import AutoTokenizer, XLMRobertaTokenizer

    rng = random.Random(SEED)
    texts = training_texts(rng)
    log(f"training SentencePiece on {len(texts)} texts")
    model = train_spm(texts)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    (WORK / "sentencepiece.bpe.model").write_bytes(model)

    # transformers' own conversion of the .model (SentencePieceExtractor + XLMRobertaConverter.convert_from_spm).
    slow_dir = WORK / "from-model"
    slow_dir.mkdir()
    shutil.copy(WORK / "sentencepiece.bpe.model", slow_dir / "sentencepiece.bpe.model")
    converted = XLMRobertaTokenizer.from_pretrained(str(slow_dir))
    shutil.rmtree(TOK_DIR, ignore_errors=True)
    converted.save_pretrained(str(TOK_DIR))
    # Keep the committed fixture small: the .model duplicates the charsmap and the vocabulary.
    for f in TOK_DIR.iterdir():
        if f.name not in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            f.unlink()
    tj = json.loads((TOK_DIR / "tokenizer.json").read_text(encoding="utf-8"))
    # Same content without the indentation (the charsmap and vocabulary are most of the file).
    (TOK_DIR / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    norm = tj["normalizer"]
    assert norm["type"] == "Precompiled", f"expected a lone Precompiled normaliser in the saved tokenizer.json: {norm}"
    charsmap = base64.b64decode(norm["precompiled_charsmap"])
    from sentencepiece import sentencepiece_model_pb2 as pb  # type: ignore[attr-defined]

    mp = pb.ModelProto()
    mp.ParseFromString(model)
    assert mp.normalizer_spec.name == "nmt_nfkc", mp.normalizer_spec.name
    assert mp.normalizer_spec.precompiled_charsmap == charsmap, "tokenizer.json's charsmap is not the model's"

    # The hub's XLM-R tokenizer.json layout (Precompiled + Replace(" {2,}") normaliser, lone Metaspace
    # pre-tokeniser): transformers 5 rebuilds its own pipeline from it, so the ids must not change.
    hub_dir = WORK / "hub-style"
    shutil.copytree(TOK_DIR, hub_dir)
    hub = dict(tj)
    hub["normalizer"] = {"type": "Sequence", "normalizers": [norm, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    hub["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    (hub_dir / "tokenizer.json").write_text(json.dumps(hub, ensure_ascii=False), encoding="utf-8")

    auto = AutoTokenizer.from_pretrained(str(TOK_DIR))
    auto_hub = AutoTokenizer.from_pretrained(str(hub_dir))
    rust = tokenizers.Tokenizer.from_file(str(TOK_DIR / "tokenizer.json"))
    precompiled = tokenizers.normalizers.Precompiled(charsmap)
    sp = spm.SentencePieceProcessor(model_proto=model)

    cases = test_strings(random.Random(SEED + 1))
    n_rust_diff = n_spm_diff = 0
    out_cases = []
    for c in cases:
        text = c["text"]
        ids = auto(text)["input_ids"]
        assert auto_hub(text)["input_ids"] == ids, f"hub-style tokenizer.json gives other ids for {text!r}"
        rust_ids = rust.encode(text).ids
        # SentencePiece itself (its own normaliser): fairseq ids = spm id + 1, <unk> (spm 0) = 3.
        spm_ids = [0] + [3 if i == 0 else i + 1 for i in sp.encode(text)] + [2]
        entry: dict[str, Any] = {**c, "ids": ids, "normalized": precompiled.normalize_str(text)}
        if rust_ids != ids:
            entry["rust_ids"] = rust_ids
            n_rust_diff += 1
        if spm_ids != ids:
            entry["sentencepiece_ids"] = spm_ids
            n_spm_diff += 1
        out_cases.append(entry)
    log(f"{len(cases)} strings; Rust Tokenizer.from_file differs on {n_rust_diff}, SentencePiece on {n_spm_diff}")

    doc = {
        "description": "XLM-RoBERTa tokenizer (SentencePiece Unigram, nmt_nfkc precompiled charsmap) converted by "
        "transformers 5; `ids` = AutoTokenizer.from_pretrained(tokenizer_dir)(text)['input_ids'] (special tokens, "
        "no truncation), also checked equal for the hub's tokenizer.json layout (Sequence[Precompiled, "
        "Replace(' {2,}')] + Metaspace); `normalized` = tokenizers.normalizers.Precompiled(charsmap)"
        ".normalize_str(text); `rust_ids` (tokenizers.Tokenizer.from_file on tokenizer.json) and "
        "`sentencepiece_ids` (SentencePiece's own encode + fairseq offset) only where they differ from `ids`.",
        "generated_by": COMMAND,
        "versions": versions(),
        "tokenizer_dir": rel(TOK_DIR),
        "sentencepiece_trainer": {**SPM_ARGS, "random_seed": SEED, "training_texts": len(texts)},
        "charsmap_bytes": len(charsmap),
        "vocab_size": len(tj["model"]["vocab"]),
        "hub_style_same_ids": True,
        "summary": {"strings": len(cases), "rust_from_file_differs": n_rust_diff, "sentencepiece_differs": n_spm_diff},
    }
    # One case per line: readable diffs, small file.
    head = json.dumps(doc, ensure_ascii=True, indent=1)[:-2]
    lines = ",\n".join("  " + visible_json(c) for c in out_cases)
    EXPECTED.write_text(f"{head},\n \"cases\": [\n{lines}\n ]\n}}\n", encoding="utf-8")
    json.loads(EXPECTED.read_text(encoding="utf-8"))
    log(f"wrote {rel(EXPECTED)} and {rel(TOK_DIR)}/")


if __name__ == "__main__":
    main()
