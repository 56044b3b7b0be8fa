"""Golden fixtures for @sbert/eval (packages/eval), computed with scipy, scikit-learn and
sentence-transformers on real data from ../shared/data and on adversarial inputs.

Run from the repository root:

    tools/parity/.venv/bin/python tools/parity/eval/make_fixtures.py

It writes tools/parity/fixtures/eval/{correlation,binary,ir,evaluators}.json. Every file records
the command, the library versions and the git blob of each data file it read. JSON cannot hold
NaN/Infinity, so those are written as the strings "NaN", "Infinity", "-Infinity".

Where the oracle comes from
---------------------------
* pearson / spearman: scipy.stats.pearsonr / spearmanr.
* average precision / MCC / precision-recall-F1 at a threshold: sklearn.metrics.
* best-accuracy / best-F1 threshold search, two variants:
  - "st6": the real functions of the pinned sentence-transformers (6.2.0):
    BinaryClassificationEvaluator.find_best_acc_and_threshold / find_best_f1_and_threshold.
    They group tied scores, start from "predict nothing positive" and may cut after the last row.
  - "st5": the scan that sentence-transformers used up to v5.x and that the @sbert issue specifies
    (stable sort, a cut after every row but the last, midpoint thresholds, strict improvement, no tie
    grouping). The pinned version no longer ships it, so `st5_best_acc` / `st5_best_f1` below
    re-state it from the specification (shared/notes/reference-semantics.md, section 1c). On inputs
    without ties whose best cut is not at either end both variants must agree, which this script
    asserts on real data as a check of the re-statement.
  Distances (euclidean, manhattan) are given as positive distances with greater_is_better=False,
  i.e. ranked ascending, which is the corrected semantics (sentence-transformers v3.3 to v5 inverted
  them; #3886). For "st6" that is exactly what the pinned evaluator does. For "st5" the script also
  checks that the ascending scan on distances equals the descending scan on negated distances
  (thresholds negated), so the expected values do not depend on which of the two is used.
* IR metrics: InformationRetrievalEvaluator.compute_metrics of the pinned sentence-transformers,
  fed with given hits (the DL19 BM25 run) or run end to end with fixed embeddings.
* Evaluators end to end: the pinned evaluators called with a fake model whose encode() returns
  fixed float32 embeddings, stored in the fixture so that TypeScript feeds the same vectors.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import scipy
import sklearn
import torch
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

import sentence_transformers
from sentence_transformers import util as st_util
from sentence_transformers.sentence_transformer.evaluation import (
    BinaryClassificationEvaluator,
    EmbeddingSimilarityEvaluator,
    InformationRetrievalEvaluator,
    TripletEvaluator,
)

warnings.simplefilter("ignore")

REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "tools" / "parity" / "fixtures" / "eval"
COMMAND = "tools/parity/.venv/bin/python tools/parity/eval/make_fixtures.py"

DATA_FILES = {
    "lcqmc_dev": "lcqmc/dev.txt",
    "stsb_valid": "chinese-sts-b/STS-B.valid.data",
    "snli_triplets_dev": "nli/cnsd-snli-triplets/dev.txt",
    "dl19_run": "msmarco/msmarco-passage-trec-dl-2019-judged.bm25.run",
    "dl19_qrels": "msmarco/qrels.dl19-passage.txt",
    "msmarco_triples": "msmarco/triples.train.small.head100.tsv",
}


# ----------------------------------------------------------------------------- helpers


def git_blob(path: Path) -> str:
    content = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def meta(files: list[str], notes: str) -> dict:
    return {
        "command": COMMAND,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
        },
        "data": [
            {"path": f"../shared/data/{DATA_FILES[f]}", "git_blob": git_blob(DATA / DATA_FILES[f])} for f in files
        ],
        "notes": notes,
    }


def jsonable(x):
    """Plain JSON: numpy scalars to Python numbers, NaN/inf to strings."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [jsonable(v) for v in x.tolist()]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return x


def f32_list(values) -> list[float]:
    """float32 values written with the shortest decimal that round-trips in float32.

    JSON readers parse that decimal to a double; rounding it to float32 (Math.fround /
    Float32Array) gives back exactly the float32 used here."""
    return [float(np.format_float_positional(np.float32(v), unique=True, trim="-")) for v in values]


def write(name: str, obj: dict) -> None:
    path = OUT / name
    path.write_text(json.dumps(jsonable(obj), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size / 1024:.0f} KiB)")


def read_tsv(rel: str) -> list[list[str]]:
    text = (DATA / rel).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.split("\n") if line != ""]


def char_jaccard(a: str, b: str) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)


def token_list(text: str) -> list[str]:
    # Chinese: characters; anything with ASCII letters: lower-cased whitespace words.
    if any("a" <= c.lower() <= "z" for c in text):
        return text.lower().split()
    return list(text)


