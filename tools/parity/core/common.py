"""Shared helpers for the @sbert/core parity fixtures.

Every fixture JSON carries `generated_by` (the command that regenerates it) and `versions`
(the library versions that produced it), so a failing TypeScript test can be traced back to
the exact Python oracle.
"""

from __future__ import annotations

import base64
import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

# tools/parity/core/common.py -> repo root is three levels up.
REPO_ROOT = Path(__file__).resolve().parents[3]
PARITY_DIR = REPO_ROOT / "tools" / "parity"
FIXTURES_DIR = PARITY_DIR / "fixtures" / "core"
MODELS_DIR = FIXTURES_DIR / "models"
VOCAB_DIR = FIXTURES_DIR / "tiny-vocab"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
MINILM_DIR = REPO_ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"
# Scratch space (git-ignored: tools/parity/.work/).
WORK_DIR = PARITY_DIR / ".work" / "core"

MAKE_COMMAND = "tools/parity/.venv/bin/python tools/parity/core/make_fixtures.py"


def generated_by(step: str | None = None) -> str:
    """The exact command (run from the repo root) that regenerates a fixture."""
    if step is None:
        return MAKE_COMMAND
    return f"{MAKE_COMMAND} --only {step}"


def versions() -> dict[str, str]:
    import sentence_transformers
    import tokenizers
    import torch
    import transformers

    import safetensors

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence-transformers": sentence_transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
    }


def header(step: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "generated_by": generated_by(step),
        "versions": versions(),
    }


def round_sig(x: float, sig: int = 9) -> float:
    """Round a float to `sig` significant digits (9 digits round-trip any float32 exactly)."""
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return x
    return float(f"{x:.{sig - 1}e}")


def to_list(arr: Any, sig: int = 9) -> Any:
    """numpy/torch array -> nested python lists of floats rounded to `sig` significant digits."""
    if hasattr(arr, "detach"):
        arr = arr.detach().cpu().numpy()
    arr = np.asarray(arr)
    if arr.dtype.kind in "iub":
        return arr.tolist()
    flat = [round_sig(v, sig) for v in arr.astype(np.float64).ravel().tolist()]
    out = np.array(flat, dtype=object).reshape(arr.shape)
    return out.tolist()


def f32_b64(arr: Any) -> str:
    """Little-endian float32, row-major, base64."""
    if hasattr(arr, "detach"):
        arr = arr.detach().cpu().numpy()
    a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
    return base64.b64encode(a.tobytes()).decode("ascii")


def write_json(path: Path, obj: Any, indent: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def rel(path: Path) -> str:
    """Path relative to the repo root, for recording in fixtures."""
    return os.path.relpath(Path(path).resolve(), REPO_ROOT)


def setup_torch(threads: int = 2) -> None:
    import torch

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def log(msg: str) -> None:
    print(f"[parity/core] {msg}", file=sys.stderr, flush=True)
