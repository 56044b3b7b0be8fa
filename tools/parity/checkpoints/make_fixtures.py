#!/usr/bin/env python3
"""Checkpoint fixtures for @sbert/core: tiny random models of every supported architecture, saved in
the file formats people have on disk, with the embeddings sentence-transformers 6.2 computes for them.

    tools/parity/.venv/bin/python tools/parity/checkpoints/make_fixtures.py

Writes tools/parity/fixtures/checkpoints/:

  bert-*/                one BERT (BertForPreTraining weights) in seven layouts:
    bert-bin/              bert_config.json + vocab.txt + pytorch_model.bin (torch.save zip, `bert.` prefix,
                           MLM/NSP heads, decoder weight sharing the word-embedding storage) - the
                           chinese_wwm_ext_pytorch layout
    bert-bin-legacy/       the same weights with torch.save(..., _use_new_zipfile_serialization=False),
                           LayerNorm.gamma/beta names and an int64 position_ids buffer (pytorch-pretrained-bert)
    bert-bin-fp16/         config.json, BertModel weights as float16
    bert-bin-bf16/         config.json, BertModel weights as bfloat16
    bert-bin-views/        config.json, weights that are views: q/k/v slices of one fused storage (offsets),
                           transposed and step-2 strided (non-contiguous) weights, all biases in one storage
    bert-sharded-bin/      pytorch_model.bin.index.json + 2 .bin shards
    bert-sharded-safetensors/  model.safetensors.index.json + 2 .safetensors shards
  bert.expected.json       ST 6.2 outputs for the float32 layouts (mean pooling, as ST gives a plain HF
                           checkpoint) plus CLS-pooled sentence embeddings; `python_checks` records that
                           transformers loads every layout to the same outputs
  bert-fp16.expected.json, bert-bf16.expected.json   the same for the half-precision copies (upcast to float32)
  distilbert/ (+ .expected.json)   ST dir, DistilBERT, weights as pytorch_model.bin
  roberta/ (+ .expected.json)      ST dir, RoBERTa, byte-level BPE tokenizer.json
  xlm-roberta/ (+ .expected.json)  ST dir, XLM-RoBERTa, Unigram tokenizer.json, CLS pooling
  mpnet/ (+ .expected.json)        ST dir, MPNet, mean pooling + Normalize (all-mpnet-base-v2's stack),
                                   plus MPNet's relative-position buckets for offsets -600..600
  xlm-roberta-hubstyle-tokenizer/ (+ .expected.json)  tokenizer files only: a tokenizer.json with the hub's
                                   XLM-R pipeline (Replace + Metaspace), which transformers 5 rebuilds
  manifest.json            sizes and sha256 of every file written

Tiny shapes: hidden 32, 2 layers, 4 heads, intermediate 37, max_seq_length 32. Weights are re-drawn after
transformers' init so that every term matters (see `reinit`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "core"))

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402

from common import FIXTURES_DIR as CORE_FIXTURES, PARITY_DIR, f32_b64, rel, setup_torch, to_list, versions, write_json  # noqa: E402
from check_saved_model import parse_load_report  # noqa: E402
from loadlog import load_model, weight_problems  # noqa: E402
from tiny_models import select_texts  # noqa: E402

OUT = PARITY_DIR / "fixtures" / "checkpoints"
WORK = PARITY_DIR / ".work" / "checkpoints"
COMMAND = "tools/parity/.venv/bin/python tools/parity/checkpoints/make_fixtures.py"

HIDDEN, LAYERS, HEADS, INTERMEDIATE, MAX_SEQ = 32, 2, 4, 37, 32
BATCH = 8

# Texts beyond the core selection: whitespace and special-token strings matter for BPE / Unigram.
EXTRA_TEXTS = [
    "<s> <pad> </s> <mask> <unk> typed in text",
    "  two  spaces  inside and around  ",
    "tab\there\nnew line",
    " leading space",
    "trailing space ",
]


def log(msg: str) -> None:
    print(f"[parity/checkpoints] {msg}", file=sys.stderr, flush=True)


def header(description: str) -> dict[str, Any]:
    return {"description": description, "generated_by": COMMAND, "versions": versions()}


def reinit(model, seed: int) -> None:
    """Re-draw every weight from a seeded generator so that no term is negligible: embeddings (and MPNet's
    relative-attention bias table) N(0, 1); Linear weights N(0, 1/fan_in); biases N(0, 0.1^2); LayerNorm
    weight 1 + N(0, 0.2^2), bias N(0, 0.2^2)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            norm = "LayerNorm" in name or "layer_norm" in name
            if norm and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif norm and name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name or "relative_attention_bias" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    model.eval()


