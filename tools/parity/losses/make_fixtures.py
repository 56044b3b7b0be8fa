"""Golden fixtures for @sbert/losses: loss values and input-embedding gradients from the real
sentence-transformers loss code.

Run from the repository root:

    tools/parity/.venv/bin/python tools/parity/losses/make_fixtures.py

It writes one JSON file per loss under tools/parity/fixtures/losses/. Each file records the
command, the library versions and, per case: the TypeScript constructor options, the input
embeddings (one (B, D) matrix per text column), the labels, the loss value and the gradient of
the loss with respect to every input embedding (torch autograd).

How each reference is computed:
- Losses with `compute_loss_from_embeddings` (CoSENT, AnglE, CosineSimilarity, MNRL and its
  symmetric variant, MarginMSE, Contrastive, OnlineContrastive) are called directly; they never
  touch the model, so `model=None` is passed.
- SoftmaxLoss and MatryoshkaLoss only have `forward(sentence_features, labels)`, which runs the
  model. They get `PassThroughModel`, a stand-in whose forward returns the given embeddings as
  `sentence_embedding`, so the real ST forward code (feature concatenation / truncation +
  normalisation + weighting) runs unchanged.
- TripletLoss: the task asks to pin the documented formula with positive distances, because
  ST 5.x computed EUCLIDEAN / MANHATTAN with negative distances (sign-inverted loss). So the
  expected value is computed with torch directly from the documented formula
  `mean(relu(d(a,p) - d(a,n) + margin))` with d = ||a-b||_2 (torch.linalg.vector_norm),
  sum|a-b|, or 1 - cos (F.normalize, eps 1e-12). ST 6.2.0's TripletDistanceMetric negates
  pairwise_*_sim again, i.e. it has fixed that bug; the script asserts that ST's TripletLoss
  agrees with the documented formula, and fails loudly if a future ST reintroduces the bug.

Numerics: inputs are drawn with a seeded numpy generator, rounded to float32 (what TypeScript
sees), and the reference runs in float64 so that it is more precise than the float32 code under
test.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import sentence_transformers
import torch
import torch.nn.functional as F
import transformers
from torch import nn

from sentence_transformers.sentence_transformer import losses as st_losses

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)  # MatryoshkaLoss warns when the full dimension is not trained
torch.set_default_dtype(torch.float64)

REPO_ROOT = Path(__file__).resolve().parents[3]
OUT_DIR = REPO_ROOT / "tools" / "parity" / "fixtures" / "losses"
SEED = 20240607
D = 8  # embedding width used by most cases


class PassThroughModel(nn.Module):
    """Stand-in for a SentenceTransformer: returns the column's precomputed embedding."""

    device = torch.device("cpu")

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, features: dict) -> dict:
        return {"sentence_embedding": features["embedding"]}

    def get_embedding_dimension(self) -> int:
        return self.dim


def f32(x: np.ndarray) -> np.ndarray:
    """Round to float32 (the values TypeScript sees), back in float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def columns(rng: np.random.Generator, n_cols: int, b: int, d: int = D) -> list[np.ndarray]:
    return [f32(rng.standard_normal((b, d))) for _ in range(n_cols)]


def leaves(cols: list[np.ndarray]) -> list[torch.Tensor]:
    return [torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in cols]


def grads_of(loss: torch.Tensor, xs: list[torch.Tensor]) -> list[list[list[float]]]:
    gs = torch.autograd.grad(loss, xs, allow_unused=True) if loss.requires_grad else [None] * len(xs)
    out = []
    for g, x in zip(gs, xs):
        g = torch.zeros_like(x) if g is None else g
        out.append(g.detach().numpy().tolist())
    return out


def check_finite(name: str, loss: torch.Tensor, grads: list) -> None:
    if not math.isfinite(loss.item()):
        raise SystemExit(f"{name}: reference loss is not finite ({loss.item()})")
    if not all(np.all(np.isfinite(np.asarray(g))) for g in grads):
        raise SystemExit(f"{name}: reference gradient is not finite")


def rounded(x, digits: int):
    """Nested lists of floats with `digits` significant digits (keeps the fixtures small).

    9 digits round-trip float32 exactly (used for inputs); 12 are far below the 1e-5 tolerance."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, list):
        return [rounded(v, digits) for v in x]
    if isinstance(x, float):
        return float(f"{x:.{digits}g}")
    return x


