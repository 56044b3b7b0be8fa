#!/usr/bin/env python3
"""Regenerate every @sbert/core parity fixture under tools/parity/fixtures/core/.

    tools/parity/.venv/bin/python tools/parity/core/make_fixtures.py            # everything
    tools/parity/.venv/bin/python tools/parity/core/make_fixtures.py --only models,tokenizers

Steps (in dependency order):
  sentences   sentences.json (texts + pairs from /work/shared/data and hand-written edge cases)
  vocab       tiny-vocab/vocab.txt, tiny-vocab/vocab-cased.txt (WordPiece trained with `tokenizers`)
  models      models/<name>/, models/<name>.expected.json, models/<name>.files.json
  tokenizers  tokenizer-<name>.json (needs models/ for tiny-json and cased-st-lowercase)
  minilm      minilm-embeddings.json (needs .cache/models/all-MiniLM-L6-v2, see tools/fetch-models.sh)
  selfcheck   runs check_saved_model.py on every model dir and on an ST load->save round trip of each
              (writes nothing under fixtures/)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

# No __pycache__/ inside the repo (the root .gitignore does not list it).
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Quiet, reproducible runs: no tokenizers fork warnings, no hub access.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

STEPS = ["sentences", "vocab", "models", "tokenizers", "minilm", "selfcheck"]


def selfcheck() -> None:
    from check_saved_model import check
    from common import MINILM_DIR, MODELS_DIR, FIXTURES_DIR, WORK_DIR, log
    from loadlog import load_model
    from tiny_models import KNOWN_RESAVE_LOSSES, VARIANTS

    failures = []
    for name in VARIANTS:
        d = MODELS_DIR / name
        exp = MODELS_DIR / f"{name}.expected.json"
        code, res = check(str(d), str(exp), 1e-5, strict=True)
        log(f"selfcheck {name}: {res['status']} max_abs_diff={res.get('max_abs_diff')}")
        if code:
            failures.append((name, res.get("failures") or res.get("error")))
        # Round trip: ST 6.2 load -> save -> check (what the TS saver must be able to match).
        model, _ = load_model(str(d))
        rt = WORK_DIR / "roundtrip" / name
        if rt.exists():
            shutil.rmtree(rt)
        model.save(str(rt), create_model_card=False)
        code, res = check(str(rt), str(exp), 1e-5, strict=True)
        log(f"selfcheck {name} (ST load->save round trip): {res['status']} max_abs_diff={res.get('max_abs_diff')}")
        if code and name in KNOWN_RESAVE_LOSSES:
            log(f"  (known ST 6.2 round-trip loss, not a failure: {KNOWN_RESAVE_LOSSES[name][:90]}...)")
        elif code:
            failures.append((name + " roundtrip", res.get("failures") or res.get("error")))
    if (MINILM_DIR / "modules.json").exists():
        code, res = check(str(MINILM_DIR), str(FIXTURES_DIR / "minilm-embeddings.json"), 1e-5, strict=True)
        log(f"selfcheck minilm: {res['status']} max_abs_diff={res.get('max_abs_diff')}")
        if code:
            failures.append(("minilm", res.get("failures") or res.get("error")))
    if failures:
        raise SystemExit(f"selfcheck failed: {failures}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help=f"comma-separated subset of {STEPS}")
    args = ap.parse_args()
    steps = STEPS if not args.only else [s.strip() for s in args.only.split(",")]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise SystemExit(f"unknown step(s) {unknown}; valid: {STEPS}")

    from common import REPO_ROOT, log

    if Path.cwd().resolve() != REPO_ROOT:
        log(f"note: paths in fixtures are relative to {REPO_ROOT}")
    for step in STEPS:
        if step not in steps:
            continue
        log(f"== {step}")
        if step == "sentences":
            import sentences

            sentences.main()
        elif step == "vocab":
            import vocab

            vocab.main()
        elif step == "models":
            import tiny_models

            tiny_models.main()
        elif step == "tokenizers":
            import tokenizer_fixtures

            tokenizer_fixtures.main()
        elif step == "minilm":
            import minilm_embeddings

            minilm_embeddings.main()
        elif step == "selfcheck":
            selfcheck()
    log("done")


if __name__ == "__main__":
    main()