def fresh(d: Path) -> Path:
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def listing(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------
# tokenizers


def make_tokenizers() -> dict[str, Any]:
    """Train the tiny vocabularies and build the transformers 5 tokenizer classes from them."""
    from transformers import BertTokenizer, MPNetTokenizer, RobertaTokenizer, XLMRobertaTokenizer

    from tokenizers_tiny import train_all

    trained = train_all()
    wp = trained["wordpiece"]
    vdir = fresh(WORK / "vocab")
    (vdir / "vocab.txt").write_text("".join(t + "\n" for t in wp), encoding="utf-8")
    bert = BertTokenizer.from_pretrained(str(vdir), do_lower_case=True, model_max_length=512)
    assert len(bert.get_vocab()) == len(wp)
    vocab, merges = trained["bpe"]
    roberta = RobertaTokenizer(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges])
    xlmr = XLMRobertaTokenizer(vocab=[tuple(x) for x in trained["unigram"]])
    # MPNet's vocab: <s> <pad> </s> <unk> first (pad id 1, which MPNet's position ids assume), <mask> last.
    mp_tokens = ["<s>", "<pad>", "</s>", "<unk>"] + wp + ["<mask>"]
    mpnet = MPNetTokenizer(vocab={t: i for i, t in enumerate(mp_tokens)})
    return {"wordpiece_vocab": wp, "bert": bert, "roberta": roberta, "xlmr": xlmr, "mpnet": mpnet,
            "corpus_texts": trained["corpus_texts"]}


# ------------------------------------------------------------------------------------------------
# expected outputs (same layout as tools/parity/fixtures/core/models/*.expected.json)


def texts_for_fixtures() -> tuple[list[str], list[str]]:
    sent = json.loads((CORE_FIXTURES / "sentences.json").read_text(encoding="utf-8"))
    texts, _, labels = select_texts(sent)
    return texts + EXTRA_TEXTS, labels + [f"extra-{i}" for i in range(len(EXTRA_TEXTS))]


def forward_single(model, texts: list[str]) -> dict[str, Any]:
    import torch

    with torch.inference_mode():
        features = model.preprocess(texts)
        out = model(dict(features))
    lengths = features["attention_mask"].sum(dim=1).tolist()
    tok = out["token_embeddings"]
    return {"features": features, "lengths": lengths, "tokens": [tok[i, : lengths[i]] for i in range(len(texts))],
            "sentences": out["sentence_embedding"]}


def expected_doc(model, texts: list[str], labels: list[str], description: str, extra: dict | None = None) -> dict:
    single = forward_single(model, texts)
    feats, lengths = single["features"], single["lengths"]
    order = np.argsort([-len(t) for t in texts]).tolist()
    enc = model.encode(texts, batch_size=BATCH, convert_to_numpy=True)
    doc = header(description)
    doc.update({
        "modules": [m.__class__.__name__ for m in model],
        "max_seq_length": model.max_seq_length,
        "embedding_dimension": model.get_embedding_dimension(),
        "tokenizer_class": model[0].tokenizer.__class__.__name__,
        "texts": texts,
        "text_labels": labels,
        "input_ids": [feats["input_ids"][i, : lengths[i]].tolist() for i in range(len(texts))],
        "single_batch": {
            "note": "one padded batch of all texts through the model; token_embeddings_f32_b64[i] is base64 "
            "little-endian float32 [lengths[i], hidden]",
            "lengths": lengths,
            "hidden": int(single["tokens"][0].shape[-1]),
            "token_embeddings_f32_b64": [f32_b64(t) for t in single["tokens"]],
            "sentence_embeddings": to_list(single["sentences"]),
        },
        "encode": {
            "call": f"model.encode(texts, batch_size={BATCH}, convert_to_numpy=True)",
            "batch_size": BATCH,
            "order": order,
            "sentence_embeddings": to_list(enc),
            "max_abs_diff_vs_single_batch": float(np.abs(enc - single["sentences"].numpy()).max()),
        },
    })
    if extra:
        doc.update(extra)
    return doc


