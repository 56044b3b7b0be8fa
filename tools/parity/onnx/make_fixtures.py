#!/usr/bin/env python3
"""ONNX files exported the way Python sentence-transformers does, for @sbert/core's ONNX backend tests.

For a few tiny fixture models (BERT with Dense + Normalize, RoBERTa, MPNet, DistilBERT) this writes
into tools/parity/fixtures/onnx/<name>/:
  - model.onnx: optimum's ORTModelForFeatureExtraction export (what SentenceTransformer(dir,
    backend="onnx") runs and saves under onnx/): only `last_hidden_state`, no pooling;
  - model_qint8_avx512_vnni.onnx: that export quantised as sentence-transformers'
    export_dynamic_quantized_onnx_model(model, "avx512_vnni") does (ORTQuantizer,
    AutoQuantizationConfig.avx512_vnni(is_static=False), file suffix qint8_avx512_vnni);
and tools/parity/fixtures/onnx/<name>.expected.json: the token embeddings onnxruntime computes with
each file for one padded batch of the fixture texts (ids from the model's own expected.json, i.e.
sentence-transformers 6.2's tokenisation), plus the float export's distance to PyTorch.

Needs the ONNX venv (optimum; tools/parity/requirements-onnx.txt):

    tools/parity/.venv-onnx/bin/python tools/parity/onnx/make_fixtures.py
"""
import base64
import json
import platform
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tools/parity/fixtures"
OUT = FIXTURES / "onnx"
COMMAND = "tools/parity/.venv-onnx/bin/python tools/parity/onnx/make_fixtures.py"

MODELS = {
    # name: (model dir, expected.json with texts and input_ids)
    "tiny-multi-dense": (FIXTURES / "core/models/tiny-multi-dense", FIXTURES / "core/models/tiny-multi-dense.expected.json"),
    "roberta": (FIXTURES / "checkpoints/roberta", FIXTURES / "checkpoints/roberta.expected.json"),
    "mpnet": (FIXTURES / "checkpoints/mpnet", FIXTURES / "checkpoints/mpnet.expected.json"),
    "distilbert": (FIXTURES / "checkpoints/distilbert", FIXTURES / "checkpoints/distilbert.expected.json"),
}


def b64(a) -> str:
    import numpy as np

    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main() -> int:
    import numpy as np
    import onnxruntime
    import torch
    from optimum.onnxruntime import ORTModelForFeatureExtraction, ORTQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    from transformers import AutoConfig, AutoModel

    OUT.mkdir(parents=True, exist_ok=True)
    for name, (model_dir, expected_file) in MODELS.items():
        expected = json.loads(expected_file.read_text())
        ids_list = expected["input_ids"]
        config = AutoConfig.from_pretrained(model_dir)
        pad = config.pad_token_id if config.pad_token_id is not None else 0
        T = max(len(r) for r in ids_list)
        ids = np.full((len(ids_list), T), pad, dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, r in enumerate(ids_list):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        lengths = [len(r) for r in ids_list]

        target = OUT / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as tmp:
            ort_model = ORTModelForFeatureExtraction.from_pretrained(str(model_dir), export=True)
            ort_model.save_pretrained(tmp)
            shutil.copy(Path(tmp) / "model.onnx", target / "model.onnx")
            quantizer = ORTQuantizer.from_pretrained(ort_model)
            qconfig = AutoQuantizationConfig.avx512_vnni(is_static=False)
            qdir = Path(tmp) / "q"
            quantizer.quantize(qconfig, qdir, file_suffix="qint8_avx512_vnni")
            shutil.copy(qdir / "model_qint8_avx512_vnni.onnx", target / "model_qint8_avx512_vnni.onnx")

        outputs = {}
        for file in ["model.onnx", "model_qint8_avx512_vnni.onnx"]:
            session = onnxruntime.InferenceSession(str(target / file), providers=["CPUExecutionProvider"])
            input_names = [i.name for i in session.get_inputs()]
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(["last_hidden_state"], {k: feeds[k] for k in input_names})[0]
            outputs[file] = {
                "inputs": input_names,
                "outputs": [o.name for o in session.get_outputs()],
                "token_embeddings_f32_b64": [b64(hidden[i, : lengths[i]]) for i in range(len(lengths))],
            }

        # The float export against PyTorch (the same weights through transformers).
        torch_model = AutoModel.from_pretrained(model_dir).eval()
        with torch.no_grad():
            ref = torch_model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state.numpy()
        float_rows = [np.frombuffer(base64.b64decode(s), dtype="<f4") for s in outputs["model.onnx"]["token_embeddings_f32_b64"]]
        diff = max(float(np.abs(float_rows[i] - ref[i, : lengths[i]].ravel()).max()) for i in range(len(lengths)))

        record = {
            "description": f"Token embeddings (last_hidden_state) that onnxruntime computes with optimum's ONNX export of {model_dir.relative_to(ROOT)} and its avx512_vnni dynamic int8 quantisation, for one padded batch of the ids in {expected_file.relative_to(ROOT)}",
            "generated_by": COMMAND,
            "versions": {
                "python": platform.python_version(),
                "optimum": version("optimum"),
                "optimum-onnx": version("optimum-onnx"),
                "onnxruntime": onnxruntime.__version__,
                "onnx": version("onnx"),
                "transformers": version("transformers"),
                "torch": torch.__version__,
            },
            "model_dir": str(model_dir.relative_to(ROOT)),
            "expected_file": str(expected_file.relative_to(ROOT)),
            "input_ids": ids_list,
            "lengths": lengths,
            "hidden": int(ref.shape[-1]),
            "float_export_max_abs_diff_vs_torch": diff,
            "quantization_config": "AutoQuantizationConfig.avx512_vnni(is_static=False) (per_channel=True, symmetric weights, QInt8)",
            "files": outputs,
        }
        (OUT / f"{name}.expected.json").write_text(json.dumps(record, indent=1) + "\n")
        print(f"{name}: inputs {outputs['model.onnx']['inputs']}, float export vs torch {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
