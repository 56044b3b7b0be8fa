#!/usr/bin/env python3
"""sentence-transformers encode case of bench/suite (PyTorch CPU, or ONNX Runtime with backend='onnx').

    tools/parity/.venv/bin/python bench/suite/python/st_encode.py <spec.json>       # backend torch
    tools/parity/.venv-onnx/bin/python bench/suite/python/st_encode.py <spec.json>  # spec.backend 'onnx'

spec.kind 'encode': encodes each batch of spec.batches with model.encode(batch, batch_size=B) after
spec.warmup warm-up batches and reports the per-batch wall time; 'agreement': writes the embeddings
of spec.texts to spec.out. Prints one result line (bench_common.RESULT_MARK + JSON).
"""
import json
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import emit, read_spec, set_threads, versions  # noqa: E402


def main() -> None:
    spec = read_spec()
    backend = spec.get("backend", "torch")
    threads = set_threads()
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(spec["modelDir"], device="cpu", backend=backend)
    model.max_seq_length = spec["maxSeqLength"]
    info = {
        "backend": {"choice": backend, "torch_threads": threads, "device": "cpu"},
        "versions": versions("torch", "sentence-transformers", "transformers", "tokenizers", "onnxruntime", "optimum", "optimum-onnx", "numpy"),
    }
    if backend == "onnx":
        import onnxruntime

        sess = getattr(model[0].auto_model, "model", None)
        info["backend"]["providers"] = sess.get_providers() if sess is not None else None
        info["backend"]["onnxruntime"] = onnxruntime.__version__
        info["backend"]["ort_threads"] = "onnxruntime default"

    def encode(texts, batch_size):
        with torch.inference_mode():
            return model.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)

    if spec["kind"] == "encode":
        bs = spec["batchSize"]
        for b in spec["batches"][: spec["warmup"]]:
            encode(b, bs)
        latencies = []
        for b in spec["batches"]:
            t0 = time.perf_counter()
            encode(b, bs)
            latencies.append((time.perf_counter() - t0) * 1000)
        emit({"status": "ok", **info, "latencies_ms": latencies})
    elif spec["kind"] == "agreement":
        emb = encode(spec["texts"], 32)
        Path(spec["out"]).write_text(json.dumps(emb.astype(float).tolist()))
        emit({"status": "ok", **info, "rows": int(emb.shape[0])})
    else:
        raise SystemExit(f"unknown case kind {spec['kind']!r}")


if __name__ == "__main__":
    main()