def st_from_hf(hf_dir: Path, pooling: str, normalize: bool = False, max_seq_length: int | None = MAX_SEQ):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    t = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    modules = [t, Pooling(t.get_embedding_dimension(), pooling_mode=pooling)]
    if normalize:
        modules.append(Normalize())
    model = SentenceTransformer(modules=modules, device="cpu")
    model.eval()
    return model


# ------------------------------------------------------------------------------------------------
# BERT in every file layout


BERT_JSON_KEYS = ["attention_probs_dropout_prob", "hidden_act", "hidden_dropout_prob", "hidden_size",
                  "initializer_range", "intermediate_size", "max_position_embeddings", "num_attention_heads",
                  "num_hidden_layers", "type_vocab_size", "vocab_size"]


def bert_views_state_dict(sd: dict) -> dict:
    """The BertModel state dict rebuilt from views, so that torch.save writes shared storages with offsets
    and non-contiguous strides; every value is equal to the original."""
    import torch

    out = {}
    biases = [k for k in sd if k.endswith("bias")]
    flat = torch.cat([sd[k].reshape(-1) for k in biases])  # one storage for every bias
    at = 0
    for k in biases:
        n = sd[k].numel()
        out[k] = flat[at : at + n]  # storage_offset = at
        at += n
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}."
        names = [p + f"attention.self.{x}.weight" for x in ("query", "key", "value")]
        fused = torch.cat([sd[n] for n in names], dim=0)  # (3D, D)
        for i, n in enumerate(names):
            out[n] = fused[i * HIDDEN : (i + 1) * HIDDEN]  # contiguous rows at an offset
        w = sd[p + "attention.output.dense.weight"]
        out[p + "attention.output.dense.weight"] = w.t().contiguous().t()  # stride (1, D)
        w = sd[p + "intermediate.dense.weight"]  # (F, D)
        wide = torch.zeros(w.shape[0], 2 * w.shape[1] + 1)
        wide[:, 1::2][:, : w.shape[1]] = w
        out[p + "intermediate.dense.weight"] = wide[:, 1::2][:, : w.shape[1]]  # offset 1, stride (2D+1, 2)
    for k, v in sd.items():
        if k not in out:
            out[k] = v
    for k in sd:
        assert torch.equal(out[k], sd[k]), k
    assert not out["encoder.layer.0.attention.output.dense.weight"].is_contiguous()
    assert not out["encoder.layer.0.intermediate.dense.weight"].is_contiguous()
    return out


def save_bin_shards(sd: dict, d: Path, shards: int = 2) -> None:
    import torch

    keys = list(sd)
    per = math.ceil(len(keys) / shards)
    weight_map, total = {}, 0
    for s in range(shards):
        name = f"pytorch_model-{s + 1:05d}-of-{shards:05d}.bin"
        part = {k: sd[k].contiguous() for k in keys[s * per : (s + 1) * per]}
        torch.save(part, d / name)
        for k, v in part.items():
            weight_map[k] = name
            total += v.numel() * v.element_size()
    (d / "pytorch_model.bin.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n", encoding="utf-8")


