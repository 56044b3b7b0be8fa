#!/usr/bin/env python3
"""Machine matMul peak for bench/suite: float32 n×n×n matmul with torch (all cores and 1 thread),
numpy (its BLAS, all cores) and onnxruntime (python, default threads) when installed.

    tools/parity/.venv/bin/python bench/suite/python/peak.py <spec.json>     # spec: size, warmup, reps
"""
import os
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import emit, read_spec, versions  # noqa: E402


def measure(fn, warmup, reps):
    times = []
    for r in range(warmup + reps):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        if r >= warmup:
            times.append(dt)
    return times


def record(name, engine, threads, n, times):
    flops = 2 * n ** 3
    s = sorted(times)
    med = (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2
    return {"name": name, "engine": engine, "threads": threads, "size": n, "seconds": times,
            "gflops_best": flops / min(times) / 1e9, "gflops_median": flops / med / 1e9}


def main() -> None:
    spec = read_spec()
    n, warmup, reps = spec["size"], spec["warmup"], spec["reps"]
    import numpy as np
    import torch

    peaks = []
    cores = os.cpu_count() or 1
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.set_num_threads(cores)
    peaks.append(record("torch", "torch.mm (sgemm)", cores, n, measure(lambda: torch.mm(a, b), warmup, reps)))
    torch.set_num_threads(1)
    peaks.append(record("torch-1t", "torch.mm (sgemm)", 1, n, measure(lambda: torch.mm(a, b), warmup, reps)))
    torch.set_num_threads(cores)
    an, bn = a.numpy(), b.numpy()
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:  # older numpy
        blas = "BLAS"
    peaks.append(record("numpy", f"numpy.matmul ({blas})", "BLAS default (all cores)", n, measure(lambda: an @ bn, warmup, reps)))
    try:
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper

        graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])], "matmul",
                                  [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n]),
                                   helper.make_tensor_value_info("B", TensorProto.FLOAT, [n, n])],
                                  [helper.make_tensor_value_info("C", TensorProto.FLOAT, [n, n])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        feeds = {"A": an, "B": bn}
        peaks.append(record("ort-python", f"onnxruntime {ort.__version__} MatMul", "default (all cores)", n, measure(lambda: sess.run(None, feeds), warmup, reps)))
    except ImportError as error:
        peaks.append({"name": "ort-python", "skipped": f"onnx/onnxruntime not installed: {error}"})
    emit({"status": "ok", "versions": versions("torch", "numpy", "onnxruntime", "onnx"), "peaks": peaks})


if __name__ == "__main__":
    main()