# Salt of the per-text noise of the evaluator embeddings; chosen with `--try-salt N` (N = 0, 1, 2, ...) as the first
# value for which every near-tie assertion in evaluators_fixture() holds.
NOISE_SALT = "noise0:"


def hashed_embedding(text: str, dim: int, noise: float) -> np.ndarray:
    """Deterministic toy embedding: signed hashed bag of tokens plus per-text noise (float32).

    The noise is seeded by the text itself, so equal texts get equal vectors (exact ties) while
    different texts almost never tie by accident."""
    v = np.zeros(dim, dtype=np.float64)
    for tok in token_list(text):
        h = zlib.crc32(tok.encode("utf-8"))
        v[h % dim] += 1.0 if (h >> 16) & 1 else -1.0
    rng = np.random.default_rng(zlib.crc32((NOISE_SALT + text).encode("utf-8")))
    v += noise * rng.standard_normal(dim)
    return v.astype(np.float32)


def assert_no_near_ties(scores64: np.ndarray, eps: float, what: str) -> None:
    """Distinct float64 scores must differ by more than eps, so that float32 (torch) and float64
    (TypeScript) scoring order the rows the same way."""
    u = np.unique(scores64)
    if len(u) > 1:
        gap = np.min(np.diff(u))
        assert gap > eps, f"{what}: near-tie gap {gap} <= {eps}; change the embedding seed/noise"


# ----------------------------------------------------------------------------- threshold search "st5"