def load_as_hf_copy(src: Path, name: str) -> Path:
    """A copy of a layout that transformers can open: bert_config.json -> config.json (+ model_type)."""
    d = fresh(WORK / "as-hf" / name)
    for f in listing(src):
        shutil.copy(src / f, d / f)
    if (d / "bert_config.json").exists() and not (d / "config.json").exists():
        cfg = json.loads((d / "bert_config.json").read_text(encoding="utf-8"))
        cfg.setdefault("model_type", "bert")
        (d / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    return d


def make_bert(toks: dict, texts: list[str], labels: list[str]) -> None:
    import torch
    from transformers import BertConfig, BertForPreTraining

    wp = toks["wordpiece_vocab"]
    cfg = BertConfig(vocab_size=len(wp), hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                     intermediate_size=INTERMEDIATE, max_position_embeddings=64, type_vocab_size=2,
                     hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0)
    torch.manual_seed(201)
    pre = BertForPreTraining(cfg)
    reinit(pre, 201)
    bert = pre.bert
    vocab_txt = "".join(t + "\n" for t in wp)
    bert_config = {k: cfg.to_dict()[k] for k in BERT_JSON_KEYS}

    # Reference: BertModel.save_pretrained + vocab.txt only (ST builds BertTokenizer from it, do_lower_case=True).
    ref = fresh(WORK / "bert-ref")
    bert.save_pretrained(str(ref))
    (ref / "vocab.txt").write_text(vocab_txt, encoding="utf-8")
    base_sd = {k: v.detach().clone() for k, v in bert.state_dict().items()}

    layouts: dict[str, dict[str, Any]] = {}

    def new_layout(name: str, config: str, note: str) -> Path:
        d = fresh(OUT / name)
        (d / "vocab.txt").write_text(vocab_txt, encoding="utf-8")
        if config == "bert_config.json":
            (d / "bert_config.json").write_text(json.dumps(bert_config, indent=2) + "\n", encoding="utf-8")
        else:
            shutil.copy(ref / "config.json", d / "config.json")
        layouts[name] = {"note": note}
        return d

    d = new_layout("bert-bin", "bert_config.json",
                   "BertForPreTraining state dict (bert. prefix, cls.* heads; cls.predictions.decoder.weight shares "
                   "the word-embedding storage), torch.save zip format")
    pre_sd = pre.state_dict()
    assert pre_sd["cls.predictions.decoder.weight"].data_ptr() == pre_sd["bert.embeddings.word_embeddings.weight"].data_ptr()
    torch.save(pre_sd, d / "pytorch_model.bin")

    d = new_layout("bert-bin-legacy", "bert_config.json",
                   "torch.save(_use_new_zipfile_serialization=False) of the BertForPreTraining state dict with "
                   "LayerNorm.gamma / LayerNorm.beta names and an int64 bert.embeddings.position_ids buffer")
    legacy = {}
    for k, v in pre_sd.items():
        k2 = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        legacy[k2] = v
    legacy["bert.embeddings.position_ids"] = torch.arange(64, dtype=torch.long).unsqueeze(0)
    torch.save(legacy, d / "pytorch_model.bin", _use_new_zipfile_serialization=False)

    d = new_layout("bert-bin-fp16", "config.json", "BertModel state dict as float16 (torch.save zip)")
    torch.save({k: v.half() for k, v in base_sd.items()}, d / "pytorch_model.bin")
    d = new_layout("bert-bin-bf16", "config.json", "BertModel state dict as bfloat16 (torch.save zip)")
    torch.save({k: v.bfloat16() for k, v in base_sd.items()}, d / "pytorch_model.bin")

    d = new_layout("bert-bin-views", "config.json",
                   "BertModel state dict made of views: every bias is a slice of one storage (offsets), q/k/v "
                   "weights slices of one fused (3D, D) storage, attention.output.dense.weight a transposed view "
                   "(stride (1, D)), intermediate.dense.weight a step-2 view at offset 1 (stride (2D+1, 2))")
    torch.save(bert_views_state_dict(base_sd), d / "pytorch_model.bin")

    d = new_layout("bert-sharded-bin", "config.json", "pytorch_model.bin.index.json + 2 torch.save shards")
    save_bin_shards(base_sd, d)
    d = new_layout("bert-sharded-safetensors", "config.json",
                   "BertModel.save_pretrained(max_shard_size='80KB'): model.safetensors.index.json + shards")
    bert.save_pretrained(str(WORK / "bert-sharded-st"), max_shard_size="80KB")
    for f in listing(WORK / "bert-sharded-st"):
        if f.startswith("model"):
            shutil.copy(WORK / "bert-sharded-st" / f, d / f)
    assert (d / "model.safetensors.index.json").exists() and len(listing(d)) >= 5, listing(d)
    shutil.rmtree(WORK / "bert-sharded-st")

    # Expected outputs: ST on the reference dir, mean pooling (plain HF checkpoint) and CLS pooling.
    mean_model, captured = load_model(str(ref))
    # max_seq_length=None: ST's default for the plain checkpoint (min(max_position_embeddings, model_max_length)).
    cls_model = st_from_hf(ref, "cls", max_seq_length=None)
    assert cls_model.max_seq_length == mean_model.max_seq_length == 64
    cls_single = forward_single(cls_model, texts)["sentences"]
    cls_enc = cls_model.encode(texts, batch_size=BATCH, convert_to_numpy=True)
    want = mean_model.encode(texts, batch_size=BATCH, convert_to_numpy=True)

    # Every float32 layout, loaded by transformers (bert_config.json renamed), gives the same embeddings.
    checks = {}
    for name in ("bert-bin", "bert-bin-legacy", "bert-bin-views", "bert-sharded-bin", "bert-sharded-safetensors"):
        m, cap = load_model(str(load_as_hf_copy(OUT / name, name)))
        got = m.encode(texts, batch_size=BATCH, convert_to_numpy=True)
        report = parse_load_report(weight_problems(cap))
        checks[name] = {"max_abs_diff": float(np.abs(got - want).max()),
                        "load_report": {k: sorted(v) for k, v in report.items()}}
        log(f"  {name}: python max_abs_diff {checks[name]['max_abs_diff']:.2e}")
        assert checks[name]["max_abs_diff"] == 0.0, (name, checks[name])
    doc = expected_doc(mean_model, texts, labels,
                       "ST 6.2 on the float32 BERT of the bert-* layouts: SentenceTransformer(<dir>) = Transformer + "
                       "mean pooling (plain HF checkpoint), and Transformer + CLS pooling",
                       {
                           "layouts": layouts,
                           "load_weight_problems_reference": weight_problems(captured),
                           "python_checks": {
                               "note": "each layout copied, bert_config.json renamed to config.json (transformers "
                               "reads only config.json), loaded with SentenceTransformer(dir); encode() compared "
                               "with encode.sentence_embeddings",
                               "layouts": checks,
                           },
                           "cls_pooling": {
                               "call": "SentenceTransformer(modules=[Transformer(dir), Pooling(32, 'cls')])",
                               "max_seq_length": cls_model.max_seq_length,
                               "single_batch_sentence_embeddings": to_list(cls_single),
                               "encode_sentence_embeddings": to_list(cls_enc),
                           },
                       })
    write_json(OUT / "bert.expected.json", doc)

    for dtype in ("fp16", "bf16"):
        src = load_as_hf_copy(OUT / f"bert-bin-{dtype}", f"bert-bin-{dtype}")
        m, cap = load_model(str(src), model_kwargs={"dtype": torch.float32})
        assert next(m[0].parameters()).dtype == torch.float32
        doc = expected_doc(m, texts, labels,
                           f"ST 6.2 on bert-bin-{dtype}/ loaded with model_kwargs={{'dtype': torch.float32}} "
                           f"(the {dtype} weights upcast exactly to float32), mean pooling",
                           {"load_weight_problems": weight_problems(cap)})
        write_json(OUT / f"bert-{dtype}.expected.json", doc)


# ------------------------------------------------------------------------------------------------
# other architectures as sentence-transformers directories


def save_st(model, out: Path) -> list[str]:
    if out.exists():
        shutil.rmtree(out)
    model.save(str(out), create_model_card=False)
    return listing(out)


def make_arch(name: str, toks: dict, texts: list[str], labels: list[str]) -> None:
    import torch
    from transformers import (DistilBertConfig, DistilBertModel, DistilBertTokenizer, MPNetConfig, MPNetModel,
                              RobertaConfig, RobertaModel, XLMRobertaConfig, XLMRobertaModel)

    hf = fresh(WORK / f"hf-{name}")
    pooling, normalize, extra = "mean", False, {}
    if name == "distilbert":
        wp = toks["wordpiece_vocab"]
        cfg = DistilBertConfig(vocab_size=len(wp), dim=HIDDEN, n_layers=LAYERS, n_heads=HEADS,
                               hidden_dim=INTERMEDIATE, max_position_embeddings=64, activation="gelu",
                               sinusoidal_pos_embds=False, pad_token_id=0)
        torch.manual_seed(202)
        model = DistilBertModel(cfg)
        reinit(model, 202)
        (WORK / "vocab-distil").mkdir(exist_ok=True)
        shutil.copy(WORK / "vocab" / "vocab.txt", WORK / "vocab-distil" / "vocab.txt")
        tok = DistilBertTokenizer.from_pretrained(str(WORK / "vocab-distil"), do_lower_case=True)
    elif name in ("roberta", "xlm-roberta"):
        tok = toks["roberta" if name == "roberta" else "xlmr"]
        C, M = (RobertaConfig, RobertaModel) if name == "roberta" else (XLMRobertaConfig, XLMRobertaModel)
        cfg = C(vocab_size=len(tok.get_vocab()), hidden_size=HIDDEN, num_hidden_layers=LAYERS,
                num_attention_heads=HEADS, intermediate_size=INTERMEDIATE, max_position_embeddings=MAX_SEQ + 34,
                type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)
        seed = 203 if name == "roberta" else 204
        torch.manual_seed(seed)
        model = M(cfg)
        reinit(model, seed)
        if name == "xlm-roberta":
            pooling = "cls"
    elif name == "mpnet":
        tok = toks["mpnet"]
        cfg = MPNetConfig(vocab_size=len(tok.get_vocab()), hidden_size=HIDDEN, num_hidden_layers=LAYERS,
                          num_attention_heads=HEADS, intermediate_size=INTERMEDIATE,
                          max_position_embeddings=MAX_SEQ + 34, relative_attention_num_buckets=32,
                          layer_norm_eps=1e-5, pad_token_id=1)
        torch.manual_seed(205)
        model = MPNetModel(cfg)
        reinit(model, 205)
        normalize = True
        from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

        rel_pos = torch.arange(-600, 601)
        extra["relative_position_bucket"] = {
            "note": "MPNetEncoder.relative_position_bucket(relative_position=memory - context, num_buckets=32, "
            "max_distance=128) for relative positions -600..600",
            "relative_positions": rel_pos.tolist(),
            "buckets": MPNetEncoder.relative_position_bucket(rel_pos, num_buckets=32, max_distance=128).tolist(),
        }
    else:
        raise ValueError(name)
    model.save_pretrained(str(hf))
    tok.model_max_length = 512
    tok.save_pretrained(str(hf))
    st = st_from_hf(hf, pooling, normalize)
    out = OUT / name
    written = save_st(st, out)
    edits = []
    if name == "distilbert":
        # msmarco-distilbert-* and other older ST models ship pytorch_model.bin.
        from safetensors.torch import load_file

        sd = load_file(str(out / "model.safetensors"))
        (out / "model.safetensors").unlink()
        torch.save(sd, out / "pytorch_model.bin")
        edits.append("model.safetensors replaced by pytorch_model.bin (torch.save of the same state dict)")
    loaded, cap = load_model(str(out))
    extra.update({"st_written_files": written, "hand_edits": edits, "load_weight_problems": weight_problems(cap),
                  "hf_config": json.loads((out / "config.json").read_text(encoding="utf-8"))})
    doc = expected_doc(loaded, texts, labels, f"ST 6.2 outputs of the tiny {name} model in {name}/, loaded from disk "
                       "by SentenceTransformer(dir, device='cpu')", extra)
    write_json(OUT / f"{name}.expected.json", doc)


# ------------------------------------------------------------------------------------------------
# XLM-R tokenizer.json as the hub has it (transformers 5 rebuilds its pipeline)


def make_xlmr_hubstyle(toks: dict, texts: list[str]) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    d = fresh(OUT / "xlm-roberta-hubstyle-tokenizer")
    toks["xlmr"].save_pretrained(str(d))
    tj = json.loads((d / "tokenizer.json").read_text(encoding="utf-8"))
    # The hub's xlm-roberta-base tokenizer.json: Precompiled + Replace(" {2,}", " ") normaliser (the charsmap is
    # left out here: it needs sentencepiece) and a lone Metaspace pre-tokenizer.
    tj["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    tj["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    (d / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    all_texts = texts + ["   ", "a  b", "end  ", "x \u3000 y"]
    tok = AutoTokenizer.from_pretrained(str(d))
    tok.model_max_length = MAX_SEQ
    raw = Tokenizer.from_file(str(d / "tokenizer.json"))
    ids = [tok(t, truncation=True, max_length=MAX_SEQ)["input_ids"] for t in all_texts]
    raw_ids = [raw.encode(t).ids[:MAX_SEQ - 1] + ([2] if len(raw.encode(t).ids) > MAX_SEQ else []) for t in all_texts]
    doc = header("XLM-R tokenizer whose tokenizer.json has the hub's pipeline (Replace normaliser, lone Metaspace "
                 "pre-tokenizer). transformers 5's XLMRobertaTokenizer keeps only the vocab and the Precompiled "
                 "charsmap and rebuilds WhitespaceSplit + Metaspace(prepend_scheme='always'); input_ids are what "
                 "AutoTokenizer gives (truncation at max_length)")
    doc.update({
        "tokenizer_class": tok.__class__.__name__,
        "backend_pre_tokenizer": repr(tok.backend_tokenizer.pre_tokenizer),
        "backend_normalizer": repr(tok.backend_tokenizer.normalizer),
        "max_length": MAX_SEQ,
        "texts": all_texts,
        "input_ids": ids,
        "raw_tokenizer_json_differs_at": [i for i, (a, b) in enumerate(zip(ids, raw_ids)) if a != b],
    })
    assert doc["raw_tokenizer_json_differs_at"], "the hub-style pipeline should differ somewhere"
    write_json(OUT / "xlm-roberta-hubstyle-tokenizer.expected.json", doc)


def manifest() -> None:
    files = []
    for f in listing(OUT):
        if f in ("manifest.json", "convert-check.json"):  # convert-check.json comes from check_convert.sh
            continue
        data = (OUT / f).read_bytes()
        files.append({"path": f, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    doc = header("Every file under tools/parity/fixtures/checkpoints/ with its size and sha256")
    doc["total_bytes"] = sum(f["bytes"] for f in files)
    doc["files"] = files
    write_json(OUT / "manifest.json", doc, indent=1)
    log(f"manifest: {len(files)} files, {doc['total_bytes']} bytes")


def main() -> None:
    setup_torch()
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    texts, labels = texts_for_fixtures()
    log("tokenizers")
    toks = make_tokenizers()
    log("bert layouts")
    make_bert(toks, texts, labels)
    for name in ("distilbert", "roberta", "xlm-roberta", "mpnet"):
        log(name)
        make_arch(name, toks, texts, labels)
    log("xlm-roberta hub-style tokenizer")
    make_xlmr_hubstyle(toks, texts)
    manifest()
    log(f"done: {rel(OUT)}")


if __name__ == "__main__":
    main()
