#!/usr/bin/env bash
# Converts every checkpoint fixture with @sbert/core's sbert-convert (packages/core/dist/bin/convert.js),
# loads each output with Python sentence-transformers 6.2 and compares its embeddings with the fixture's
# expected JSON (<= 1e-5, --strict: no missing / unexpected / mismatched weights either).
# Writes tools/parity/fixtures/checkpoints/convert-check.json.
#   (cd packages/core && pnpm build) && bash tools/parity/checkpoints/check_convert.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
py=tools/parity/.venv/bin/python
fixtures=tools/parity/fixtures/checkpoints
work=tools/parity/.work/checkpoints/converted
rm -rf "$work" && mkdir -p "$work"
# input dir : expected JSON (bert-* layouts share the BERT expectations)
cases="bert-bin:bert bert-bin-legacy:bert bert-bin-fp16:bert-fp16 bert-bin-bf16:bert-bf16 bert-bin-views:bert
bert-sharded-bin:bert bert-sharded-safetensors:bert distilbert:distilbert roberta:roberta xlm-roberta:xlm-roberta mpnet:mpnet"
results=()
status=0
for c in $cases; do
  dir=${c%%:*}
  exp=${c##*:}
  node packages/core/dist/bin/convert.js "$fixtures/$dir" "$work/$dir" >/dev/null
  if ! "$py" tools/parity/core/check_saved_model.py "$work/$dir" "$fixtures/$exp.expected.json" --strict --out "$work/$dir.result.json" >/dev/null; then status=1; fi
  results+=("$dir:$work/$dir.result.json")
done
"$py" - "${results[@]}" <<'PY'
import json, platform, sys
sys.path.insert(0, "tools/parity/core")
from common import versions

rows = []
for arg in sys.argv[1:]:
    name, path = arg.split(":", 1)
    r = json.load(open(path))
    rows.append({
        "input": name,
        "ok": r["ok"],
        "status": r["status"],
        "max_abs_diff": r.get("max_abs_diff"),
        "single_batch_max_abs_diff": r.get("single_batch_max_abs_diff"),
        "max_seq_length": r.get("max_seq_length"),
        "modules": r.get("modules"),
        "weight_report": r.get("weight_report"),
        "failures": r.get("failures"),
        "error": r.get("error"),
    })
out = {
    "description": "every checkpoint fixture converted by @sbert/core's sbert-convert, then loaded by Python "
    "sentence-transformers (SentenceTransformer(dir), check_saved_model.py --strict) and compared with the "
    "fixture's expected embeddings",
    "generated_by": "(cd packages/core && pnpm build) && bash tools/parity/checkpoints/check_convert.sh",
    "versions": versions(),
    "machine": platform.platform(),
    "results": rows,
}
with open("tools/parity/fixtures/checkpoints/convert-check.json", "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
for r in rows:
    print(r["input"], r["status"], r["max_abs_diff"], r["weight_report"])
PY
exit $status
