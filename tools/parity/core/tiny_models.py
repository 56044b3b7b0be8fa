"""Tiny random sentence-transformers models + their expected outputs.

For every variant, `models/<name>/` is written with sentence-transformers 6.2.0's own `save()`
(some variants are then hand-edited, see VARIANTS), reloaded from disk with `SentenceTransformer(dir)`,
and the reloaded model produces `models/<name>.expected.json`. `models/<name>.files.json` lists every
file in the directory with the exact content of each JSON file.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np

from common import (
    MODELS_DIR,
    VOCAB_DIR,
    WORK_DIR,
    f32_b64,
    header,
    log,
    read_json,
    rel,
    to_list,
    write_json,
)
from loadlog import load_model, weight_problems

HIDDEN = 32
MAX_SEQ_LENGTH = 32
ENCODE_BATCH_SIZE = 8

BERT_CONFIG = dict(
    vocab_size=None,  # filled from the vocab
    hidden_size=HIDDEN,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,  # odd on purpose
    max_position_embeddings=64,
    type_vocab_size=2,
    hidden_act="gelu",
    layer_norm_eps=1e-12,
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.1,
    pad_token_id=0,
)

# Texts for the tiny models, chosen from sentences.json by (predicate) so that indices are recorded.
# Each entry: (label, selector). A selector is either an exact text or a callable on (text, meta).
MODEL_TEXT_SELECTORS: list[tuple[str, Any]] = [
    ("empty", ""),
    ("spaces", "   "),
    ("tab-newline", "\t\n"),
    ("leading-spaces", "   leading spaces"),
    ("zh-lcqmc-1", lambda t, m: m.get("source") == "lcqmc/dev.txt"),
    ("zh-lcqmc-2", lambda t, m: m.get("source") == "lcqmc/dev.txt"),
    ("zh-csts", lambda t, m: m.get("source") == "chinese-sts-b/STS-B.valid.data"),
    ("zh-ocnli", lambda t, m: m.get("source") == "nli/ocnli/dev.json"),
    ("en-sts-1", lambda t, m: m.get("source") == "english-sts-b/stsbenchmark.tsv.gz"),
    ("en-sts-2", lambda t, m: m.get("source") == "english-sts-b/stsbenchmark.tsv.gz"),
    ("en-sts-3", lambda t, m: m.get("source") == "english-sts-b/stsbenchmark.tsv.gz"),
    ("en-msmarco-query", lambda t, m: m.get("column") == "query"),
    ("en-msmarco-passage", lambda t, m: m.get("column") == "positive"),
    ("mixed-zh-en-digits", "你好，世界！Hello World 123"),
    ("mixed-zh-latin", "我今天买了3个iPhone15和2台MacBook Pro，一共花了25000元。"),
    ("japanese", "これはテストです。ひらがなとカタカナ、そして漢字。"),
    ("greek-final-sigma", "ΟΔΟΣ ΣΟΦΟΣ Σίσυφος — Ελληνικά"),
    ("accents", "Café naïve façade résumé coöperate"),
    ("mixed-case", "ThE QuIcK BrOwN FoX JuMpS OvEr ThE LaZy DoG"),
    ("emoji-zwj", "Family: 👨‍👩‍👧‍👦 and 👩🏽‍💻 coding"),
    ("control-chars", "abc\u0000def"),
    ("special-token-strings", "[CLS] [SEP] [MASK] [PAD] [UNK] special tokens typed in text"),
    ("long-word", "pneumonoultramicroscopicsilicovolcanoconiosis" * 3),
    ("long-en-3000", lambda t, m: m.get("kind") == "long" and m.get("lang") == "en"),
    ("long-zh", lambda t, m: m.get("kind") == "long" and m.get("lang") == "zh"),
]


def select_texts(sent_doc: dict) -> tuple[list[str], list[int], list[str]]:
    texts, metas = sent_doc["texts"], sent_doc["text_meta"]
    used: set[int] = set()
    out_t, out_i, out_l = [], [], []
    for label, sel in MODEL_TEXT_SELECTORS:
        for i, (t, m) in enumerate(zip(texts, metas)):
            if i in used:
                continue
            ok = (t == sel) if isinstance(sel, str) else sel(t, m)
            if ok:
                used.add(i)
                out_t.append(t)
                out_i.append(i)
                out_l.append(label)
                break
        else:
            raise AssertionError(f"no text for selector {label}")
    return out_t, out_i, out_l


# ----------------------------------------------------------------------------------------------
# model construction


def _init_bert(config, seed: int):
    """BertModel with random weights that exercise every code path.

    transformers' own init (std 0.02, LayerNorm 1/0, biases 0) makes attention nearly uniform and
    hides LayerNorm/bias bugs, so after it every weight is re-drawn from a seeded generator:
    embeddings N(0, 1); Linear weights N(0, 1/fan_in) (keeps activations O(1) so attention is peaked
    and GELU is non-linear); every bias N(0, 0.1^2); LayerNorm weight 1 + N(0, 0.2^2), bias N(0, 0.2^2).
    """
    import torch
    from transformers import BertModel

    torch.manual_seed(seed)
    model = BertModel(config)
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "LayerNorm" in name and name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:  # Linear weight [out, in]
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    model.eval()
    return model


def _tokenizer(vocab_file: Path, lowercase: bool):
    """BertTokenizer (transformers 5: the tokenizers-backed "fast" class) built from vocab.txt.

    NB: in transformers 5, `BertTokenizerFast(vocab_file=...)` silently ignores `vocab_file` and gives a
    5-token vocabulary; loading a directory holding vocab.txt is the reliable way.
    """
    from transformers import BertTokenizer

    tmp = WORK_DIR / f"vocab-src-{vocab_file.stem}-{int(lowercase)}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    shutil.copy(vocab_file, tmp / "vocab.txt")
    tok = BertTokenizer.from_pretrained(str(tmp), do_lower_case=lowercase, model_max_length=512)
    assert len(tok.get_vocab()) == sum(1 for _ in open(vocab_file, encoding="utf-8")), "vocab not loaded"
    return tok


def _hf_dir(name: str, seed: int, vocab_file: Path, lowercase: bool) -> Path:
    """Save a random BertModel + tokenizer as a plain HF directory (input for ST's Transformer)."""
    from transformers import BertConfig

    tok = _tokenizer(vocab_file, lowercase)
    cfg = BertConfig(**{**BERT_CONFIG, "vocab_size": len(tok.get_vocab())})
    bert = _init_bert(cfg, seed)
    d = WORK_DIR / f"hf-{name}"
    if d.exists():
        shutil.rmtree(d)
    bert.save_pretrained(str(d))
    tok.save_pretrained(str(d))
    return d


def _st_model(name: str, seed: int, pooling_mode, extra: Callable[[int], list] | None = None,
              vocab_file: Path | None = None, lowercase: bool = True):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    hf = _hf_dir(name, seed, vocab_file or (VOCAB_DIR / "vocab.txt"), lowercase)
    transformer = Transformer(str(hf), max_seq_length=MAX_SEQ_LENGTH)
    pooling = Pooling(HIDDEN, pooling_mode=pooling_mode)
    modules = [transformer, pooling]
    if extra is not None:
        torch.manual_seed(seed + 2000)
        modules += extra(pooling.get_embedding_dimension())
    model = SentenceTransformer(modules=modules, device="cpu")
    model.eval()
    return model


def _save(model, out_dir: Path) -> list[str]:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    # create_model_card=False: ST writes a README.md model card by default; it is not needed here and
    # its text is not reproducible.
    model.save(str(out_dir), create_model_card=False)
    return _listing(out_dir)


def _listing(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())


def _dense(out_features: int, activation: str, bias: bool = True):
    from sentence_transformers.sentence_transformer.modules import Dense
    from torch import nn

    act = {"tanh": nn.Tanh(), "identity": nn.Identity()}[activation]

    def make(in_features: int):
        import torch

        d = Dense(in_features, out_features, bias=bias, activation_function=act)
        # nn.Linear's default init gives small weights; a wider one makes the activation matter.
        with torch.no_grad():
            d.linear.weight.mul_(3.0)
            if bias:
                d.linear.bias.normal_(0.0, 0.3)
        return d

    return make


def _normalize():
    from sentence_transformers.sentence_transformer.modules import Normalize

    return Normalize()


# ----------------------------------------------------------------------------------------------
# hand-edited variants


def _rename_safetensors_keys(path: Path, prefix: str) -> list[str]:
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(path))
    renamed = {prefix + k: v.contiguous() for k, v in tensors.items()}
    save_file(renamed, str(path), metadata={"format": "pt"})
    return sorted(renamed)


