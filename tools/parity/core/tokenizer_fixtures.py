"""Tokenizer fixtures `tokenizer-<name>.json`: ids for every text and pair of sentences.json.

For each tokenizer and max_length, every text (and every pair) is tokenized exactly as a
SentenceTransformer 6.2 does it (`Transformer.preprocess`, i.e. tokenizer(batch, padding=True,
truncation="longest_first", return_tensors="pt") with tokenizer.model_max_length = max_seq_length).
Ids are stored UNPADDED per text (one call per text; a whole-batch call stripped with the attention mask
is checked to give the same ids). Each fixture also states whether the ST 5-style manual call
(`str(s).strip()`, lower-cased when ST's do_lower_case is set, then tokenizer(..., max_length=L)) gives
identical ids.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

from common import FIXTURES_DIR, MINILM_DIR, MODELS_DIR, VOCAB_DIR, WORK_DIR, header, log, rel, write_json


def _describe(tok) -> dict[str, Any]:
    bt = tok.backend_tokenizer
    j = json.loads(bt.to_str())
    return {
        "class": tok.__class__.__name__,
        "vocab_size": len(tok.get_vocab()),
        "normalizer": j.get("normalizer"),
        "pre_tokenizer": j.get("pre_tokenizer"),
        "post_processor": j.get("post_processor"),
        "wordpiece": {k: v for k, v in j["model"].items() if k != "vocab"},
        "special_tokens": {
            "pad": [tok.pad_token, tok.pad_token_id],
            "unk": [tok.unk_token, tok.unk_token_id],
            "cls": [tok.cls_token, tok.cls_token_id],
            "sep": [tok.sep_token, tok.sep_token_id],
            "mask": [tok.mask_token, tok.mask_token_id],
        },
        "init_kwargs": {k: v for k, v in tok.init_kwargs.items()
                        if k in ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "model_max_length",
                                 "max_length", "truncation_strategy", "padding_side", "truncation_side")},
    }


def _lowercases(tok) -> dict[str, Any]:
    """Whether the effective normalizer lowercases, and by which component."""
    norm = json.loads(tok.backend_tokenizer.to_str()).get("normalizer") or {}
    parts = norm.get("normalizers", [norm]) if norm.get("type") == "Sequence" else [norm]
    by = [p["type"] for p in parts if p.get("type") == "Lowercase" or (p.get("type") == "BertNormalizer" and p.get("lowercase"))]
    bert = next((p for p in parts if p.get("type") == "BertNormalizer"), {})
    strip = bert.get("strip_accents")
    return {
        "lowercases": bool(by),
        "by": by,
        "strips_accents": bool(strip) or (strip is None and bool(bert.get("lowercase"))),
    }


def _unpad(features, i: int) -> dict[str, list[int]]:
    n = int(features["attention_mask"][i].sum())
    out = {"input_ids": features["input_ids"][i, :n].tolist()}
    out["token_type_ids"] = features["token_type_ids"][i, :n].tolist() if "token_type_ids" in features else None
    out["attention_mask"] = features["attention_mask"][i, :n].tolist()
    # Right padding only: the kept positions must all be real tokens.
    assert all(v == 1 for v in out["attention_mask"])
    return out


def _columns(rows: list[dict[str, list[int]]]) -> dict[str, list[list[int]]]:
    return {k: [r[k] for r in rows] for k in ("input_ids", "token_type_ids", "attention_mask")}


def run_tokenizer(preprocess: Callable[[list], Any], manual: Callable[[list, int], Any], inputs: list, max_length: int,
                  tok) -> dict[str, Any]:
    """Tokenize `inputs` (texts or (a, b) tuples) one per call, and check batch == single == manual."""
    singles = [_unpad(preprocess([x]), 0) for x in inputs]
    batch = preprocess(inputs)
    batched = [_unpad(batch, i) for i in range(len(inputs))]
    assert batched == singles, "whole-batch ids differ from per-text ids"
    man = manual(inputs, max_length)
    manual_rows = [_unpad(man, i) for i in range(len(inputs))]
    manual_diff = [i for i, (a, b) in enumerate(zip(singles, manual_rows)) if a != b]
    # Lengths without truncation (so tests can tell which texts were cut).
    if isinstance(inputs[0], tuple):
        full = [len(tok(a, b, truncation=False)["input_ids"]) for a, b in inputs]
    else:
        full = [len(tok(x, truncation=False)["input_ids"]) for x in inputs]
    return {
        **_columns(singles),
        "untruncated_lengths": full,
        "truncated": [i for i, (r, n) in enumerate(zip(singles, full)) if len(r["input_ids"]) < n],
        "manual_st5_call_differs_at": manual_diff,
    }


def _manual_factory(tok, st_lower: bool):
    def manual(inputs: list, max_length: int):
        def prep(s: str) -> str:
            s = str(s).strip()
            return s.lower() if st_lower else s

        if isinstance(inputs[0], tuple):
            a = [prep(x[0]) for x in inputs]
            b = [prep(x[1]) for x in inputs]
            return tok(a, b, padding=True, truncation="longest_first", return_tensors="pt", max_length=max_length)
        return tok([prep(x) for x in inputs], padding=True, truncation="longest_first", return_tensors="pt",
                   max_length=max_length)

    return manual


def _st_preprocess(model, max_length: int):
    model.max_seq_length = max_length
    assert model[0].tokenizer.model_max_length == max_length

    def pre(inputs: list):
        return model.preprocess(inputs)

    return pre


def _plain_preprocess(tok, max_length: int):
    """What ST's Transformer.preprocess does for a text tokenizer, for tokenizers not inside a model."""
    tok.model_max_length = max_length

    def pre(inputs: list):
        if isinstance(inputs[0], tuple):
            return tok(list(inputs), padding=True, truncation="longest_first", return_tensors="pt")
        return tok(inputs, padding=True, truncation="longest_first", return_tensors="pt")

    return pre


