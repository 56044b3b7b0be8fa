"""Golden fixtures for community detection and paraphrase mining in @sbert/core
(packages/core/src/util/{community-detection,paraphrase-mining}.ts), used by the embedder's
`cluster` and `paraphrases` commands.

Run from the repository root:

    tools/parity/.venv/bin/python tools/parity/embedder/make_util_fixtures.py

It writes tools/parity/fixtures/embedder/util.json with the command and library versions.

The oracle is the pinned sentence-transformers itself:
* sentence_transformers.util.community_detection (its CPU branch, float32 tensors);
* sentence_transformers.util.paraphrase_mining_embeddings.

Inputs are seeded synthetic float32 embeddings: Gaussian clusters of several sizes, some with
centres pulled together so that communities overlap (the greedy removal of already-claimed
members then matters), plus background noise. TensorFlow.js and torch round float32 matmuls
differently (a few ulp), so the script reseeds until nothing in the expected output hinges on a
difference that small:
* community detection: every off-diagonal score is at least MARGIN away from each threshold, and
  the member scores of every returned community (relative to its centre) are pairwise GAP apart
  (gaps are relative to max(1, |score|), since dot scores are not bounded by 1),
  so the order inside a community does not depend on rounding or on torch.topk's tie order;
* paraphrase mining: every candidate pair (a row's top_k neighbours) has a score GAP away from
  every other candidate, and each row's (top_k+1)-th and (top_k+2)-th scores are GAP apart.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np
import sentence_transformers
import torch
from sentence_transformers.util import community_detection, cos_sim, dot_score, paraphrase_mining_embeddings

REPO_ROOT = Path(__file__).resolve().parents[3]
OUT = REPO_ROOT / "tools" / "parity" / "fixtures" / "embedder" / "util.json"
COMMAND = "tools/parity/.venv/bin/python tools/parity/embedder/make_util_fixtures.py"
MARGIN = 5e-6
GAP = 2e-6
MAX_TRIES = 500
FNS = {"cosine": cos_sim, "dot": dot_score}


def clustered(seed: int, sizes: list[int], noise: int, dim: int, spread: float, close_pairs: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), dim))
    # Pull some centres towards the previous one, so that their communities overlap.
    for c in range(min(close_pairs, len(sizes) - 1)):
        centres[c + 1] = 0.6 * centres[c] + 0.4 * centres[c + 1]
    rows = [centres[c] + spread * rng.normal(size=(size, dim)) * np.linalg.norm(centres[c]) / np.sqrt(dim) for c, size in enumerate(sizes)]
    rows.append(rng.normal(size=(noise, dim)))
    emb = np.concatenate(rows).astype(np.float32)
    return emb[rng.permutation(len(emb))]


def separated(values: np.ndarray, gap: float) -> bool:
    """Sorted neighbours differ by more than gap * max(1, |value|) (dot scores are not in [-1, 1])."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    return len(v) < 2 or bool(np.all(np.diff(v) > gap * np.maximum(1.0, np.abs(v[1:]))))


def community_case(name: str, seed: int, sizes: list[int], noise: int, dim: int, spread: float, close: int, settings: list[tuple[float, int, int]]) -> dict:
    for attempt in range(MAX_TRIES):
        s = seed + 1000 * attempt
        emb = clustered(s, sizes, noise, dim, spread, close)
        t = torch.from_numpy(emb)
        scores = cos_sim(t, t).numpy().astype(np.float64)
        off = scores[~np.eye(len(scores), dtype=bool)]
        if any(np.min(np.abs(off - float(np.float32(thr)))) <= MARGIN for thr, _, _ in settings):
            continue
        runs = []
        ok = True
        for threshold, min_size, batch_size in settings:
            communities = community_detection(t, threshold=threshold, min_community_size=min_size, batch_size=batch_size)
            for c in communities:
                ok = ok and separated(scores[c[0], c], GAP)
            runs.append({
                "threshold": threshold,
                "min_community_size": min_size,
                "batch_size": batch_size,
                "communities": [[int(i) for i in c] for c in communities],
            })
        if ok:
            print(f"community {name}: seed {s}, sizes {[[len(c) for c in r['communities']] for r in runs]}", file=sys.stderr)
            return {"name": name, "seed": s, "embeddings": emb.tolist(), "runs": runs}
    raise SystemExit(f"community case {name}: no seed satisfied the margins")


