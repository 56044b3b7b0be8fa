#!/usr/bin/env python3
"""Check a model directory (e.g. one written by the TypeScript saver) against an expected-embeddings JSON.

    tools/parity/.venv/bin/python tools/parity/core/check_saved_model.py <model_dir> <expected_json> \
        [--out result.json] [--tol 1e-5] [--strict]

Loads <model_dir> with sentence-transformers 6.2 (`SentenceTransformer(dir, device="cpu")`), encodes the
expected JSON's `texts` with the batch size recorded there, and reports the max abs difference against the
expected sentence embeddings. The expected JSON can be any `models/<name>.expected.json`
(`encode.sentence_embeddings`) or `minilm-embeddings.json` (`embeddings_f32_b64`).

Also reported: what ST/transformers logged while loading, and the tensors transformers' LOAD REPORT lists as
MISSING / UNEXPECTED / MISMATCH (e.g. a saver that drops `pooler.*` shows up here even though embeddings
match), and a max_seq_length / dimension mismatch.

Exit status: 0 = within tolerance; 1 = difference above --tol, dimension/count mismatch, max_seq_length
mismatch, or (with --strict) any weight problem reported while loading; 2 = the directory failed to load.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import traceback
from pathlib import Path

import numpy as np

# No __pycache__/ inside the repo (the root .gitignore does not list it).
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import versions  # noqa: E402
from loadlog import load_model, weight_problems  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def expected_embeddings(exp: dict) -> tuple[np.ndarray, int]:
    if "encode" in exp and "sentence_embeddings" in exp["encode"]:
        return np.asarray(exp["encode"]["sentence_embeddings"], dtype=np.float64), int(exp["encode"].get("batch_size", 32))
    if "embeddings_f32_b64" in exp:
        raw = np.frombuffer(base64.b64decode(exp["embeddings_f32_b64"]), dtype="<f4")
        return raw.reshape(-1, int(exp["dim"])).astype(np.float64), int(exp.get("batch_size", 32))
    if "sentence_embeddings" in exp:
        return np.asarray(exp["sentence_embeddings"], dtype=np.float64), int(exp.get("batch_size", 32))
    raise SystemExit("expected JSON has no encode.sentence_embeddings / embeddings_f32_b64 / sentence_embeddings")


def parse_load_report(problems: list[str]) -> dict[str, list[str]]:
    """Key names from transformers 5's 'LOAD REPORT' table (`key | STATUS | ...`)."""
    out: dict[str, list[str]] = {"missing": [], "unexpected": [], "mismatch": []}
    for p in problems:
        for line in ANSI.sub("", p).splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) >= 2 and cells[1] in ("MISSING", "UNEXPECTED", "MISMATCH"):
                out[cells[1].lower()].append(cells[0])
    return out


def check(model_dir: str, expected_path: str, tol: float, strict: bool) -> tuple[int, dict]:
    exp = json.loads(Path(expected_path).read_text(encoding="utf-8"))
    texts = exp["texts"]
    want, batch_size = expected_embeddings(exp)
    result: dict = {
        "model_dir": model_dir,
        "expected_json": expected_path,
        "tolerance": tol,
        "versions": versions(),
        "texts": len(texts),
        "batch_size": batch_size,
    }
    try:
        model, captured = load_model(model_dir)
    except Exception as e:  # noqa: BLE001 - report any load failure
        result.update({"ok": False, "status": "load_error", "error": f"{type(e).__name__}: {e}",
                       "traceback": traceback.format_exc()})
        return 2, result

    problems = [ANSI.sub("", p) for p in weight_problems(captured)]
    result["modules"] = [m.__class__.__name__ for m in model]
    result["load_warnings"] = [ANSI.sub("", f"{r['level']} {r['logger']}: {r['message']}") for r in captured["logs"]
                               if r["level"] in ("WARNING", "ERROR", "CRITICAL")] + captured["warnings"]
    result["weight_problems"] = problems
    result["weight_report"] = parse_load_report(problems)

    failures: list[str] = []
    exp_len = exp.get("max_seq_length")
    result["max_seq_length"] = {"expected": exp_len, "loaded": model.max_seq_length}
    if exp_len is not None and exp_len != model.max_seq_length:
        failures.append(f"max_seq_length {model.max_seq_length} != expected {exp_len}")

    got = model.encode(texts, batch_size=batch_size, convert_to_numpy=True).astype(np.float64)
    if got.shape != want.shape:
        failures.append(f"embedding shape {list(got.shape)} != expected {list(want.shape)}")
        result["max_abs_diff"] = None
    else:
        per_text = np.abs(got - want).max(axis=1)
        result["max_abs_diff"] = float(per_text.max()) if len(per_text) else 0.0
        result["worst_text_index"] = int(per_text.argmax()) if len(per_text) else None
        result["per_text_max_abs_diff"] = [float(x) for x in per_text]
        if result["max_abs_diff"] > tol:
            failures.append(f"max abs diff {result['max_abs_diff']:.3e} > tol {tol:.1e} "
                            f"(worst text #{result['worst_text_index']}: {texts[result['worst_text_index']]!r:.80})")
    if "single_batch" in exp and got.shape == want.shape:
        import torch

        with torch.inference_mode():
            single = model(model.preprocess(texts))["sentence_embedding"].numpy().astype(np.float64)
        ref = np.asarray(exp["single_batch"]["sentence_embeddings"], dtype=np.float64)
        result["single_batch_max_abs_diff"] = float(np.abs(single - ref).max())
    if strict and problems:
        failures.append("weight problems reported while loading (--strict)")
    result["failures"] = failures
    result["ok"] = not failures
    result["status"] = "ok" if not failures else "mismatch"
    return (0 if not failures else 1), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("expected_json")
    ap.add_argument("--out", help="write the full result JSON here")
    ap.add_argument("--tol", type=float, default=1e-5, help="max allowed abs difference (default 1e-5)")
    ap.add_argument("--strict", action="store_true", help="also fail on MISSING/UNEXPECTED/MISMATCH weights")
    args = ap.parse_args(argv)
    code, result = check(args.model_dir, args.expected_json, args.tol, args.strict)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {k: result.get(k) for k in ("status", "max_abs_diff", "single_batch_max_abs_diff", "max_seq_length",
                                          "modules", "weight_report", "failures", "error")}
    print(json.dumps(summary, ensure_ascii=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