def make_legacy_subfolder(out_dir: Path, seed: int) -> dict[str, Any]:
    """Old-style layout: Transformer in 0_Transformer/, old type names, old Pooling keys, no Normalize dir.

    Uses the CASED vocab with `do_lower_case: true` in sentence_bert_config.json, so ST's own
    lowercasing (not the tokenizer's) is what maps upper- to lowercase here.
    """
    model = _st_model("legacy-subfolder", seed, ("cls", "mean"), extra=lambda dim: [_normalize()],
                      vocab_file=VOCAB_DIR / "vocab-cased.txt", lowercase=False)
    tmp = WORK_DIR / "st-legacy-subfolder"
    written = _save(model, tmp)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tdir = out_dir / "0_Transformer"
    tdir.mkdir(parents=True)
    for f in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tmp / f, tdir / f)
    shutil.copy(VOCAB_DIR / "vocab-cased.txt", tdir / "vocab.txt")
    # Old tokenizers carried model_max_length 512; the legacy max_seq_length (32) must win.
    tc = json.loads((tdir / "tokenizer_config.json").read_text(encoding="utf-8"))
    tc["model_max_length"] = 512
    (tdir / "tokenizer_config.json").write_text(json.dumps(tc, indent=2) + "\n", encoding="utf-8")
    (tdir / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": True}, indent=2) + "\n", encoding="utf-8")
    (out_dir / "1_Pooling").mkdir()
    (out_dir / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": HIDDEN,
        "pooling_mode_cls_token": True,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }, indent=2) + "\n", encoding="utf-8")
    (out_dir / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2) + "\n", encoding="utf-8")
    (out_dir / "config_sentence_transformers.json").write_text(json.dumps({
        "__version__": {"sentence_transformers": "2.0.0", "transformers": "4.6.1", "pytorch": "1.8.1"}
    }, indent=2) + "\n", encoding="utf-8")
    return {
        "st_written_files": written,
        "hand_edits": [
            "moved config.json, model.safetensors, tokenizer.json, tokenizer_config.json into 0_Transformer/",
            "added 0_Transformer/vocab.txt (the cased tiny vocab)",
            "0_Transformer/tokenizer_config.json: model_max_length set to 512 (legacy max_seq_length 32 must win)",
            "0_Transformer/sentence_bert_config.json = {max_seq_length: 32, do_lower_case: true} (old ST format)",
            "1_Pooling/config.json in the old boolean format without weightedmean/lasttoken/include_prompt keys "
            "(cls + mean)",
            "modules.json with old type names sentence_transformers.models.{Transformer,Pooling,Normalize} and "
            "path 0_Transformer; no 2_Normalize/ directory at all (git cannot hold empty dirs and hub repos "
            "of old models lack it)",
            "config_sentence_transformers.json with only __version__ (ST 2.0.0 style)",
        ],
    }


