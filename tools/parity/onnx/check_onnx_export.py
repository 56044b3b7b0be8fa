#!/usr/bin/env python3
"""Checks @sbert/core's ONNX export with plain onnxruntime against sentence-transformers' PyTorch models.

For all-MiniLM-L6-v2 and every tiny fixture model (tools/parity/fixtures/core/models,
tools/parity/fixtures/checkpoints) it:
  1. exports the model with @sbert/core (node tools/parity/onnx/export_models.mjs, which needs
     `pnpm build` in packages/core) into a temporary directory;
  2. validates the file with onnx.checker.check_model(full_check=True);
  3. runs it with onnxruntime.InferenceSession on sentence-transformers' own tokenisation of the
     fixture texts (one padded batch), and compares `sentence_embedding` with
     SentenceTransformer.encode (one batch: the same padding) and `last_hidden_state` with the
     token embeddings of ST's forward pass;
  4. for MiniLM also the int8 export (`quantize: 'int8'`), as cosine with the PyTorch embeddings.
Writes tools/parity/results/onnx-export.json. Run from the repository root:

    tools/parity/.venv/bin/python tools/parity/onnx/check_onnx_export.py
"""
import json
import platform
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[3]
RESULTS = ROOT / "tools/parity/results/onnx-export.json"
COMMAND = "tools/parity/.venv/bin/python tools/parity/onnx/check_onnx_export.py"
CORE = ROOT / "tools/parity/fixtures/core"
CHECKPOINTS = ROOT / "tools/parity/fixtures/checkpoints"
MINILM = ROOT / ".cache/models/all-MiniLM-L6-v2"

TINY = {
    **{n: (CORE / "models" / n, CORE / "models" / f"{n}.expected.json") for n in [
        "tiny-mean", "tiny-cls-normalize", "tiny-multi-dense", "tiny-weightedmean-dense-identity", "tiny-lasttoken",
        "tiny-max-mean", "tiny-mean-max-order", "legacy-subfolder", "plain-hf", "vocab-only"]},
    **{n: (CHECKPOINTS / n, CHECKPOINTS / f"{n}.expected.json") for n in ["distilbert", "roberta", "xlm-roberta", "mpnet"]},
    "bert": (CHECKPOINTS / "bert-sharded-safetensors", CHECKPOINTS / "bert.expected.json"),
}


def main() -> int:
    import numpy as np
    import onnx
    import onnxruntime
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    models = {name: (d, json.loads(e.read_text())["texts"]) for name, (d, e) in TINY.items()}
    if (MINILM / "model.safetensors").exists():
        texts = json.loads((CORE / "minilm-embeddings.json").read_text())["texts"]
        models = {"all-MiniLM-L6-v2": (MINILM, texts), **models}
    else:
        print(f"{MINILM} is missing (pnpm fetch-models): checking the tiny models only", file=sys.stderr)

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        specs = [f"{n}={d}" + (":int8" if n == "all-MiniLM-L6-v2" else "") for n, (d, _) in models.items()]
        subprocess.run(["node", str(ROOT / "tools/parity/onnx/export_models.mjs"), tmp, *specs], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        for name, (model_dir, texts) in models.items():
            st = SentenceTransformer(str(model_dir), device="cpu")
            st.eval()
            features = st.tokenize(texts)
            with torch.no_grad():
                out = st.forward(dict(features))
                want_tokens = out["token_embeddings"].numpy()
            want = st.encode(texts, batch_size=len(texts), convert_to_numpy=True)
            mask = features["attention_mask"].numpy().astype(bool)
            record = {}
            for file in ["model.onnx", "model_qint8.onnx"]:
                path = Path(tmp) / name / file
                if not path.exists():
                    continue
                onnx.checker.check_model(onnx.load(str(path)), full_check=True)
                session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
                feeds = {i.name: features[i.name].numpy().astype(np.int64) for i in session.get_inputs()}
                sentence, tokens = session.run(["sentence_embedding", "last_hidden_state"], feeds)
                cos = (sentence * want).sum(1) / np.linalg.norm(sentence, axis=1) / np.linalg.norm(want, axis=1)
                record[file] = {
                    "inputs": sorted(feeds),
                    "checker": "ok",
                    "onnx_bytes": path.stat().st_size,
                    "sentence_embedding_max_abs_diff": float(np.abs(sentence - want).max()),
                    "sentence_embedding_min_cosine": float(cos.min()),
                    "sentence_embedding_mean_cosine": float(cos.mean()),
                    "last_hidden_state_max_abs_diff": float(np.abs(tokens - want_tokens)[mask].max()),
                }
            results[name] = {"texts": len(texts), **record}
            f = record["model.onnx"]
            q = record.get("model_qint8.onnx")
            print(f"{name}: max|Δ| sentence {f['sentence_embedding_max_abs_diff']:.2e} tokens {f['last_hidden_state_max_abs_diff']:.2e} min cos {f['sentence_embedding_min_cosine']:.7f}"
                  + (f"; int8 mean cos {q['sentence_embedding_mean_cosine']:.5f} min {q['sentence_embedding_min_cosine']:.5f}" if q else ""))

    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    floats = [r["model.onnx"] for r in results.values()]
    summary = {
        "description": "@sbert/core's exportOnnx files run with plain onnxruntime.InferenceSession, against sentence-transformers' PyTorch embeddings of the same texts (one padded batch)",
        "generated_by": COMMAND,
        "versions": {
            "python": platform.python_version(),
            "sentence-transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "transformers": version("transformers"),
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "node": node,
        },
        "worst_float": {
            "sentence_embedding_max_abs_diff": max(r["sentence_embedding_max_abs_diff"] for r in floats),
            "last_hidden_state_max_abs_diff": max(r["last_hidden_state_max_abs_diff"] for r in floats),
            "sentence_embedding_min_cosine": min(r["sentence_embedding_min_cosine"] for r in floats),
        },
        "models": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=1) + "\n")
    ok = summary["worst_float"]["sentence_embedding_max_abs_diff"] <= 1e-5
    print(f"{RESULTS.relative_to(ROOT)}: worst float max|Δ| {summary['worst_float']['sentence_embedding_max_abs_diff']:.2e} ({'ok' if ok else 'ABOVE 1e-5'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