def case(name: str, options: dict, cols: list[np.ndarray], labels, loss: torch.Tensor, xs, st_call: str, **extra) -> dict:
    grads = grads_of(loss, xs)
    check_finite(name, loss, grads)
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    return {
        "name": name,
        "st_call": st_call,
        "options": options,
        "embeddings": rounded([c.tolist() for c in cols], 9),
        "labels": rounded(labels, 9),
        "loss": rounded(loss.item(), 12),
        "grads": rounded(grads, 12),
        **extra,
    }


def special_rows(cols: list[np.ndarray]) -> list[np.ndarray]:
    """Row 0: the pair is identical; row 1: opposite; row 2: column 1 is zero; row 3: both zero."""
    cols = [c.copy() for c in cols]
    cols[1][0] = cols[0][0]
    cols[1][1] = -cols[0][1]
    cols[1][2] = 0.0
    cols[0][3] = 0.0
    cols[1][3] = 0.0
    return cols


# --------------------------------------------------------------------------------------------
# CoSENT / AnglE / CosineSimilarity (pairs with a float score)
# --------------------------------------------------------------------------------------------


def score_label_sets(rng: np.random.Generator, b: int) -> dict[str, np.ndarray]:
    return {
        "random": f32(rng.uniform(0, 1, b)),
        "ties": f32(rng.integers(0, 3, b) / 2.0),
        "all-equal": f32(np.full(b, 0.7)),
        "binary": rng.integers(0, 2, b).astype(np.float64),
    }


def make_cosent_like(rng, loss_name: str, make_loss, ts_options: dict, st_call: str, dims=(D,)) -> list[dict]:
    cases = []
    for d in dims:
        for b in (1, 2, 7, 16):
            for label_kind, labels in score_label_sets(rng, b).items():
                cols = columns(rng, 2, b, d)
                xs = leaves(cols)
                lab = torch.tensor(labels)
                loss = make_loss().compute_loss_from_embeddings(xs, lab)
                cases.append(case(f"{loss_name}/d{d}/b{b}/{label_kind}", ts_options, cols, labels, loss, xs, st_call))
        # identical, opposite and zero vectors at scale 20, with ties
        cols = special_rows(columns(rng, 2, 7, d))
        labels = f32(np.array([1.0, 0.0, 0.5, 0.5, 1.0, 0.0, 0.5]))
        xs = leaves(cols)
        loss = make_loss().compute_loss_from_embeddings(xs, torch.tensor(labels))
        cases.append(case(f"{loss_name}/d{d}/b7/identical-opposite-zero", ts_options, cols, labels, loss, xs, st_call))
    return cases


def cosent_cases(rng) -> list[dict]:
    cases = make_cosent_like(rng, "CoSENTLoss", lambda: st_losses.CoSENTLoss(None), {}, "CoSENTLoss(model)")
    cols = columns(rng, 2, 16)
    labels = f32(rng.uniform(0, 5, 16))
    xs = leaves(cols)
    loss = st_losses.CoSENTLoss(None, scale=7.5).compute_loss_from_embeddings(xs, torch.tensor(labels))
    cases.append(case("CoSENTLoss/b16/scale-7.5", {"scale": 7.5}, cols, labels, loss, xs, "CoSENTLoss(model, scale=7.5)"))
    return cases


def angle_cases(rng) -> list[dict]:
    cases = make_cosent_like(rng, "AnglELoss", lambda: st_losses.AnglELoss(None), {}, "AnglELoss(model)", dims=(D, 7))
    # (anchor, positive, negative...) n-tuples: labels optional (ones) or given
    for n_cols, with_labels in ((3, False), (4, False), (3, True)):
        cols = columns(rng, n_cols, 7)
        labels = f32(rng.uniform(0, 1, 7)) if with_labels else None
        xs = leaves(cols)
        loss = st_losses.AnglELoss(None).compute_loss_from_embeddings(xs, None if labels is None else torch.tensor(labels))
        cases.append(
            case(f"AnglELoss/b7/{n_cols}-columns/{'labels' if with_labels else 'no-labels'}", {}, cols, labels, loss, xs, "AnglELoss(model)")
        )
    return cases


