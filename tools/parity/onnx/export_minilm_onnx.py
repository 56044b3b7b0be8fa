#!/usr/bin/env python3
"""Exports all-MiniLM-L6-v2 to ONNX for the benchmark suite (bench/suite) and transformers.js.

Copies .cache/models/all-MiniLM-L6-v2 to .cache/models/all-MiniLM-L6-v2-onnx and writes
onnx/model.onnx in the copy with the same export that sentence-transformers' backend="onnx" runs
(optimum's ORTModelForFeatureExtraction.from_pretrained(..., export=True), fp32, opset chosen by
optimum), saved in the `onnx/` subfolder as ST's save_pretrained does. The copy is then a
directory that:
  - sentence-transformers loads with SentenceTransformer(dir, backend="onnx") without exporting again,
  - transformers.js reads (config.json + tokenizer.json + tokenizer_config.json + onnx/model.onnx),
  - @sbert/core's ONNX backend reads (onnx/model.onnx).

It checks that the ONNX model's embeddings equal the PyTorch model's (cosine > 0.99999 on a few
STS-B sentences) and writes export_info.json (command, versions, check) into the copy.

Needs the ONNX venv (sentence-transformers 5.x + optimum-onnx; see tools/parity/requirements-onnx.txt):

    tools/parity/.venv-onnx/bin/python tools/parity/onnx/export_minilm_onnx.py [--force]
"""
import argparse
import gzip
import json
import platform
import shutil
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / ".cache/models/all-MiniLM-L6-v2"
DST = ROOT / ".cache/models/all-MiniLM-L6-v2-onnx"
COMMAND = "tools/parity/.venv-onnx/bin/python tools/parity/onnx/export_minilm_onnx.py"


def check_sentences(n: int = 16) -> list[str]:
    path = ROOT.parent / "shared/data/english-sts-b/stsbenchmark.tsv.gz"
    out: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        f.readline()
        for line in f:
            cols = line.rstrip("\r\n").split("\t")
            out.append(cols[6])
            if len(out) == n:
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="export again even if onnx/model.onnx exists")
    args = ap.parse_args()
    if not (SRC / "model.safetensors").exists():
        print(f"{SRC} is missing: run `pnpm fetch-models` first", file=sys.stderr)
        return 2

    import numpy as np
    import onnxruntime
    import optimum
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    onnx_file = DST / "onnx" / "model.onnx"
    if onnx_file.exists() and not args.force:
        print(f"{onnx_file} exists (use --force to export again)")
        return 0

    tmp = DST.with_name(DST.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(SRC, tmp, ignore=shutil.ignore_patterns(".git*", "onnx", "openvino"))
    # Exports with optimum (ST logs a hint to save the export; we save it below).
    model = SentenceTransformer(str(tmp), backend="onnx", device="cpu")
    # ST wraps the ORT model's _save_pretrained so that it writes into <dir>/onnx/.
    model[0].auto_model.save_pretrained(str(tmp))
    if not (tmp / "onnx" / "model.onnx").exists():
        print(f"export did not write {tmp / 'onnx' / 'model.onnx'}", file=sys.stderr)
        return 1

    # Check: reload from the saved file (no export) and compare with PyTorch.
    texts = check_sentences()
    reloaded = SentenceTransformer(str(tmp), backend="onnx", device="cpu")
    reference = SentenceTransformer(str(SRC), device="cpu")
    a = reloaded.encode(texts, normalize_embeddings=True)
    b = reference.encode(texts, normalize_embeddings=True)
    cos = (a * b).sum(axis=1)
    min_cos = float(np.min(cos))
    if min_cos < 0.99999:
        print(f"ONNX export disagrees with PyTorch: min cosine {min_cos}", file=sys.stderr)
        return 1

    info = {
        "what": "all-MiniLM-L6-v2 exported to ONNX (fp32) with optimum, as sentence-transformers' backend='onnx' does",
        "generated_by": COMMAND,
        "source": str(SRC.relative_to(ROOT)),
        "onnx_file": "onnx/model.onnx",
        "onnx_bytes": (tmp / "onnx" / "model.onnx").stat().st_size,
        "check": {"sentences": len(texts), "min_cosine_vs_torch": min_cos},
        "versions": {
            "python": platform.python_version(),
            "sentence-transformers": sentence_transformers.__version__,
            "optimum": getattr(optimum, "__version__", None) or _dist_version("optimum"),
            "optimum-onnx": _dist_version("optimum-onnx"),
            "onnxruntime": onnxruntime.__version__,
            "onnx": _dist_version("onnx"),
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
    }
    (tmp / "export_info.json").write_text(json.dumps(info, indent=1) + "\n")
    if DST.exists():
        shutil.rmtree(DST)
    tmp.rename(DST)
    print(json.dumps(info, indent=1))
    return 0


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