def paraphrase_case(name: str, seed: int, n: int, dim: int, fn: str, settings: list[tuple[int, int, int, int]]) -> dict:
    for attempt in range(MAX_TRIES):
        s = seed + 1000 * attempt
        emb = clustered(s, [n // 5, n // 6, n // 8], n - n // 5 - n // 6 - n // 8, dim, 0.5, 1)
        t = torch.from_numpy(emb)
        scores = FNS[fn](t, t).numpy().astype(np.float64)
        ok = True
        for top_k, _, _, _ in settings:
            order = np.argsort(-scores, axis=1, kind="stable")
            candidates = {}
            for i in range(n):
                ranked = scores[i, order[i]]
                if top_k + 1 < n:
                    ok = ok and bool(ranked[top_k] - ranked[top_k + 1] > GAP * max(1.0, abs(ranked[top_k])))
                neighbours = [j for j in order[i][: top_k + 1] if j != i][:top_k]
                for j in neighbours:
                    candidates[(min(i, j), max(i, j))] = scores[i, j]
            ok = ok and separated(np.array(list(candidates.values())), GAP)
        if not ok:
            continue
        runs = []
        for top_k, max_pairs, qc, cc in settings:
            pairs = paraphrase_mining_embeddings(t, query_chunk_size=qc, corpus_chunk_size=cc, max_pairs=max_pairs, top_k=top_k, score_function=FNS[fn])
            runs.append({
                "score_function": fn,
                "top_k": top_k,
                "max_pairs": max_pairs,
                "query_chunk_size": qc,
                "corpus_chunk_size": cc,
                "pairs": [[float(sc), int(i), int(j)] for sc, i, j in pairs],
            })
        print(f"paraphrase {name}: seed {s}, pairs {[len(r['pairs']) for r in runs]}", file=sys.stderr)
        return {"name": name, "seed": s, "embeddings": emb.tolist(), "runs": runs}
    raise SystemExit(f"paraphrase case {name}: no seed satisfied the gaps")


def main() -> None:
    fixture = {
        "description": (
            "sentence_transformers.util.community_detection and paraphrase_mining_embeddings on seeded synthetic "
            f"float32 embeddings; scores kept > {MARGIN} from thresholds and candidate scores > {GAP} apart."
        ),
        "generated_by": COMMAND,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "numpy": np.__version__,
        },
        "community_detection": [
            community_case("separated", 11, [40, 25, 12, 9, 5], 60, 16, 0.35, 0, [(0.75, 10, 1024), (0.75, 5, 7), (0.9, 3, 64)]),
            community_case("overlapping", 23, [30, 30, 20, 15, 10, 6], 40, 12, 0.45, 3, [(0.75, 10, 1024), (0.7, 8, 16), (0.8, 4, 50)]),
            # 120 members above the threshold: sort_max_size (50 at first) has to double twice.
            community_case("grows-sort-max-size", 37, [120, 70], 30, 8, 0.3, 1, [(0.6, 2, 33), (0.85, 10, 1024)]),
        ],
        "paraphrase_mining": [
            # Every pair is a candidate (top_k >= n): the heap holds all of them, or the best 25.
            paraphrase_case("cosine-all-pairs", 5, 36, 12, "cosine", [(100, 500000, 5000, 100000), (100, 25, 7, 10)]),
            # top_k much smaller than n, max_pairs forces evictions, chunks cut rows and columns.
            paraphrase_case("cosine-top-k", 6, 120, 12, "cosine", [(5, 500000, 5000, 100000), (5, 60, 7, 13), (3, 500000, 32, 41)]),
            paraphrase_case("dot", 9, 60, 8, "dot", [(10, 500000, 5000, 100000), (4, 30, 9, 10)]),
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