def cosine_similarity_cases(rng) -> list[dict]:
    cases = []
    for b in (1, 2, 7, 16):
        for label_kind, labels in score_label_sets(rng, b).items():
            cols = columns(rng, 2, b)
            xs = leaves(cols)
            loss = st_losses.CosineSimilarityLoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
            cases.append(case(f"CosineSimilarityLoss/b{b}/{label_kind}", {}, cols, labels, loss, xs, "CosineSimilarityLoss(model)"))
    cols = special_rows(columns(rng, 2, 7))
    labels = f32(rng.uniform(0, 1, 7))
    xs = leaves(cols)
    loss = st_losses.CosineSimilarityLoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
    cases.append(case("CosineSimilarityLoss/b7/identical-opposite-zero", {}, cols, labels, loss, xs, "CosineSimilarityLoss(model)"))
    # torch.cosine_similarity clamps each norm at eps=1e-8 with the gradient of the unclamped
    # norm; a row with a norm below 1e-8 pins that detail.
    cols = columns(rng, 2, 4)
    cols[0][1] = f32(cols[0][1] * 1e-10)
    labels = f32(rng.uniform(0, 1, 4))
    xs = leaves(cols)
    loss = st_losses.CosineSimilarityLoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
    cases.append(case("CosineSimilarityLoss/b4/tiny-norm", {}, cols, labels, loss, xs, "CosineSimilarityLoss(model)"))
    return cases


# --------------------------------------------------------------------------------------------
# SoftmaxLoss (classifier over (u, v, |u-v|[, u*v]))
# --------------------------------------------------------------------------------------------


def softmax_cases(rng) -> list[dict]:
    cases = []
    variants = [
        ("default-3", dict(num_labels=3), {"numLabels": 3}),
        ("mult-3", dict(num_labels=3, concatenation_sent_multiplication=True), {"numLabels": 3, "concatenationSentMultiplication": True}),
        ("diff-only-2", dict(num_labels=2, concatenation_sent_rep=False), {"numLabels": 2, "concatenationSentRep": False}),
    ]
    torch.manual_seed(SEED)
    for tag, kwargs, ts_opts in variants:
        for b in (1, 2, 7, 16):
            for label_kind in ("random", "single-class"):
                model = PassThroughModel(D)
                loss_mod = st_losses.SoftmaxLoss(model, embedding_dimension=D, **kwargs)
                # Round the classifier to float32 so that TypeScript runs the same weights.
                with torch.no_grad():
                    loss_mod.classifier.weight.copy_(loss_mod.classifier.weight.float().double())
                    loss_mod.classifier.bias.copy_(loss_mod.classifier.bias.float().double())
                cols = columns(rng, 2, b)
                if label_kind == "single-class":
                    labels = np.full(b, 1, dtype=np.int64)
                else:
                    labels = rng.integers(0, kwargs["num_labels"], b).astype(np.int64)
                if tag == "default-3" and b == 7:
                    cols[1][0] = cols[0][0]  # |u - v| = 0 in row 0: the gradient of abs at 0
                xs = leaves(cols)
                loss = loss_mod([{"embedding": xs[0]}, {"embedding": xs[1]}], torch.tensor(labels))
                # Gradients of the classifier weights as well: the classifier is trainable.
                w = loss_mod.classifier.weight
                bias = loss_mod.classifier.bias
                g_all = torch.autograd.grad(loss, [*xs, w, bias])
                grads = [g.detach().numpy().tolist() for g in g_all[:2]]
                check_finite(tag, loss, grads)
                # logits / probabilities for predict()
                with torch.no_grad():
                    _, logits = loss_mod([{"embedding": xs[0]}, {"embedding": xs[1]}], None)
                    probs = torch.softmax(logits, dim=1)
                cases.append(
                    {
                        "name": f"SoftmaxLoss/{tag}/b{b}/{label_kind}",
                        "st_call": f"SoftmaxLoss(model, embedding_dimension={D}, "
                        + ", ".join(f"{k}={v}" for k, v in kwargs.items())
                        + ") via forward() with a pass-through model",
                        "options": {"embeddingDimension": D, **ts_opts},
                        "classifier": {
                            "weight": rounded(w.detach().numpy(), 9),
                            "bias": rounded(bias.detach().numpy(), 9),
                        },
                        "embeddings": rounded([c.tolist() for c in cols], 9),
                        "labels": labels.tolist(),
                        "loss": rounded(loss.item(), 12),
                        "grads": rounded(grads, 12),
                        "classifier_grads": {
                            "weight": rounded(g_all[2].detach().numpy(), 12),
                            "bias": rounded(g_all[3].detach().numpy(), 12),
                        },
                        "probabilities": rounded(probs.numpy(), 12),
                    }
                )
    return cases


