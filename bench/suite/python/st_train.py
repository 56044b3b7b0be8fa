#!/usr/bin/env python3
"""sentence-transformers training-step case of bench/suite (PyTorch CPU).

    tools/parity/.venv/bin/python bench/suite/python/st_train.py <spec.json>

One optimizer step = tokenize both columns, forward in train mode (dropout on), CoSENTLoss (labels =
STS score / 5) or MultipleNegativesRankingLoss (anchor, positive), backward, clip_grad_norm_ to
spec.maxGradNorm, torch.optim.AdamW (lr spec.lr, weight decay spec.weightDecay except bias and
LayerNorm, as ST's trainer), zero_grad. Step spec.steps[0..warmup) is the warm-up; the others are
timed one by one. spec.shape 'minilm' loads all-MiniLM-L6-v2; 'tiny' is a randomly initialised BERT of
spec.tinyShape with the MiniLM tokenizer + mean pooling. Prints one result line.
"""
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import emit, read_spec, set_threads, versions  # noqa: E402


def build_model(spec):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(spec["modelDir"], device="cpu")
    if spec["shape"] == "tiny":
        import torch
        from transformers import BertConfig, BertModel
        from sentence_transformers.sentence_transformer.modules import Pooling

        s = spec["tinyShape"]
        torch.manual_seed(42)
        cfg = BertConfig(vocab_size=model[0].auto_model.config.vocab_size, hidden_size=s["hidden"], num_hidden_layers=s["layers"],
                         num_attention_heads=s["heads"], intermediate_size=s["intermediate"], hidden_act="gelu",
                         max_position_embeddings=512, type_vocab_size=2, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
        transformer = model[0]
        transformer.model = BertModel(cfg, add_pooling_layer=False)
        model = SentenceTransformer(modules=[transformer, Pooling(s["hidden"], "mean")], device="cpu")
    model.max_seq_length = spec["maxSeqLength"]
    return model


def main() -> None:
    spec = read_spec()
    threads = set_threads()
    import torch
    from sentence_transformers.losses import CoSENTLoss, MultipleNegativesRankingLoss

    torch.manual_seed(42)
    model = build_model(spec)
    model.train()
    loss_fn = CoSENTLoss(model) if spec["loss"] == "cosent" else MultipleNegativesRankingLoss(model)
    named = [(n, p) for n, p in loss_fn.named_parameters() if p.requires_grad]
    no_decay = ("bias", "LayerNorm.bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in named if not any(nd in n for nd in no_decay)], "weight_decay": spec["weightDecay"]},
        {"params": [p for n, p in named if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=spec["lr"])
    params = [p for _, p in named]
    step_seconds, losses, padded = [], [], []
    for i, step in enumerate(spec["steps"]):
        t0 = time.perf_counter()
        features = [model.preprocess(col) for col in step["columns"]]
        labels = torch.tensor(step["labels"], dtype=torch.float32) if step.get("labels") is not None else None
        loss = loss_fn(features, labels)
        loss.backward()
        if spec["maxGradNorm"] > 0:
            torch.nn.utils.clip_grad_norm_(params, spec["maxGradNorm"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t0
        if i >= spec["warmup"]:
            step_seconds.append(dt)
        losses.append(float(loss.detach()))
        padded.append([int(f["input_ids"].shape[1]) for f in features])
    step_seconds_sorted = sorted(step_seconds)
    n = len(step_seconds_sorted)
    med = (step_seconds_sorted[(n - 1) // 2] + step_seconds_sorted[n // 2]) / 2 if n else None
    emit({
        "status": "ok",
        "backend": {"choice": "torch", "torch_threads": threads, "device": "cpu",
                    "attn_implementation": getattr(model[0].auto_model.config, "_attn_implementation", None)},
        "versions": versions("torch", "sentence-transformers", "transformers", "tokenizers", "numpy"),
        "step_seconds": step_seconds, "median_step_seconds": med, "losses": losses, "padded_lengths": padded,
        "parameters": sum(p.numel() for p in params),
    })


if __name__ == "__main__":
    main()
