#!/usr/bin/env python3
"""Writes tools/parity/fixtures/core/dense-bin/pytorch_model.bin: the Dense weights of the
tiny-multi-dense fixture saved with torch.save, as sentence-transformers < 2.3 stored Dense
modules. A test swaps it in for 2_Dense/model.safetensors and expects the same embeddings.

    tools/parity/.venv/bin/python tools/parity/core/make_dense_bin.py
"""
import os, sys
sys.dont_write_bytecode = True
import torch
from safetensors.torch import load_file

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
src = os.path.join(root, "tools/parity/fixtures/core/models/tiny-multi-dense/2_Dense/model.safetensors")
out = os.path.join(root, "tools/parity/fixtures/core/dense-bin/pytorch_model.bin")
os.makedirs(os.path.dirname(out), exist_ok=True)
torch.save(load_file(src), out)
print(out, torch.__version__)
