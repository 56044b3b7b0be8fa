#!/usr/bin/env python3
"""Golden fixture for apps/trainer's AdamW and gradient clipping: torch.optim.AdamW (ST fit()'s
parameter groups: weight decay 0.01 except names containing bias / LayerNorm.weight) after
torch.nn.utils.clip_grad_norm_, over a few steps with a changing learning rate and given gradients.

    tools/parity/.venv/bin/python tools/parity/trainer/adamw_fixture.py

Writes tools/parity/fixtures/trainer/adamw.json.
"""
import json, platform, sys
from pathlib import Path

import torch

sys.dont_write_bytecode = True
root = Path(__file__).resolve().parents[1]  # tools/parity
out = root / "fixtures" / "trainer" / "adamw.json"

torch.manual_seed(7)
shapes = {"layer.dense.weight": [4, 3], "layer.dense.bias": [4], "layer.LayerNorm.weight": [3], "embeddings.weight": [6, 2]}
params = {n: torch.nn.Parameter(torch.randn(s)) for n, s in shapes.items()}
no_decay = lambda n: "bias" in n or "LayerNorm.weight" in n
groups = [
    {"params": [p for n, p in params.items() if not no_decay(n)], "weight_decay": 0.01},
    {"params": [p for n, p in params.items() if no_decay(n)], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=0.05, betas=(0.9, 0.999), eps=1e-8)
initial = {n: p.detach().flatten().tolist() for n, p in params.items()}
steps = []
for step, (lr, scale) in enumerate([(0.05, 0.3), (0.04, 3.0), (0.03, 0.1), (0.02, 5.0), (0.01, 1.0)]):
    for g in opt.param_groups:
        g["lr"] = lr
    grads = {n: torch.randn(s) * scale for n, s in shapes.items()}
    # Rows of the embedding table without gradient (as a lookup of a few ids gives): zero rows.
    grads["embeddings.weight"][[1, 4]] = 0
    for n, p in params.items():
        p.grad = grads[n].clone()
    norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm=1.0)
    opt.step()
    steps.append({
        "lr": lr,
        "grads": {n: g.flatten().tolist() for n, g in grads.items()},
        "norm": float(norm),
        "params": {n: p.detach().flatten().tolist() for n, p in params.items()},
    })

out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({
    "generated_by": "tools/parity/.venv/bin/python tools/parity/trainer/adamw_fixture.py",
    "versions": {"python": platform.python_version(), "torch": torch.__version__},
    "what": "torch.optim.AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0.01 except bias / LayerNorm.weight) after clip_grad_norm_(max_norm=1) per step",
    "max_grad_norm": 1.0,
    "weight_decay": 0.01,
    "shapes": shapes,
    "initial": initial,
    "steps": steps,
}, indent=1) + "\n")
print(f"wrote {out}")