def st5_best_acc(scores, labels, greater_is_better: bool):
    """Best-accuracy scan as specified for @sbert (sentence-transformers <= v5.x semantics)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    # Python's sort is stable, also with reverse=True: tied scores keep their input order.
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=greater_is_better)
    n = len(scores)
    best_acc, best_thr = 0, -1
    pos_seen = 0
    neg_left = int(np.sum(labels == 0))
    for j in range(n - 1):  # no cut after the last row
        i, nxt = order[j], order[j + 1]
        if labels[i] == 1:
            pos_seen += 1
        else:
            neg_left -= 1
        acc = (pos_seen + neg_left) / n
        if acc > best_acc:
            best_acc = acc
            best_thr = (scores[i] + scores[nxt]) / 2  # numpy scalar arithmetic: float32 stays float32
    return best_acc, best_thr


def st5_best_f1(scores, labels, greater_is_better: bool):
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=greater_is_better)
    n = len(scores)
    best_f1 = best_p = best_r = 0
    best_thr = 0
    extracted = correct = 0
    total_pos = int(np.sum(labels))
    for j in range(n - 1):
        i, nxt = order[j], order[j + 1]
        extracted += 1
        if labels[i] == 1:
            correct += 1
        if correct > 0:
            p = correct / extracted
            r = correct / total_pos
            f1 = 2 * p * r / (p + r)
            if f1 > best_f1:
                best_f1, best_p, best_r = f1, p, r
                best_thr = (scores[i] + scores[nxt]) / 2
    return best_f1, best_p, best_r, best_thr


def binary_expected(scores: np.ndarray, labels: np.ndarray, greater_is_better: bool) -> dict:
    """Both threshold-search variants, AP and MCC (at each variant's F1 threshold)."""
    sign = 1 if greater_is_better else -1
    ap = average_precision_score(labels, scores * sign)
    out = {"ap": ap}
    variants = {
        "st5": (st5_best_acc, st5_best_f1),
        "st6": (BinaryClassificationEvaluator.find_best_acc_and_threshold, BinaryClassificationEvaluator.find_best_f1_and_threshold),
    }
    for name, (acc_fn, f1_fn) in variants.items():
        acc, acc_thr = acc_fn(scores, labels, greater_is_better)
        f1, p, r, f1_thr = f1_fn(scores, labels, greater_is_better)
        pred = (scores >= f1_thr) if greater_is_better else (scores <= f1_thr)
        mcc = matthews_corrcoef(labels, pred)
        out[name] = {
            "accuracy": acc,
            "accuracy_threshold": acc_thr,
            "f1": f1,
            "precision": p,
            "recall": r,
            "f1_threshold": f1_thr,
            "mcc": mcc,
        }
    if not greater_is_better:
        # The corrected distance semantics must not depend on the formulation.
        a1, t1 = st5_best_acc(-scores, labels, True)
        f, p, r, t2 = st5_best_f1(-scores, labels, True)
        e = out["st5"]
        assert (a1, -t1, f, p, r, -t2) == (
            e["accuracy"], e["accuracy_threshold"], e["f1"], e["precision"], e["recall"], e["f1_threshold"],
        ), "st5 on distances differs from st5 on negated distances"
    return out


def at_threshold(scores, labels, thr, greater_is_better):
    pred = ((scores >= thr) if greater_is_better else (scores <= thr)).astype(int)
    return {
        "threshold": thr,
        "precision": precision_score(labels, pred, zero_division=0),
        "recall": recall_score(labels, pred, zero_division=0),
        "f1": f1_score(labels, pred, zero_division=0),
        "mcc": matthews_corrcoef(labels, pred),
        "tp": int(np.sum((pred == 1) & (labels == 1))),
        "fp": int(np.sum((pred == 1) & (labels == 0))),
        "fn": int(np.sum((pred == 0) & (labels == 1))),
        "tn": int(np.sum((pred == 0) & (labels == 0))),
    }


def binary_case(name, scores, labels, greater_is_better=True, extra_thresholds=()):
    scores = np.asarray(scores)
    labels = np.asarray(labels, dtype=np.int64)
    dtype = "float32" if scores.dtype == np.float32 else "float64"
    exp = binary_expected(scores, labels, greater_is_better)
    thresholds = [exp["st5"]["f1_threshold"], exp["st6"]["accuracy_threshold"], *extra_thresholds]
    if dtype == "float32":
        thresholds = [np.float32(t) for t in thresholds]
    return {
        "name": name,
        "dtype": dtype,
        "greater_is_better": greater_is_better,
        "scores": f32_list(scores) if dtype == "float32" else scores.tolist(),
        "labels": labels.tolist(),
        "expected": exp,
        "at_threshold": [at_threshold(scores, labels, t, greater_is_better) for t in thresholds],
    }


# ----------------------------------------------------------------------------- fixtures


def load_lcqmc():
    rows = read_tsv(DATA_FILES["lcqmc_dev"])
    s1 = [r[0] for r in rows]
    s2 = [r[1] for r in rows]
    labels = np.array([int(r[2]) for r in rows], dtype=np.int64)
    assert len(rows) == 8802
    return s1, s2, labels


def load_stsb():
    rows = read_tsv(DATA_FILES["stsb_valid"])
    return [r[0] for r in rows], [r[1] for r in rows], np.array([float(r[2]) for r in rows])


def pseudo_scores(s1, s2):
    """Three deterministic pseudo-model scores per pair: char Jaccard (float64, many ties),
    cosine of hashed char bags (float32, computed in float32), and euclidean distance of
    normalised hashed char bags (float64, positive distance)."""
    jac = np.array([char_jaccard(a, b) for a, b in zip(s1, s2)])
    e1 = np.stack([hashed_embedding(t, 32, 0.0) for t in s1])
    e2 = np.stack([hashed_embedding(t, 32, 0.0) for t in s2])
    n1 = e1 / np.maximum(np.linalg.norm(e1, axis=1, keepdims=True), np.float32(1e-12))
    n2 = e2 / np.maximum(np.linalg.norm(e2, axis=1, keepdims=True), np.float32(1e-12))
    cos32 = np.sum(n1 * n2, axis=1, dtype=np.float32).astype(np.float32)
    d64 = np.linalg.norm(n1.astype(np.float64) - n2.astype(np.float64), axis=1)
    return jac, cos32, d64


def correlation_fixture():
    cases = []

    def case(name, x, y):
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        try:
            p = pearsonr(x, y)[0]
            p_err = None
        except ValueError as e:
            p, p_err = None, str(e)
        s = spearmanr(x, y)[0]
        cases.append({"name": name, "x": x.tolist(), "y": y.tolist(), "pearson": p, "pearson_error": p_err, "spearman": s})

    s1, s2, gold = load_stsb()
    jac, cos32, d64 = pseudo_scores(s1, s2)
    case("stsb_valid gold vs char_jaccard", gold, jac)
    case("stsb_valid gold vs hashed_cosine_f32", gold, cos32.astype(np.float64))
    case("stsb_valid gold vs -hashed_euclidean", gold, -d64)
    l1, l2, labels = load_lcqmc()
    ljac, _, _ = pseudo_scores(l1[:2000], l2[:2000])
    case("lcqmc_dev[:2000] labels vs char_jaccard", labels[:2000], ljac)

    rng = np.random.default_rng(7)
    case("ties everywhere (x has 3 values, y has 4)", rng.integers(0, 3, 300), rng.integers(0, 4, 300))
    case("constant y", [1, 2, 3, 4, 5], [2, 2, 2, 2, 2])
    case("constant x", [0.5, 0.5, 0.5], [1, 2, 3])
    case("both constant", [1, 1, 1, 1], [3, 3, 3, 3])
    case("two elements", [1, 2], [5, 3])
    case("two elements, same y", [1, 2], [5, 5])
    case("single element", [1], [2])
    case("three elements", [1, 2, 3], [1, 3, 2])
    case("perfect positive", [1, 2, 3, 4, 5, 6], [2, 4, 6, 8, 10, 12])
    case("perfect negative", [1, 2, 3, 4], [-1, -2, -3, -4])
    case("large offset", 1e9 + np.arange(50) * 1e-3, np.sin(np.arange(50)))
    case("tiny scale", np.arange(40) * 1e-200, np.cos(np.arange(40)) * 1e-150)
    case("all tied but one", [1, 1, 1, 1, 2], [3, 1, 2, 5, 4])
    x = rng.standard_normal(1000)
    case("random n=1000 rounded (ties)", np.round(x, 1), np.round(x + rng.standard_normal(1000), 1))

    write(
        "correlation.json",
        {
            "meta": meta(["stsb_valid", "lcqmc_dev"], "pearson = scipy.stats.pearsonr(x, y)[0] (pearson_error holds scipy's ValueError message when it raises); spearman = scipy.stats.spearmanr(x, y)[0]. Pseudo-scores: see make_fixtures.py pseudo_scores()."),
            "cases": cases,
        },
    )


def binary_fixture():
    cases = []
    s1, s2, labels = load_lcqmc()
    jac, cos32, d64 = pseudo_scores(s1, s2)
    cases.append(binary_case("lcqmc_dev char_jaccard (float64, ties)", jac, labels))
    cases.append(binary_case("lcqmc_dev hashed_cosine (float32)", cos32, labels))
    cases.append(binary_case("lcqmc_dev hashed_euclidean distance (ascending)", d64, labels, greater_is_better=False))
    rng = np.random.default_rng(11)
    jitter = jac + 1e-3 * rng.standard_normal(len(jac))
    assert len(np.unique(jitter)) == len(jitter)
    c = binary_case("lcqmc_dev char_jaccard + jitter (no ties)", jitter, labels)
    # Without ties and with an interior best cut, "st5" (re-stated) and "st6" (pinned ST) must agree.
    for key in ("accuracy", "accuracy_threshold", "f1", "precision", "recall", "f1_threshold"):
        assert c["expected"]["st5"][key] == c["expected"]["st6"][key], key
    cases.append(c)

    cases.append(binary_case("ties everywhere", [0.5] * 8, [1, 0, 1, 1, 0, 0, 1, 0], extra_thresholds=[0.5, 0.6]))
    cases.append(binary_case("tied blocks", [0.9, 0.1, 0.9, 0.5, 0.1, 0.5, 0.9, 0.1], [0, 1, 1, 1, 0, 0, 1, 0]))
    cases.append(binary_case("tied blocks, distances", [0.9, 0.1, 0.9, 0.5, 0.1, 0.5, 0.9, 0.1], [0, 1, 1, 1, 0, 0, 1, 0], greater_is_better=False))
    cases.append(binary_case("one class: all positive", [0.3, 0.9, 0.1, 0.5, 0.7, 0.2], [1] * 6))
    cases.append(binary_case("one class: all negative", [0.3, 0.9, 0.1, 0.5, 0.7, 0.2], [0] * 6))
    cases.append(binary_case("one class, distances", [0.3, 0.9, 0.1, 0.5], [1] * 4, greater_is_better=False))
    cases.append(binary_case("single element, positive", [0.3], [1]))
    cases.append(binary_case("single element, negative", [0.3], [0]))
    cases.append(binary_case("two elements", [0.2, 0.8], [1, 0]))
    cases.append(binary_case("constant scores, one class", [1.0] * 5, [0] * 5))
    cases.append(binary_case("best is all negative", [0.9, 0.8, 0.7, 0.6, 0.5], [0, 0, 1, 0, 0]))
    cases.append(binary_case("best is all positive", [0.9, 0.8, 0.7, 0.6, 0.5], [1, 1, 0, 1, 1]))
    cases.append(binary_case("negative and integer scores", [-3, 7, 0, -3, 12, 7, 1], [0, 1, 0, 1, 1, 0, 1], extra_thresholds=[100.0, -100.0]))
    one = np.float32(1.0)
    up = np.nextafter(one, np.float32(2))
    up2 = np.nextafter(up, np.float32(2))
    cases.append(binary_case("adjacent float32 scores", np.array([up2, up, one, up, one], dtype=np.float32), [1, 1, 0, 0, 0]))
    x = rng.random(500)
    cases.append(binary_case("random n=500 rounded to 2 decimals", np.round(x, 2), (rng.random(500) < x).astype(int)))
    cases.append(binary_case("random n=500 float32", x.astype(np.float32), (rng.random(500) < x).astype(int)))

    write(
        "binary.json",
        {
            "meta": meta(["lcqmc_dev"], "expected.st5 = the threshold scan specified for @sbert (ST <= v5 semantics, re-stated in make_fixtures.py st5_*), expected.st6 = the pinned sentence-transformers' BinaryClassificationEvaluator.find_best_*; ap = sklearn average_precision_score(labels, scores*(+1|-1)); mcc = sklearn matthews_corrcoef(labels, scores >= f1_threshold) or <= for distances (greater_is_better=false: positive distances ranked ascending, the corrected semantics). at_threshold: sklearn precision/recall/f1 (zero_division=0) and MCC of the prediction score >= threshold (<= for distances). dtype float32: midpoints computed in float32 as numpy does."),
            "cases": cases,
        },
    )


def ir_fixture():
    run_rows = read_tsv(DATA_FILES["dl19_run"])
    qrels_text = (DATA / DATA_FILES["dl19_qrels"]).read_text(encoding="utf-8")
    qrels: dict[str, dict[str, int]] = {}
    for line in qrels_text.split("\n"):
        if line.strip():
            qid, _, pid, rel = line.split()
            qrels.setdefault(qid, {})[pid] = int(rel)
    hits: dict[str, list[dict]] = {}
    for r in run_rows:
        hits.setdefault(r[0], []).append({"corpus_id": r[2], "score": float(r[4])})

    ks = {
        "accuracy_at_k": [1, 3, 5, 10, 100],
        "precision_recall_at_k": [1, 3, 5, 10, 100, 1000],
        "mrr_at_k": [1, 10, 100, 1000],
        "ndcg_at_k": [5, 10, 100, 1000],
        "map_at_k": [10, 100, 1000],
    }

    def st_metrics(queries_hits: dict[str, list[dict]], relevant: dict[str, set[str]], ks: dict):
        ev = InformationRetrievalEvaluator(
            queries={qid: f"query {qid}" for qid in queries_hits}, corpus={}, relevant_docs=relevant, **ks
        )
        result_list = [queries_hits[qid] for qid in ev.queries_ids]
        return {"query_ids": ev.queries_ids, "metrics": ev.compute_metrics(result_list)}

    dl19 = []
    for min_rel in (1, 2):
        relevant = {qid: {pid for pid, rel in docs.items() if rel >= min_rel} for qid, docs in qrels.items()}
        res = st_metrics(hits, relevant, ks)
        dl19.append({"min_relevance": min_rel, **res})

    small_ks = {
        "accuracy_at_k": [1, 2, 3],
        "precision_recall_at_k": [1, 2, 3, 5],
        "mrr_at_k": [1, 2, 5],
        "ndcg_at_k": [1, 2, 5],
        "map_at_k": [1, 2, 5],
    }
    small_hits = {
        # ties: equal scores are ordered by corpus id as strings ("10" < "9")
        "q_ties": [{"corpus_id": "9", "score": 0.5}, {"corpus_id": "10", "score": 0.5}, {"corpus_id": "a", "score": 0.5}, {"corpus_id": "2", "score": 0.9}],
        # no relevant doc retrieved
        "q_miss": [{"corpus_id": "x", "score": 3.0}, {"corpus_id": "y", "score": 2.0}],
        # fewer hits than k; more relevant docs than k
        "q_short": [{"corpus_id": "r1", "score": -1.0}],
        # hits given unsorted
        "q_unsorted": [{"corpus_id": "b", "score": 0.1}, {"corpus_id": "a", "score": 0.7}, {"corpus_id": "c", "score": 0.4}],
        # no relevant docs at all: ST skips the query
        "q_skipped": [{"corpus_id": "a", "score": 1.0}],
    }
    small_rel = {
        "q_ties": {"10", "2"},
        "q_miss": {"z"},
        "q_short": {"r1", "r2", "r3", "r4", "r5", "r6"},
        "q_unsorted": {"c", "b"},
        "q_skipped": set(),
    }
    small = st_metrics(small_hits, small_rel, small_ks)

    write(
        "ir.json",
        {
            "meta": meta(["dl19_run", "dl19_qrels"], "DL19: hits = every line of the BM25 run (qid, pid as strings, score = float(column 5)), relevant = qrels pids with rel >= min_relevance; metrics = sentence_transformers InformationRetrievalEvaluator.compute_metrics over those hits (sorted by (-score, corpus_id)). TypeScript reads the run and qrels from ../shared/data itself."),
            "dl19": {"ks": ks, "cases": dl19},
            "small": {"ks": small_ks, "hits": small_hits, "relevant": {k: sorted(v) for k, v in small_rel.items()}, **small},
        },
    )


class FakeModelCardData:
    def set_evaluation_metrics(self, *args, **kwargs):
        pass


class FakeModel:
    """Duck-typed SentenceTransformer: encode() looks embeddings up by text."""

    def __init__(self, table: dict[str, np.ndarray], similarity_fn_name: str = "cosine"):
        self.table = table
        self.similarity_fn_name = similarity_fn_name
        self.model_card_data = FakeModelCardData()
        self.calls = []

    def similarity(self, a, b):
        fn = {
            "cosine": st_util.cos_sim,
            "dot": st_util.dot_score,
            "euclidean": st_util.euclidean_sim,
            "manhattan": st_util.manhattan_sim,
        }[self.similarity_fn_name]
        return fn(a, b)

    def encode(self, sentences, convert_to_tensor=False, truncate_dim=None, **kwargs):
        self.calls.append(len(sentences))
        emb = np.stack([self.table[s] for s in sentences]).astype(np.float32)
        if truncate_dim is not None:
            emb = emb[:, :truncate_dim]
        return torch.from_numpy(emb) if convert_to_tensor else emb

    encode_query = encode
    encode_document = encode


def evaluators_fixture():
    dim = 24
    table: dict[str, np.ndarray] = {}

    def emb(texts):
        for t in texts:
            if t not in table:
                table[t] = hashed_embedding(t, dim, 0.3)

    # Integer embeddings (hashed bag counts, no noise) for the "*_ties" runs: dot, manhattan and
    # euclidean of small integers are exact (or a correctly rounded sqrt of an exact integer) in
    # float32 whatever the summation order, so ties are exact ties in torch and in TypeScript alike.
    int_table: dict[str, np.ndarray] = {}

    def int_emb(texts):
        for t in texts:
            if t not in int_table:
                int_table[t] = hashed_embedding(t, dim, 0.0)

    def f64(texts, tab=None):
        tab = table if tab is None else tab
        return np.stack([tab[t].astype(np.float64) for t in texts])

    def pair_scores64(a, b, tab=None):
        ea, eb = f64(a, tab), f64(b, tab)
        na = ea / np.linalg.norm(ea, axis=1, keepdims=True)
        nb = eb / np.linalg.norm(eb, axis=1, keepdims=True)
        return {
            "cosine": np.sum(na * nb, axis=1),
            "dot": np.sum(ea * eb, axis=1),
            "euclidean": np.linalg.norm(ea - eb, axis=1),
            "manhattan": np.sum(np.abs(ea - eb), axis=1),
        }

    all_fns = ["cosine", "dot", "euclidean", "manhattan"]
    out = {"dim": dim}

    # EmbeddingSimilarityEvaluator on Chinese STS-B valid (first 150 pairs).
    # Pairs of identical sentences are left out: their cosine is 1 up to rounding, so float32 and
    # float64 scoring could tie or order them differently.
    s1, s2, gold = load_stsb()
    keep = [i for i in range(len(s1)) if s1[i] != s2[i]][:150]
    s1, s2, gold = [s1[i] for i in keep], [s2[i] for i in keep], [float(gold[i]) for i in keep]
    emb(s1 + s2)
    for fn, sc in pair_scores64(s1, s2).items():
        assert_no_near_ties(sc, 1e-6, f"stsb {fn}")
    ese_runs = []
    for cfg in (
        {"name": "sts_dev", "similarity_fn_names": all_fns},
        {"name": "", "similarity_fn_names": None},
        {"name": "sts_dev", "similarity_fn_names": ["euclidean", "dot"], "main_similarity": "dot"},
        {"name": "sts_dev_trunc", "similarity_fn_names": ["cosine"], "truncate_dim": 8},
        {"name": "sts_ties", "similarity_fn_names": ["dot", "manhattan", "euclidean"], "integer_embeddings": True},
    ):
        kwargs = {k: v for k, v in cfg.items() if v is not None and k != "integer_embeddings"}
        ev = EmbeddingSimilarityEvaluator(s1, s2, gold, **kwargs)
        if cfg.get("integer_embeddings"):
            int_emb(s1 + s2)
            m = ev(FakeModel(int_table))
        else:
            m = ev(FakeModel(table))
        ese_runs.append({"config": cfg, "metrics": m, "primary_metric": ev.primary_metric, "csv_file": ev.csv_file, "csv_headers": ev.csv_headers})
    out["embedding_similarity"] = {"sentences1": s1, "sentences2": s2, "scores": gold, "runs": ese_runs}

    # BinaryClassificationEvaluator on LCQMC dev (first 200 pairs).
    l1, l2, labels = load_lcqmc()
    keep = [i for i in range(len(l1)) if l1[i] != l2[i]][:200]
    l1, l2, labels = [l1[i] for i in keep], [l2[i] for i in keep], [int(labels[i]) for i in keep]
    emb(l1 + l2)
    for fn, sc in pair_scores64(l1, l2).items():
        assert_no_near_ties(sc, 1e-6, f"lcqmc {fn}")
    bce_runs = []
    for cfg in (
        {"name": "lcqmc_dev", "similarity_fn_names": all_fns},
        {"name": "", "similarity_fn_names": None},
        {"name": "lcqmc_ties", "similarity_fn_names": ["dot", "manhattan", "euclidean"], "integer_embeddings": True},
    ):
        kwargs = {k: v for k, v in cfg.items() if v is not None and k != "integer_embeddings"}
        tab = table
        if cfg.get("integer_embeddings"):
            int_emb(l1 + l2)
            tab = int_table
        ev = BinaryClassificationEvaluator(l1, l2, labels, **kwargs)
        m6 = ev(FakeModel(tab))
        # The same evaluator with the specified (ST <= v5) threshold scan patched in.
        saved = (BinaryClassificationEvaluator.find_best_acc_and_threshold, BinaryClassificationEvaluator.find_best_f1_and_threshold)
        BinaryClassificationEvaluator.find_best_acc_and_threshold = staticmethod(st5_best_acc)
        BinaryClassificationEvaluator.find_best_f1_and_threshold = staticmethod(st5_best_f1)
        try:
            ev5 = BinaryClassificationEvaluator(l1, l2, labels, **kwargs)
            m5 = ev5(FakeModel(tab))
        finally:
            BinaryClassificationEvaluator.find_best_acc_and_threshold = staticmethod(saved[0])
            BinaryClassificationEvaluator.find_best_f1_and_threshold = staticmethod(saved[1])
        bce_runs.append({"config": cfg, "metrics_st5": m5, "metrics_st6": m6, "primary_metric": ev.primary_metric, "csv_file": ev.csv_file, "csv_headers": ev.csv_headers})
    out["binary_classification"] = {"sentences1": l1, "sentences2": l2, "labels": labels, "runs": bce_runs}

    # TripletEvaluator on CNSD-SNLI triplets (first 120).
    lines = (DATA / DATA_FILES["snli_triplets_dev"]).read_text(encoding="utf-8").split("\n")[:120]
    trip = [json.loads(l) for l in lines]
    anchors = [t["origin"] for t in trip]
    positives = [t["entailment"] for t in trip]
    negatives = [t["contradiction"] for t in trip]
    emb(anchors + positives + negatives)
    pos = pair_scores64(anchors, positives)
    neg = pair_scores64(anchors, negatives)
    margins = {"cosine": 0.05, "dot": 0.5, "euclidean": 0.1, "manhattan": 0.0}
    for fn in all_fns:
        sign = -1 if fn in ("euclidean", "manhattan") else 1
        for m in (0.0, margins[fn]):
            gap = np.min(np.abs(sign * pos[fn] - (sign * neg[fn] + m)))
            assert gap > 1e-5, f"triplet {fn} margin {m}: near tie {gap}"
    trip_runs = []
    for cfg in (
        {"name": "snli_dev", "similarity_fn_names": all_fns},
        {"name": "snli_dev", "similarity_fn_names": all_fns, "margin": margins},
        {"name": "", "similarity_fn_names": None, "margin": 0.05},
        {"name": "x", "similarity_fn_names": ["dot", "manhattan"], "main_similarity_function": "manhattan"},
        {"name": "snli_ties", "similarity_fn_names": ["dot", "manhattan", "euclidean"], "integer_embeddings": True},
    ):
        ev = TripletEvaluator(anchors, positives, negatives, **{k: v for k, v in cfg.items() if v is not None and k != "integer_embeddings"})
        if cfg.get("integer_embeddings"):
            int_emb(anchors + positives + negatives)
            m = ev(FakeModel(int_table))
            p64, n64 = pair_scores64(anchors, positives, int_table), pair_scores64(anchors, negatives, int_table)
        else:
            m = ev(FakeModel(table))
            p64, n64 = pos, neg
        counts = {}
        for fn in ev.similarity_fn_names:
            sign = -1 if fn in ("euclidean", "manhattan") else 1
            margin = ev.margin[fn]
            counts[fn] = int(np.sum(sign * p64[fn] > sign * n64[fn] + margin))
        trip_runs.append({"config": cfg, "metrics": m, "counts_float64": counts, "primary_metric": ev.primary_metric, "csv_file": ev.csv_file, "csv_headers": ev.csv_headers})
    out["triplet"] = {"anchors": anchors, "positives": positives, "negatives": negatives, "runs": trip_runs}

    # InformationRetrievalEvaluator on the MS MARCO triples head: 100 queries, their positive and
    # negative passages as the corpus (ids: crc32 of the text mod 1e6, as strings, so that id order
    # and insertion order differ), plus one query without relevant documents (skipped).
    rows = read_tsv(DATA_FILES["msmarco_triples"])
    queries, corpus, relevant = {}, {}, {}
    pid_of: dict[str, str] = {}

    def pid_for(text: str) -> str:
        if text not in pid_of:
            pid_of[text] = str(zlib.crc32(text.encode("utf-8")) % 1_000_000)
            corpus[pid_of[text]] = text
        return pid_of[text]

    for i, (q, p, n) in enumerate(rows):
        qid = f"q{i}"
        queries[qid] = q
        relevant[qid] = {pid_for(p)}
        pid_for(n)
    assert len(set(pid_of.values())) == len(pid_of), "pid collision"
    relevant["q_none"] = set()
    queries["q_none"] = "no relevant documents for this one"
    emb(list(queries.values()) + list(corpus.values()))
    q_ids, c_ids = list(queries), list(corpus)
    Q = f64([queries[q] for q in q_ids])
    C = f64([corpus[c] for c in c_ids])
    Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    Cn = C / np.linalg.norm(C, axis=1, keepdims=True)
    # Only the position of relevant documents among the others changes a metric, so each relevant
    # document's score must be clearly apart from every other score of its query.
    for fn, S in (("cosine", Qn @ Cn.T), ("dot", Q @ C.T)):
        for r, qid in enumerate(q_ids):
            for cid in relevant[qid]:
                d = np.abs(S[r] - S[r, c_ids.index(cid)])
                d = np.delete(d, c_ids.index(cid))
                assert d.min() > 1e-6, f"ir {fn} {qid}/{cid}: near tie {d.min()}"

    # Exact ties end to end: integer embeddings (hashed bag counts, no noise) scored with dot, which
    # float32 computes exactly in any order; 12 passages duplicated under other ids, one duplicate
    # relevant. Ties are then broken by corpus id (as strings) in both implementations.
    int_emb(list(queries.values()) + list(corpus.values()))
    corpus_dups = dict(corpus)
    for j, text in enumerate(list(corpus.values())[:12]):
        corpus_dups[f"dup{j}"] = text
    relevant_dups = {k: set(v) for k, v in relevant.items()}
    relevant_dups["q3"].add("dup1")
    assert all(float(v).is_integer() and abs(v) < 1000 for e in int_table.values() for v in e)

    ir_runs = []
    for cfg in (
        {"name": "msmarco", "score_functions": ["cosine", "dot"], "corpus_chunk_size": 37},
        {"name": "", "score_functions": None, "corpus_chunk_size": 50000},
        {"name": "msmarco_small_k", "score_functions": ["dot"], "corpus_chunk_size": 5, "mrr_at_k": [1, 5], "ndcg_at_k": [3, 5], "accuracy_at_k": [1, 2], "precision_recall_at_k": [2, 4], "map_at_k": [5, 3], "main_score_function": "dot"},
        {"name": "msmarco_ties", "score_functions": ["dot"], "corpus_chunk_size": 23, "integer_embeddings": True},
    ):
        kwargs = {k: v for k, v in cfg.items() if v is not None and k not in ("score_functions", "integer_embeddings")}
        if cfg["score_functions"]:
            fns = {"cosine": st_util.cos_sim, "dot": st_util.dot_score}
            kwargs["score_functions"] = {k: fns[k] for k in cfg["score_functions"]}
        if cfg.get("integer_embeddings"):
            ev = InformationRetrievalEvaluator(queries, corpus_dups, relevant_dups, **kwargs)
            m = ev(FakeModel(int_table))
        else:
            ev = InformationRetrievalEvaluator(queries, corpus, relevant, **kwargs)
            m = ev(FakeModel(table))
        ir_runs.append({"config": cfg, "metrics": m, "primary_metric": ev.primary_metric, "csv_file": ev.csv_file, "csv_headers": ev.csv_headers})
    out["information_retrieval"] = {
        "queries": [[k, v] for k, v in queries.items()],
        "corpus": [[k, v] for k, v in corpus.items()],
        "relevant_docs": {k: sorted(v) for k, v in relevant.items()},
        "corpus_with_duplicates": [[k, v] for k, v in corpus_dups.items()],
        "relevant_docs_with_duplicates": {k: sorted(v) for k, v in relevant_dups.items()},
        "runs": ir_runs,
    }

    out["embeddings"] = {t: f32_list(v) for t, v in table.items()}
    out["integer_embeddings"] = {t: [int(x) for x in v] for t, v in int_table.items()}
    write(
        "evaluators.json",
        {
            "meta": meta(
                ["stsb_valid", "lcqmc_dev", "snli_triplets_dev", "msmarco_triples"],
                "The pinned sentence-transformers evaluators called with a fake model whose encode() returns the fixed float32 vectors in `embeddings` (text -> vector; hashed bag of tokens + text-seeded noise, see hashed_embedding()), or for runs with config.integer_embeddings the integer vectors in `integer_embeddings` (exact ties end to end). ST scores them in float32 with torch; the script asserts no two distinct float64 scores are within 1e-6, so float64 scoring ranks them identically. binary_classification: metrics_st6 = the pinned evaluator, metrics_st5 = the same evaluator with the specified (ST <= v5) threshold scan patched in. triplet counts_float64: number of triplets with sim(a,p) > sim(a,n) + margin (distances negated) in float64.",
            ),
            **out,
        },
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) > 1 and sys.argv[1] == "--try-salt":
        NOISE_SALT = f"noise{sys.argv[2]}:"
        evaluators_fixture()
        sys.exit(0)
    correlation_fixture()
    binary_fixture()
    ir_fixture()
    evaluators_fixture()