def _vocab_only_tokenizer(vocab_file: Path, lowercase: bool):
    from transformers import BertTokenizer

    d = WORK_DIR / f"vocab-only-{vocab_file.stem}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    shutil.copy(vocab_file, d / "vocab.txt")
    tok = BertTokenizer.from_pretrained(str(d), do_lower_case=lowercase, tokenize_chinese_chars=True)
    # Same as constructing directly from the file.
    tok2 = BertTokenizer(vocab=str(vocab_file), do_lower_case=lowercase, tokenize_chinese_chars=True)
    assert json.loads(tok.backend_tokenizer.to_str())["normalizer"] == json.loads(tok2.backend_tokenizer.to_str())["normalizer"]
    assert tok.get_vocab() == tok2.get_vocab()
    return tok


def specs() -> list[dict[str, Any]]:
    from loadlog import load_model

    out = []

    minilm, _ = load_model(str(MINILM_DIR))
    out.append({
        "name": "minilm",
        "tok": minilm[0].tokenizer,
        "st_lower": bool(minilm[0].do_lower_case),
        "max_lengths": [512, 256, 16],
        "pre": lambda L, m=minilm: _st_preprocess(m, L),
        "files_used": [rel(MINILM_DIR / f) for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                                     "sentence_bert_config.json", "config.json")],
        "construction": "SentenceTransformer('.cache/models/all-MiniLM-L6-v2', device='cpu'); its Transformer loads "
        "the tokenizer with AutoProcessor.from_pretrained (tokenizer.json wins; tokenizer_config.json says "
        "do_lower_case=true). ST max_seq_length is 256 on disk (sentence_bert_config.json); each max_length "
        "here is applied with model.max_seq_length = L. NB: tokenizer.json itself carries "
        "truncation.max_length=128 and padding Fixed(128); transformers ignores/overrides both.",
        "default_max_seq_length": 256,
    })

    tiny, _ = load_model(str(MODELS_DIR / "tiny-mean"))
    out.append({
        "name": "tiny-json",
        "tok": tiny[0].tokenizer,
        "st_lower": bool(tiny[0].do_lower_case),
        "max_lengths": [32, 8],
        "pre": lambda L, m=tiny: _st_preprocess(m, L),
        "files_used": [rel(MODELS_DIR / "tiny-mean" / f) for f in ("tokenizer.json", "tokenizer_config.json")],
        "construction": "SentenceTransformer('tools/parity/fixtures/core/models/tiny-mean'); tokenizer from its "
        "tokenizer.json (uncased tiny vocab, BertNormalizer lowercase=true).",
        "default_max_seq_length": 32,
    })

    for name, vf, lower in (("vocab-only-uncased", VOCAB_DIR / "vocab.txt", True),
                            ("vocab-only-cased", VOCAB_DIR / "vocab-cased.txt", False)):
        tok = _vocab_only_tokenizer(vf, lower)
        out.append({
            "name": name,
            "tok": tok,
            "st_lower": False,
            "max_lengths": [32, 8],
            "pre": lambda L, t=tok: _plain_preprocess(t, L),
            "files_used": [rel(vf)],
            "construction": f"transformers.BertTokenizer.from_pretrained(<dir holding only vocab.txt = {rel(vf)}>, "
            f"do_lower_case={lower}, tokenize_chinese_chars=True) (identical to BertTokenizer(vocab=<file>, ...)); "
            "strip_accents=None, so accents are stripped iff do_lower_case. transformers 5's BertTokenizer IS the "
            "fast (tokenizers-backed) class; BertTokenizerFast is an alias whose `vocab_file=` argument is "
            "silently ignored in v5 (gives a 5-token vocab), hence from_pretrained. Called like ST's "
            "Transformer.preprocess: tok(batch, padding=True, truncation='longest_first', return_tensors='pt') "
            "with tok.model_max_length = L.",
            "tokenizer_do_lower_case": lower,
            "default_max_seq_length": 32,
        })

    legacy, _ = load_model(str(MODELS_DIR / "legacy-subfolder"))
    out.append({
        "name": "cased-st-lowercase",
        "tok": legacy[0].tokenizer,
        "st_lower": bool(legacy[0].do_lower_case),
        "max_lengths": [32, 8],
        "pre": lambda L, m=legacy: _st_preprocess(m, L),
        "files_used": [rel(MODELS_DIR / "legacy-subfolder" / "0_Transformer" / f)
                       for f in ("tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json")],
        "construction": "SentenceTransformer('tools/parity/fixtures/core/models/legacy-subfolder'): CASED tiny vocab "
        "tokenizer (BertNormalizer lowercase=false) + legacy sentence_bert_config.json do_lower_case=true. ST 6.2 "
        "implements do_lower_case by PREPENDING a tokenizers Lowercase() normalizer (per-character Unicode "
        "lowercase, no Greek final-sigma rule), not by Python str.lower() as ST <= 5 did.",
        "default_max_seq_length": 32,
    })
    return out


