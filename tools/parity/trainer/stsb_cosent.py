#!/usr/bin/env python3
"""Reference run for apps/trainer's acceptance: fine-tune all-MiniLM-L6-v2 on the English STS-B
train split with CoSENTLoss for one epoch with sentence-transformers 6.2 (CPU), then report the
Spearman correlation (cosine) on the STS-B test split. The same recipe is run by
bench/trainer/stsb-cosent.bench.mjs with @sbert/trainer.

    tools/parity/.venv/bin/python tools/parity/trainer/stsb_cosent.py [--out bench/results/...json]

Recipe: batch 16, lr 2e-5, AdamW weight decay 0.01 (not on bias / LayerNorm), warmup 10% then
linear decay, max grad norm 1, 1 epoch, seed 42, scores normalised to 0..1, max_seq_length of the
model (256).
"""
import argparse, gzip, json, platform, sys, time
from pathlib import Path

sys.dont_write_bytecode = True
root = Path(__file__).resolve().parents[3]

def read_split(split):
    s1, s2, y = [], [], []
    with gzip.open(root.parent / "shared/data/english-sts-b/stsbenchmark.tsv.gz", "rt", encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\r\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\r\n").split("\t")))
            if row["split"] == split:
                s1.append(row["sentence1"]); s2.append(row["sentence2"]); y.append(float(row["score"]) / 5.0)
    return s1, s2, y

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch, transformers, sentence_transformers
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.losses import CoSENTLoss
    from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator
    torch.manual_seed(42)
    model = SentenceTransformer(str(root / ".cache/models/all-MiniLM-L6-v2"), device="cpu")
    tr = read_split("train"); te = read_split("test")
    ev = EmbeddingSimilarityEvaluator(te[0], te[1], te[2], name="sts-test")
    before = ev(model)["sts-test_spearman_cosine"]
    ds = Dataset.from_dict({"sentence1": tr[0], "sentence2": tr[1], "score": tr[2]})
    targs = SentenceTransformerTrainingArguments(output_dir=str(root / "tools/parity/.work/stsb-cosent"), num_train_epochs=1,
        per_device_train_batch_size=16, learning_rate=2e-5, warmup_ratio=0.1, weight_decay=0.01, max_grad_norm=1.0,
        lr_scheduler_type="linear", seed=42, save_strategy="no", report_to="none", logging_steps=50, use_cpu=True)
    t0 = time.time()
    SentenceTransformerTrainer(model=model, args=targs, train_dataset=ds, loss=CoSENTLoss(model)).train()
    seconds = time.time() - t0
    after = ev(model)["sts-test_spearman_cosine"]
    out = {"what": "all-MiniLM-L6-v2 + CoSENTLoss, 1 epoch on STS-B train (5,749 pairs), Spearman (cosine) on STS-B test (1,379 pairs)",
           "generated_by": "tools/parity/.venv/bin/python tools/parity/trainer/stsb_cosent.py",
           "implementation": "sentence-transformers (PyTorch CPU)",
           "versions": {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__, "sentence-transformers": sentence_transformers.__version__},
           "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": torch.get_num_threads()},
           "recipe": {"batch_size": 16, "learning_rate": 2e-5, "warmup_ratio": 0.1, "weight_decay": 0.01, "max_grad_norm": 1.0, "epochs": 1, "seed": 42, "scores": "score/5"},
           "spearman_before": before, "spearman_after": after, "train_seconds": seconds}
    print(json.dumps(out, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=1))

main()