def make_plain_hf(out_dir: Path, seed: int) -> dict[str, Any]:
    """A plain transformers directory (no modules.json): ST builds Transformer + mean Pooling."""
    hf = _hf_dir("plain-hf", seed, VOCAB_DIR / "vocab.txt", True)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(hf, out_dir)
    tc_path = out_dir / "tokenizer_config.json"
    tc = json.loads(tc_path.read_text(encoding="utf-8"))
    tc["model_max_length"] = MAX_SEQ_LENGTH
    tc_path.write_text(json.dumps(tc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return {
        "st_written_files": None,
        "hand_edits": [
            "written by BertModel.save_pretrained + BertTokenizer.save_pretrained (no sentence-transformers files)",
            f"tokenizer_config.json: model_max_length set to {MAX_SEQ_LENGTH}",
        ],
    }


def make_vocab_only(out_dir: Path, seed: int) -> dict[str, Any]:
    """tiny-mean-like, tokenizer from vocab.txt alone, weights renamed to `bert.`-prefixed keys."""
    model = _st_model("vocab-only", seed, "mean")
    written = _save(model, out_dir)
    removed = []
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (out_dir / f).exists():
            (out_dir / f).unlink()
            removed.append(f)
    shutil.copy(VOCAB_DIR / "vocab.txt", out_dir / "vocab.txt")
    sbc_path = out_dir / "sentence_bert_config.json"
    sbc = json.loads(sbc_path.read_text(encoding="utf-8"))
    sbc["max_seq_length"] = MAX_SEQ_LENGTH
    sbc["do_lower_case"] = False
    sbc_path.write_text(json.dumps(sbc, indent=4) + "\n", encoding="utf-8")
    keys = _rename_safetensors_keys(out_dir / "model.safetensors", "bert.")
    return {
        "st_written_files": written,
        "hand_edits": [
            f"deleted {removed}",
            "added vocab.txt (the uncased tiny vocab; ST 6.2 / transformers 5 do not write vocab.txt)",
            f"sentence_bert_config.json: added legacy keys max_seq_length={MAX_SEQ_LENGTH}, do_lower_case=false",
            "model.safetensors: every key renamed to 'bert.' + key (as BertFor* checkpoints have)",
        ],
        "safetensors_keys": keys,
    }


# name -> (seed, builder). A builder returns (model to save with ST) or a dict from a hand-made dir.
VARIANTS: dict[str, dict[str, Any]] = {
    "tiny-mean": {"seed": 101, "pooling": "mean", "extra": None},
    "tiny-cls-normalize": {"seed": 102, "pooling": "cls", "extra": lambda dim: [_normalize()]},
    "tiny-multi-dense": {
        "seed": 103,
        "pooling": ("cls", "max", "mean_sqrt_len_tokens"),
        "extra": lambda dim: [_dense(24, "tanh")(dim), _normalize()],
    },
    "tiny-weightedmean-dense-identity": {
        "seed": 104,
        "pooling": "weightedmean",
        "extra": lambda dim: [_dense(16, "identity")(dim)],
    },
    "tiny-lasttoken": {"seed": 105, "pooling": "lasttoken", "extra": None},
    "tiny-max-mean": {"seed": 106, "pooling": ("max", "mean"), "extra": None},
    # Pooling modes are concatenated in the order given in ST 6.2's `pooling_mode` tuple (not a fixed
    # canonical order): this variant pins that down.
    "tiny-mean-max-order": {"seed": 107, "pooling": ("mean", "max"), "extra": None},
    "legacy-subfolder": {"seed": 108, "builder": make_legacy_subfolder},
    "plain-hf": {"seed": 109, "builder": make_plain_hf},
    "vocab-only": {"seed": 110, "builder": make_vocab_only},
}


# ----------------------------------------------------------------------------------------------
# expected outputs


def _forward_single_batch(model, texts: list[str]) -> dict[str, Any]:
    import torch

    with torch.inference_mode():
        features = model.preprocess(texts)
        mask = features["attention_mask"]
        lengths = mask.sum(dim=1).tolist()
        f = dict(features)
        pooled = None
        for idx, module in enumerate(model):
            f = module(f)
            if module.__class__.__name__ == "Pooling":
                pooled = f["sentence_embedding"].clone()
        full = model(dict(features))
        assert torch.equal(full["sentence_embedding"], f["sentence_embedding"])
    tok = f["token_embeddings"]
    return {
        "features": features,
        "lengths": lengths,
        "token_embeddings": [tok[i, : lengths[i]] for i in range(len(texts))],
        "pooled": pooled,
        "sentence_embeddings": f["sentence_embedding"],
    }


def _quantized(emb: np.ndarray) -> dict[str, Any]:
    from sentence_transformers.util.quantization import quantize_embeddings

    ranges = np.vstack((emb.min(axis=0), emb.max(axis=0)))
    out = {
        "note": "sentence_transformers.util.quantization.quantize_embeddings(embeddings, precision=P) on "
        "`encode.sentence_embeddings` (float32); int8/uint8 ranges = per-dimension [min; max] of those same "
        "embeddings (ST computes them itself when neither ranges nor calibration_embeddings are given). "
        "ST 6.2 maths, in float32: steps = (max - min) / 255, steps[steps == 0] = 1, "
        "q = clip(floor((x - min) / steps), 0, 255); uint8 = q, int8 = q - 128. "
        "binary = packbits(x > 0) - 128 as int8 (big-endian bit order, dim padded to a multiple of 8), "
        "ubinary = packbits(x > 0).",
        "ranges": to_list(ranges.astype(np.float32)),
    }
    for p in ("int8", "uint8", "binary", "ubinary"):
        q = quantize_embeddings(emb, precision=p)
        out[p] = {"dtype": str(q.dtype), "shape": list(q.shape), "values": q.astype(np.int64).tolist()}
    return out


def expected_for(name: str, model_dir: Path, sent_doc: dict, build_info: dict[str, Any]) -> dict[str, Any]:
    import torch

    texts, indices, labels = select_texts(sent_doc)
    model, captured = load_model(str(model_dir))
    tmod = model[0]
    single = _forward_single_batch(model, texts)
    feats = single["features"]
    lengths = single["lengths"]

    # ST's own encode: texts sorted by -len(text) (Python code points) with np.argsort (quicksort, not
    # stable), batches of ENCODE_BATCH_SIZE, each padded to its own longest, then the order is restored.
    order = np.argsort([-len(t) for t in texts]).tolist()
    enc = model.encode(texts, batch_size=ENCODE_BATCH_SIZE, convert_to_numpy=True)
    diff = float(np.abs(enc - single["sentence_embeddings"].numpy()).max())

    tok = tmod.tokenizer
    normalizer = tok.backend_tokenizer.normalizer
    doc = header("models", f"Expected outputs of the tiny sentence-transformers model `{name}`, loaded from disk by "
                 "SentenceTransformer(dir, device='cpu').")
    doc.update({
        "model_dir": rel(model_dir),
        "model_repr": repr(model),
        "modules": [m.__class__.__module__ + "." + m.__class__.__name__ for m in model],
        "max_seq_length": model.max_seq_length,
        "embedding_dimension": model.get_embedding_dimension(),
        "tokenizer": {
            "class": tok.__class__.__name__,
            "normalizer": repr(normalizer),
            "st_do_lower_case": bool(getattr(tmod, "do_lower_case", False)),
            "model_max_length": tok.model_max_length,
        },
        "load_messages": _summarize_capture(captured),
        "load_weight_problems": weight_problems(captured),
        "weights_match_files": _verify_weights(model, model_dir),
        "build": build_info,
        "texts": texts,
        "text_labels": labels,
        "text_indices_in_sentences_json": indices,
        "input_ids": [feats["input_ids"][i, : lengths[i]].tolist() for i in range(len(texts))],
        "token_type_ids": [feats["token_type_ids"][i, : lengths[i]].tolist() for i in range(len(texts))]
        if "token_type_ids" in feats else None,
        "single_batch": {
            "note": "ONE batch of all texts: features = model.preprocess(texts) (padding=True -> padded to the "
            "longest, truncation='longest_first' at max_seq_length), out = model(features). token_embeddings[i] "
            "is cut at text i's attention-mask length; pooled_embeddings is the output of the Pooling module "
            "(before Dense/Normalize).",
            "padded_length": int(feats["input_ids"].shape[1]),
            "lengths": lengths,
            "token_embeddings_encoding": "token_embeddings_f32_b64[i] = base64 of little-endian float32, "
            "row-major, shape [lengths[i], hidden]",
            "hidden": int(single["token_embeddings"][0].shape[-1]),
            "token_embeddings_f32_b64": [f32_b64(t) for t in single["token_embeddings"]],
            "pooled_embeddings": to_list(single["pooled"]),
            "sentence_embeddings": to_list(single["sentence_embeddings"]),
        },
        "encode": {
            "call": f"model.encode(texts, batch_size={ENCODE_BATCH_SIZE}, convert_to_numpy=True)",
            "batch_size": ENCODE_BATCH_SIZE,
            "order": order,
            "order_note": "np.argsort([-len(t) for t in texts]); len = Python code points (JS .length counts "
            "UTF-16 units: use [...t].length). Batches are order[0:8], order[8:16], ...; each padded to its own "
            "longest. Equal-length ties follow numpy's (unstable) quicksort: use this recorded order.",
            "batches": [order[i : i + ENCODE_BATCH_SIZE] for i in range(0, len(order), ENCODE_BATCH_SIZE)],
            "sentence_embeddings": to_list(enc),
            "max_abs_diff_vs_single_batch": diff,
        },
    })
    if name == "tiny-mean":
        enc_norm = model.encode(texts, batch_size=ENCODE_BATCH_SIZE, convert_to_numpy=True, normalize_embeddings=True)
        enc_trunc = model.encode(texts, batch_size=ENCODE_BATCH_SIZE, convert_to_numpy=True, truncate_dim=8)
        enc_trunc_norm = model.encode(texts, batch_size=ENCODE_BATCH_SIZE, convert_to_numpy=True, truncate_dim=8,
                                      normalize_embeddings=True)
        doc["encode_normalize_embeddings"] = {
            "call": f"model.encode(texts, batch_size={ENCODE_BATCH_SIZE}, convert_to_numpy=True, normalize_embeddings=True)",
            "sentence_embeddings": to_list(enc_norm),
        }
        doc["encode_truncate_dim_8"] = {
            "call": f"model.encode(texts, batch_size={ENCODE_BATCH_SIZE}, convert_to_numpy=True, truncate_dim=8)",
            "sentence_embeddings": to_list(enc_trunc),
        }
        doc["encode_truncate_dim_8_normalize"] = {
            "call": f"model.encode(texts, batch_size={ENCODE_BATCH_SIZE}, convert_to_numpy=True, truncate_dim=8, "
            "normalize_embeddings=True)",
            "note": "truncation happens before normalization",
            "sentence_embeddings": to_list(enc_trunc_norm),
        }
        doc["quantized"] = _quantized(enc.astype(np.float32))
        precision_direct = {}
        for p in ("int8", "uint8", "binary", "ubinary"):
            q = model.encode(texts, batch_size=ENCODE_BATCH_SIZE, precision=p)
            precision_direct[p] = bool(np.array_equal(q.astype(np.int64), np.array(doc["quantized"][p]["values"])))
        doc["quantized"]["equals_encode_precision_argument"] = precision_direct
        doc["similarity"] = {
            "note": "model.similarity(enc, enc) with the model's similarity_fn_name",
            "similarity_fn_name": model.similarity_fn_name,
            "matrix": to_list(model.similarity(torch.from_numpy(enc), torch.from_numpy(enc))),
        }
    return doc


def _verify_weights(model, model_dir: Path) -> dict[str, Any]:
    """Check that every tensor ST loaded equals the tensor stored on disk (no silent random init)."""
    import torch
    from safetensors.torch import load_file

    report: dict[str, Any] = {}
    modules_json = read_json(model_dir / "modules.json") if (model_dir / "modules.json").exists() else [
        {"path": "", "name": "0"}]
    for entry, module in zip(modules_json, model):
        path = model_dir / entry["path"] / "model.safetensors"
        if not path.exists():
            continue
        stored = load_file(str(path))
        sd = module.state_dict()
        matched, mismatched, unused = 0, [], []
        for k, v in stored.items():
            cands = [k, "linear." + k, "model." + k]
            if k.startswith("bert."):
                cands.append("model." + k[len("bert."):])
            hit = next((c for c in cands if c in sd), None)
            if hit is None:
                unused.append(k)
            elif torch.equal(sd[hit].cpu(), v):
                matched += 1
            else:
                mismatched.append(k)
        params = [k for k, _ in module.named_parameters()]
        report[entry["path"] or "."] = {"stored": len(stored), "equal": matched, "mismatched": mismatched,
                                         "unused": unused, "module_parameters": len(params)}
        assert not mismatched and matched == len(params), (model_dir, report)
    return report


def _summarize_capture(c: dict[str, Any]) -> dict[str, Any]:
    from common import REPO_ROOT

    def clean(t: str) -> str:
        return t.replace(str(REPO_ROOT), "<repo>")

    # WARNING+ from everyone, INFO only from sentence_transformers (transformers' INFO is config dumps).
    logs = [
        f"{r['level']} {r['logger']}: {r['message']}"
        for r in c["logs"]
        if r["level"] in ("WARNING", "ERROR", "CRITICAL")
        or (r["level"] == "INFO" and r["logger"].startswith("sentence_transformers"))
    ]
    return {"logs": [clean(x) for x in logs], "warnings": [clean(x) for x in c["warnings"]],
            "stderr": clean(c["stderr"][-4000:]), "stdout": clean(c["stdout"][-4000:])}


# ----------------------------------------------------------------------------------------------
# files.json


def files_listing(name: str, model_dir: Path, build_info: dict[str, Any]) -> dict[str, Any]:
    files = []
    for relpath in _listing(model_dir):
        p = model_dir / relpath
        data = p.read_bytes()
        entry: dict[str, Any] = {"path": relpath, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if relpath.endswith(".json") and not relpath.endswith("tokenizer.json"):
            entry["text"] = data.decode("utf-8")
            entry["json"] = json.loads(data)
        elif relpath.endswith("tokenizer.json"):
            j = json.loads(data)
            entry["summary"] = {k: v for k, v in j.items() if k not in ("model", "added_tokens")}
            entry["summary"]["added_tokens"] = j.get("added_tokens")
            entry["summary"]["model"] = {k: v for k, v in j["model"].items() if k != "vocab"}
            entry["summary"]["model"]["vocab_size"] = len(j["model"].get("vocab", {}))
        elif relpath.endswith(".safetensors"):
            entry["safetensors"] = _safetensors_header(p)
        files.append(entry)
    doc = header("models", f"Every file in models/{name}/ with the exact content of each JSON config file "
                 "(tokenizer.json summarized without its vocab).")
    doc.update({
        "model_dir": rel(model_dir),
        "st_written_files": build_info.get("st_written_files"),
        "hand_edits": build_info.get("hand_edits", []),
        "files": files,
    })
    return doc


KNOWN_RESAVE_LOSSES = {
    "legacy-subfolder": "ST 6.2 keeps do_lower_case only as a Lowercase() normalizer inside the saved tokenizer.json "
    "(sentence_bert_config.json no longer has do_lower_case), but transformers 5's BertTokenizer.from_pretrained "
    "rebuilds normalizer / pre-tokenizer / WordPiece from tokenizer_config.json (do_lower_case=false here) and "
    "ignores those sections of tokenizer.json. So after ST 6.2 load -> save -> load the lowercasing is gone and "
    "texts with uppercase letters embed differently. Not a fixture bug: ST 6.2 does not round-trip this model.",
}


def resave_info(name: str, exp: dict[str, Any]) -> dict[str, Any]:
    """What ST 6.2 writes when it re-saves a hand-made directory, and whether the reloaded copy still matches."""
    model, _ = load_model(str(MODELS_DIR / name))
    d = WORK_DIR / "resave" / name
    if d.exists():
        shutil.rmtree(d)
    model.save(str(d), create_model_card=False)
    re_model, _ = load_model(str(d))
    got = re_model.encode(exp["texts"], batch_size=ENCODE_BATCH_SIZE, convert_to_numpy=True)
    want = np.asarray(exp["encode"]["sentence_embeddings"])
    per_text = np.abs(got - want).max(axis=1)
    files = {}
    for relpath in _listing(d):
        p = d / relpath
        if relpath.endswith("tokenizer.json"):
            j = json.loads(p.read_text(encoding="utf-8"))
            files[relpath] = {"normalizer": j.get("normalizer"), "truncation": j.get("truncation"),
                              "padding": j.get("padding")}
        elif relpath.endswith(".json"):
            files[relpath] = json.loads(p.read_text(encoding="utf-8"))
        else:
            files[relpath] = None
    return {
        "note": "model = SentenceTransformer(models/" + name + "); model.save(tmp, create_model_card=False); "
        "SentenceTransformer(tmp).encode(texts) compared with encode.sentence_embeddings of the expected JSON",
        "files": files,
        "reloaded_tokenizer_normalizer": repr(re_model[0].tokenizer.backend_tokenizer.normalizer),
        "max_abs_diff_after_reload": float(per_text.max()),
        "texts_differing": [i for i, x in enumerate(per_text.tolist()) if x > 1e-5],
        "known_loss": KNOWN_RESAVE_LOSSES.get(name),
    }


def _safetensors_header(p: Path) -> dict[str, Any]:
    import struct

    raw = p.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    head = json.loads(raw[8 : 8 + n])
    meta = head.pop("__metadata__", None)
    return {
        "metadata": meta,
        "tensors": {k: {"dtype": v["dtype"], "shape": v["shape"]} for k, v in sorted(head.items())},
    }


# ----------------------------------------------------------------------------------------------


def build_one(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    out_dir = MODELS_DIR / name
    if "builder" in spec:
        build_info = spec["builder"](out_dir, spec["seed"])
    else:
        model = _st_model(name, spec["seed"], spec["pooling"], spec["extra"])
        written = _save(model, out_dir)
        build_info = {"st_written_files": written, "hand_edits": []}
    build_info["seed"] = spec["seed"]
    return build_info


def main(names: list[str] | None = None) -> None:
    from common import setup_torch
    from sentences import load as load_sentences

    setup_torch()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    sent_doc = load_sentences()
    for name, spec in VARIANTS.items():
        if names and name not in names:
            continue
        log(f"model {name}")
        build_info = build_one(name, spec)
        build_info["bert_config"] = {k: v for k, v in BERT_CONFIG.items() if v is not None}
        build_info["init"] = _init_bert.__doc__.strip().split("\n\n")[1].strip()
        exp = expected_for(name, MODELS_DIR / name, sent_doc, build_info)
        write_json(MODELS_DIR / f"{name}.expected.json", exp)
        files_doc = files_listing(name, MODELS_DIR / name, build_info)
        if "builder" in spec:
            files_doc["resaved_by_st62"] = resave_info(name, exp)
        write_json(MODELS_DIR / f"{name}.files.json", files_doc, indent=1)
        log(f"  max_seq_length={exp['max_seq_length']} dim={exp['embedding_dimension']} "
            f"encode-vs-single={exp['encode']['max_abs_diff_vs_single_batch']:.2e} "
            f"weight_problems={len(exp['load_weight_problems'])}")