def main() -> None:
    from common import setup_torch
    from sentences import load as load_sentences

    setup_torch()
    sent = load_sentences()
    texts: list[str] = sent["texts"]
    pairs = [tuple(p) for p in sent["pairs"]]
    for spec in specs():
        tok = spec["tok"]
        results = []
        for L in spec["max_lengths"]:
            pre = spec["pre"](L)
            manual = _manual_factory(tok, spec["st_lower"])
            single = run_tokenizer(pre, manual, texts, L, tok)
            pair = run_tokenizer(pre, manual, pairs, L, tok)
            results.append({"max_length": L, "texts": single, "pairs": pair})
            log(f"tokenizer {spec['name']} L={L}: {len(single['truncated'])} texts and {len(pair['truncated'])} "
                f"pairs truncated; manual-call diffs: {len(single['manual_st5_call_differs_at'])} texts, "
                f"{len(pair['manual_st5_call_differs_at'])} pairs")
        tok.model_max_length = spec["default_max_seq_length"]
        doc = header("tokenizers", f"Token ids for every text and pair of sentences.json with the `{spec['name']}` "
                     "tokenizer, as a sentence-transformers 6.2 model feeds them to the encoder.")
        doc.update({
            "tokenizer_name": spec["name"],
            "files_used": spec["files_used"],
            "construction": spec["construction"],
            "st_do_lower_case": spec["st_lower"],
            "lowercasing_applied": _lowercases(tok),
            "tokenizer": _describe(tok),
            "call": "per text: Transformer.preprocess([text]) == tokenizer([text], padding=True, "
            "truncation='longest_first', return_tensors='pt') with tokenizer.model_max_length = max_length; pairs "
            "as [(a, b)] (token_type_ids 0 for [CLS] a [SEP], 1 for b [SEP]). Stored unpadded (attention_mask "
            "all ones). ST 6.2 does NOT strip() texts; for these BERT tokenizers stripping changes nothing "
            "(see manual_st5_call_differs_at: indices where the ST-5 style call `tokenizer([str(s).strip()"
            ".lower() if do_lower_case], max_length=L, ...)` gives different ids; expected empty except for "
            "lowercasing differences).",
            "sentences": "sentences.json (texts[i] <-> results[*].texts.input_ids[i]; pairs[i] <-> "
            "results[*].pairs.input_ids[i])",
            "results": results,
        })
        write_json(FIXTURES_DIR / f"tokenizer-{spec['name']}.json", doc)
