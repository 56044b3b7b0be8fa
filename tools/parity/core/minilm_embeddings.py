"""`minilm-embeddings.json`: all-MiniLM-L6-v2 (ST 6.2, cpu) embeddings of every text in sentences.json."""

from __future__ import annotations

import numpy as np

from common import FIXTURES_DIR, MINILM_DIR, f32_b64, header, log, rel, to_list, write_json

BATCH_SIZE = 32


def main() -> None:
    import hashlib

    from common import setup_torch
    from loadlog import load_model
    from sentences import load as load_sentences

    setup_torch()
    sent = load_sentences()
    texts: list[str] = sent["texts"]
    model, captured = load_model(str(MINILM_DIR))
    emb = model.encode(texts, batch_size=BATCH_SIZE, convert_to_numpy=True)
    assert emb.dtype == np.float32 and emb.shape == (len(texts), 384)
    norms = np.linalg.norm(emb.astype(np.float64), axis=1)
    weights_sha = hashlib.sha256((MINILM_DIR / "model.safetensors").read_bytes()).hexdigest()
    doc = header("minilm", "all-MiniLM-L6-v2 embeddings of every text in sentences.json, from sentence-transformers "
                 "6.2 on CPU with default encode settings (the model ends with Normalize).")
    doc.update({
        "model_dir": rel(MINILM_DIR),
        "model_safetensors_sha256": weights_sha,
        "model_repr": repr(model),
        "max_seq_length": model.max_seq_length,
        "call": f"SentenceTransformer('{rel(MINILM_DIR)}', device='cpu').encode(texts, batch_size={BATCH_SIZE}) "
        "(convert_to_numpy=True, normalize_embeddings=False, precision='float32'; batches are formed after "
        "sorting by -len(text) in Python code points)",
        "batch_size": BATCH_SIZE,
        "order": np.argsort([-len(t) for t in texts]).tolist(),
        "texts": texts,
        "count": len(texts),
        "dim": int(emb.shape[1]),
        "embeddings_f32_b64": f32_b64(emb),
        "encoding": "base64 of little-endian float32, row-major [count, dim]",
        "norms_min_max": [float(norms.min()), float(norms.max())],
        "first_row_first8": to_list(emb[0, :8]),
    })
    path = FIXTURES_DIR / "minilm-embeddings.json"
    write_json(path, doc)
    log(f"wrote {path}: {emb.shape}, norms in [{norms.min():.6f}, {norms.max():.6f}]")