# --------------------------------------------------------------------------------------------
# MultipleNegativesRankingLoss and its symmetric variant
# --------------------------------------------------------------------------------------------


def mnrl_cases(rng) -> list[dict]:
    cases = []
    for b in (1, 2, 7, 16):
        for n_cols in (2, 3, 4):
            cols = columns(rng, n_cols, b)
            xs = leaves(cols)
            loss = st_losses.MultipleNegativesRankingLoss(None).compute_loss_from_embeddings(xs, None)
            cases.append(case(f"MultipleNegativesRankingLoss/b{b}/{n_cols}-columns", {}, cols, None, loss, xs, "MultipleNegativesRankingLoss(model)"))
    cols = special_rows(columns(rng, 3, 7))
    xs = leaves(cols)
    loss = st_losses.MultipleNegativesRankingLoss(None).compute_loss_from_embeddings(xs, None)
    cases.append(case("MultipleNegativesRankingLoss/b7/identical-opposite-zero", {}, cols, None, loss, xs, "MultipleNegativesRankingLoss(model)"))
    # all anchors and positives identical: every candidate scores the same
    row = f32(rng.standard_normal((1, D)))
    cols = [np.repeat(row, 5, axis=0), np.repeat(row, 5, axis=0)]
    xs = leaves(cols)
    loss = st_losses.MultipleNegativesRankingLoss(None).compute_loss_from_embeddings(xs, None)
    cases.append(case("MultipleNegativesRankingLoss/b5/all-identical", {}, cols, None, loss, xs, "MultipleNegativesRankingLoss(model)"))
    variants = [
        # ST's docs pair dot_score with scale 1; at scale 10 the unnormalised logits (~80) leave
        # float32 rounding errors of ~1e-5 in the gradients, which is float32, not the maths.
        ("scale-1-dot", dict(scale=1.0, similarity_fct=sentence_transformers.util.dot_score), {"scale": 1, "similarityFct": "dot_score"}),
        (
            "all-directions-joint",
            dict(directions=("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")),
            {"directions": ["query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"]},
        ),
        (
            "q2d-d2q-per-direction",
            dict(directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"),
            {"directions": ["query_to_doc", "doc_to_query"], "partitionMode": "per_direction"},
        ),
        ("hardness-all", dict(hardness_mode="all_negatives", hardness_strength=5.0), {"hardnessMode": "all_negatives", "hardnessStrength": 5}),
        ("hardness-hard", dict(hardness_mode="hard_negatives", hardness_strength=3.0), {"hardnessMode": "hard_negatives", "hardnessStrength": 3}),
        ("hardness-in-batch", dict(hardness_mode="in_batch_negatives", hardness_strength=2.0), {"hardnessMode": "in_batch_negatives", "hardnessStrength": 2}),
    ]
    for tag, kwargs, ts_opts in variants:
        for b, n_cols in ((1, 3), (7, 3), (6, 4), (5, 2)):
            cols = columns(rng, n_cols, b)
            xs = leaves(cols)
            loss = st_losses.MultipleNegativesRankingLoss(None, **kwargs).compute_loss_from_embeddings(xs, None)
            call = "MultipleNegativesRankingLoss(model, " + ", ".join(f"{k}={getattr(v, '__name__', v)!r}" for k, v in kwargs.items()) + ")"
            cases.append(case(f"MultipleNegativesRankingLoss/{tag}/b{b}/{n_cols}-columns", ts_opts, cols, None, loss, xs, call))
    return cases


def mnsrl_cases(rng) -> list[dict]:
    cases = []
    for b in (1, 2, 7, 16):
        for n_cols in (2, 3):
            cols = columns(rng, n_cols, b)
            xs = leaves(cols)
            loss = st_losses.MultipleNegativesSymmetricRankingLoss(None).compute_loss_from_embeddings(xs, None)
            cases.append(
                case(f"MultipleNegativesSymmetricRankingLoss/b{b}/{n_cols}-columns", {}, cols, None, loss, xs, "MultipleNegativesSymmetricRankingLoss(model)")
            )
    cols = special_rows(columns(rng, 2, 7))
    xs = leaves(cols)
    loss = st_losses.MultipleNegativesSymmetricRankingLoss(None).compute_loss_from_embeddings(xs, None)
    cases.append(
        case("MultipleNegativesSymmetricRankingLoss/b7/identical-opposite-zero", {}, cols, None, loss, xs, "MultipleNegativesSymmetricRankingLoss(model)")
    )
    return cases


# --------------------------------------------------------------------------------------------
# MarginMSELoss
# --------------------------------------------------------------------------------------------


def margin_mse_cases(rng) -> list[dict]:
    cases = []
    for b in (1, 2, 7, 16):
        for n_negs, label_form in ((1, "margins-1d"), (1, "margins-2d"), (1, "raw-scores"), (2, "margins-2d"), (2, "raw-scores"), (3, "raw-scores")):
            cols = columns(rng, 2 + n_negs, b)
            if label_form == "margins-1d":
                labels = f32(rng.normal(0, 3, b))
            elif label_form == "margins-2d":
                labels = f32(rng.normal(0, 3, (b, n_negs)))
            else:
                labels = f32(rng.normal(0, 3, (b, n_negs + 1)))
            xs = leaves(cols)
            loss = st_losses.MarginMSELoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
            cases.append(case(f"MarginMSELoss/b{b}/{n_negs}-negatives/{label_form}", {}, cols, labels, loss, xs, "MarginMSELoss(model)"))
    cols = special_rows(columns(rng, 3, 7))
    labels = f32(rng.normal(0, 3, 7))
    xs = leaves(cols)
    loss = st_losses.MarginMSELoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
    cases.append(case("MarginMSELoss/b7/identical-opposite-zero", {}, cols, labels, loss, xs, "MarginMSELoss(model)"))
    return cases


# --------------------------------------------------------------------------------------------
# TripletLoss (documented formula, positive distances)
# --------------------------------------------------------------------------------------------


def triplet_reference(metric: str, a, p, n, margin: float) -> torch.Tensor:
    if metric == "euclidean":
        dist = lambda x, y: torch.linalg.vector_norm(x - y, dim=-1)
    elif metric == "manhattan":
        dist = lambda x, y: torch.sum(torch.abs(x - y), dim=-1)
    else:
        dist = lambda x, y: 1 - torch.sum(F.normalize(x, p=2, dim=-1, eps=1e-12) * F.normalize(y, p=2, dim=-1, eps=1e-12), dim=-1)
    return F.relu(dist(a, p) - dist(a, n) + margin).mean()


def triplet_cases(rng) -> list[dict]:
    enum = st_losses.TripletDistanceMetric
    st_metric = {"euclidean": enum.EUCLIDEAN, "manhattan": enum.MANHATTAN, "cosine": enum.COSINE}
    cases = []
    for metric, margins in (("euclidean", (5.0, 1.0)), ("manhattan", (5.0, 2.0)), ("cosine", (5.0, 0.3))):
        for margin in margins:
            for b in (1, 2, 7, 16):
                cols = columns(rng, 3, b)
                if b == 7:
                    cols[1][0] = cols[0][0]  # d(a, p) = 0: the gradient of the norm at 0
                    cols[2][1] = cols[0][1]  # d(a, n) = 0
                xs = leaves(cols)
                loss = triplet_reference(metric, *xs, margin)
                st_value = st_losses.TripletLoss(None, distance_metric=st_metric[metric], triplet_margin=margin).compute_loss_from_embeddings(
                    [x.detach() for x in xs], None
                )
                if not torch.allclose(st_value, loss.detach(), rtol=1e-12, atol=1e-12):
                    raise SystemExit(f"ST {sentence_transformers.__version__} TripletLoss({metric}) disagrees with the documented formula")
                opts = {} if metric == "euclidean" else {"distanceMetric": metric}
                if margin != 5.0:
                    opts["tripletMargin"] = margin
                cases.append(
                    case(
                        f"TripletLoss/{metric}/margin-{margin}/b{b}",
                        opts,
                        cols,
                        None,
                        loss,
                        xs,
                        f"documented formula with torch ({metric}, margin={margin}); equals ST TripletLoss",
                    )
                )
    return cases


# --------------------------------------------------------------------------------------------
# ContrastiveLoss / OnlineContrastiveLoss
# --------------------------------------------------------------------------------------------


def contrastive_cases(rng) -> list[dict]:
    enum = st_losses.SiameseDistanceMetric
    metrics = {"cosine": enum.COSINE_DISTANCE, "euclidean": enum.EUCLIDEAN, "manhattan": enum.MANHATTAN}
    cases = []
    for metric, margin, size_average in (
        ("cosine", 0.5, True),
        ("cosine", 0.5, False),
        ("euclidean", 5.0, True),
        ("manhattan", 10.0, True),
    ):
        for b in (1, 2, 7, 16):
            for label_kind in ("mixed", "single-class-1", "single-class-0"):
                cols = columns(rng, 2, b)
                if label_kind == "mixed":
                    labels = rng.integers(0, 2, b).astype(np.float64)
                else:
                    labels = np.full(b, 1.0 if label_kind.endswith("1") else 0.0)
                xs = leaves(cols)
                loss_mod = st_losses.ContrastiveLoss(None, distance_metric=metrics[metric], margin=margin, size_average=size_average)
                loss = loss_mod.compute_loss_from_embeddings(xs, torch.tensor(labels))
                opts: dict = {}
                if metric != "cosine":
                    opts["distanceMetric"] = metric
                if margin != 0.5:
                    opts["margin"] = margin
                if not size_average:
                    opts["sizeAverage"] = False
                cases.append(
                    case(
                        f"ContrastiveLoss/{metric}/margin-{margin}/{'mean' if size_average else 'sum'}/b{b}/{label_kind}",
                        opts,
                        cols,
                        labels,
                        loss,
                        xs,
                        f"ContrastiveLoss(model, distance_metric={metric}, margin={margin}, size_average={size_average})",
                    )
                )
    cols = special_rows(columns(rng, 2, 7))
    labels = np.array([1, 0, 1, 0, 1, 0, 1], dtype=np.float64)
    xs = leaves(cols)
    loss = st_losses.ContrastiveLoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
    cases.append(case("ContrastiveLoss/cosine/b7/identical-opposite-zero", {}, cols, labels, loss, xs, "ContrastiveLoss(model)"))
    return cases


def online_contrastive_cases(rng) -> list[dict]:
    enum = st_losses.SiameseDistanceMetric
    metrics = {"cosine": enum.COSINE_DISTANCE, "euclidean": enum.EUCLIDEAN}
    cases = []
    for metric, margin in (("cosine", 0.5), ("cosine", 1.2), ("euclidean", 5.0)):
        for b in (1, 2, 7, 16):
            for label_kind in ("mixed", "single-class-1", "single-class-0"):
                cols = columns(rng, 2, b)
                if label_kind == "mixed":
                    labels = np.array([i % 2 for i in range(b)], dtype=np.float64)
                    rng.shuffle(labels)
                else:
                    labels = np.full(b, 1.0 if label_kind.endswith("1") else 0.0)
                xs = leaves(cols)
                loss_mod = st_losses.OnlineContrastiveLoss(None, distance_metric=metrics[metric], margin=margin)
                loss = loss_mod.compute_loss_from_embeddings(xs, torch.tensor(labels))
                opts: dict = {}
                if metric != "cosine":
                    opts["distanceMetric"] = metric
                if margin != 0.5:
                    opts["margin"] = margin
                cases.append(
                    case(
                        f"OnlineContrastiveLoss/{metric}/margin-{margin}/b{b}/{label_kind}",
                        opts,
                        cols,
                        labels,
                        loss,
                        xs,
                        f"OnlineContrastiveLoss(model, distance_metric={metric}, margin={margin})",
                    )
                )
    cols = special_rows(columns(rng, 2, 7))
    labels = np.array([1, 0, 1, 0, 1, 0, 1], dtype=np.float64)
    xs = leaves(cols)
    loss = st_losses.OnlineContrastiveLoss(None).compute_loss_from_embeddings(xs, torch.tensor(labels))
    cases.append(case("OnlineContrastiveLoss/cosine/b7/identical-opposite-zero", {}, cols, labels, loss, xs, "OnlineContrastiveLoss(model)"))
    return cases


# --------------------------------------------------------------------------------------------
# MatryoshkaLoss
# --------------------------------------------------------------------------------------------


def matryoshka_cases(rng) -> list[dict]:
    d = 16
    cases = []
    inners = [
        ("CoSENTLoss", lambda m: st_losses.CoSENTLoss(m), 2, "score", {}),
        ("MultipleNegativesRankingLoss", lambda m: st_losses.MultipleNegativesRankingLoss(m), 3, None, {}),
        ("MarginMSELoss", lambda m: st_losses.MarginMSELoss(m), 3, "margin", {}),
        ("TripletLoss", lambda m: st_losses.TripletLoss(m, distance_metric=st_losses.TripletDistanceMetric.COSINE), 3, None, {"distanceMetric": "cosine"}),
        ("CosineSimilarityLoss", lambda m: st_losses.CosineSimilarityLoss(m), 2, "score", {}),
    ]
    settings = [
        ("dims-16-8-4", [16, 8, 4], None),
        ("dims-4-16-8-weighted", [4, 16, 8], [0.25, 1.0, 0.5]),
        ("dims-6", [6], None),
    ]
    for inner_name, make_inner, n_cols, label_kind, inner_opts in inners:
        for tag, dims, weights in settings:
            for b in (2, 7):
                model = PassThroughModel(d)
                loss_mod = st_losses.MatryoshkaLoss(model, make_inner(model), dims, matryoshka_weights=weights)
                cols = columns(rng, n_cols, b, d)
                if label_kind == "score":
                    labels = f32(rng.integers(0, 3, b) / 2.0)
                elif label_kind == "margin":
                    labels = f32(rng.normal(0, 0.5, b))
                else:
                    labels = None
                xs = leaves(cols)
                loss = loss_mod([{"embedding": x} for x in xs], None if labels is None else torch.tensor(labels))
                opts = {"inner": {"loss": inner_name, "options": inner_opts}, "matryoshkaDims": dims}
                if weights is not None:
                    opts["matryoshkaWeights"] = weights
                cases.append(
                    case(
                        f"MatryoshkaLoss/{inner_name}/{tag}/b{b}",
                        opts,
                        cols,
                        labels,
                        loss,
                        xs,
                        f"MatryoshkaLoss(model, {inner_name}(model), matryoshka_dims={dims}, matryoshka_weights={weights}) via forward() with a pass-through model",
                    )
                )
    return cases


GENERATORS = {
    "cosent-loss": cosent_cases,
    "angle-loss": angle_cases,
    "cosine-similarity-loss": cosine_similarity_cases,
    "softmax-loss": softmax_cases,
    "multiple-negatives-ranking-loss": mnrl_cases,
    "multiple-negatives-symmetric-ranking-loss": mnsrl_cases,
    "margin-mse-loss": margin_mse_cases,
    "triplet-loss": triplet_cases,
    "contrastive-loss": contrastive_cases,
    "online-contrastive-loss": online_contrastive_cases,
    "matryoshka-loss": matryoshka_cases,
}


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    versions = {
        "python": platform.python_version(),
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }
    for index, (stem, generate) in enumerate(GENERATORS.items()):
        rng = np.random.default_rng([SEED, index])
        cases = generate(rng)
        doc = {
            "generated_by": "tools/parity/.venv/bin/python tools/parity/losses/make_fixtures.py",
            "script": "tools/parity/losses/make_fixtures.py",
            "versions": versions,
            "seed": [SEED, index],
            "dtype": "float64 reference on float32-rounded inputs",
            "cases": cases,
        }
        path = OUT_DIR / f"{stem}.json"
        with open(path, "w") as fh:
            json.dump(doc, fh, separators=(",", ":"))
            fh.write("\n")
        print(f"{path.relative_to(REPO_ROOT)}: {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
