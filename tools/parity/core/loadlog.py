"""Load a SentenceTransformer while capturing every log record and Python warning it emits.

Used both by the fixture generator (to record what ST 6.2 said while loading a hand-edited model dir)
and by check_saved_model.py (to flag missing/unexpected weights in a directory written by TypeScript).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from typing import Any

# Phrases transformers / sentence-transformers use when checkpoint tensors and model parameters do not
# line up (transformers 5 prints a "LOAD REPORT" table with MISSING / UNEXPECTED / MISMATCH rows).
WEIGHT_PROBLEM_PATTERNS = [
    r"newly initialized",
    r"not initialized from the model checkpoint",
    r"were not used when initializing",
    r"\bMISSING\b",
    r"\bUNEXPECTED\b",
    r"\bMISMATCH(ED)?\b",
    r"missing[_ ]keys",
    r"unexpected[_ ]keys",
    r"size mismatch",
]


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = record.getMessage()
        except Exception:  # pragma: no cover - defensive
            msg = str(record.msg)
        self.records.append({"logger": record.name, "level": record.levelname, "message": msg})


@contextlib.contextmanager
def capture(level: int = logging.INFO):
    """Collect log records (>= level) from all loggers, Python warnings, and stdout/stderr text."""
    collector = _Collector()
    collector.setLevel(level)
    root = logging.getLogger()
    watched = [root, logging.getLogger("transformers"), logging.getLogger("sentence_transformers")]
    old = [(lg, lg.level, lg.propagate, list(lg.handlers)) for lg in watched]
    for lg in watched:
        # Silence the libraries' own console handlers while collecting.
        for h in list(lg.handlers):
            lg.removeHandler(h)
        lg.addHandler(collector)
        if lg.level == logging.NOTSET or lg.level > level:
            lg.setLevel(level)
    # Avoid double-collecting through propagation to the root logger.
    for lg in watched[1:]:
        lg.propagate = False
    out = {"logs": collector.records, "warnings": [], "stdout": "", "stderr": ""}
    so, se = io.StringIO(), io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            warnings.simplefilter("always")
            yield out
        out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    finally:
        for lg, lvl, prop, handlers in old:
            lg.removeHandler(collector)
            for h in handlers:
                lg.addHandler(h)
            lg.setLevel(lvl)
            lg.propagate = prop
        out["stdout"] = so.getvalue()
        out["stderr"] = _strip_progress(se.getvalue())


def _strip_progress(text: str) -> str:
    """Drop tqdm progress-bar lines ("Loading weights: 100%|...")."""
    lines = re.split(r"[\r\n]+", text)
    return "\n".join(ln for ln in lines if ln.strip() and "it/s]" not in ln and "%|" not in ln)


def weight_problems(captured: dict[str, Any]) -> list[str]:
    texts = [r["message"] for r in captured["logs"] if r["level"] in ("WARNING", "ERROR", "CRITICAL", "INFO")]
    texts += captured["warnings"]
    texts += [captured["stdout"], captured["stderr"]]
    hits = []
    for t in texts:
        if not t:
            continue
        if any(re.search(p, t, flags=re.IGNORECASE) for p in WEIGHT_PROBLEM_PATTERNS):
            hits.append(t.strip()[:2000])
    return hits


def load_model(model_dir: str, **kwargs):
    """SentenceTransformer(model_dir, device='cpu') with everything it said while loading."""
    from sentence_transformers import SentenceTransformer

    with capture() as captured:
        model = SentenceTransformer(str(model_dir), device="cpu", **kwargs)
    model.eval()
    return model, captured
