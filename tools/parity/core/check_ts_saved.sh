#!/usr/bin/env bash
# Saves every fixture model and all-MiniLM-L6-v2 with @sbert/core's saver, then loads each copy
# with Python sentence-transformers and compares its embeddings with the fixtures (<= 1e-5).
# Results go to tools/parity/results/ts-saved-models.json.
#   pnpm --filter @sbert/core build && bash tools/parity/core/check_ts_saved.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
py=tools/parity/.venv/bin/python
work=tools/parity/.work/ts-saved
rm -rf "$work" && mkdir -p "$work"
fixtures=tools/parity/fixtures/core
models=()
for f in "$fixtures"/models/*.expected.json; do models+=("$fixtures/models/$(basename "$f" .expected.json)"); done
models+=(.cache/models/all-MiniLM-L6-v2)
node tools/parity/core/save-with-sbert.mjs "$work" "${models[@]}"
results=()
status=0
for m in "${models[@]}"; do
  name=$(basename "$m")
  expected="$fixtures/models/$name.expected.json"
  [ "$name" = all-MiniLM-L6-v2 ] && expected="$fixtures/minilm-embeddings.json"
  if ! "$py" tools/parity/core/check_saved_model.py "$work/$name" "$expected" --strict --out "$work/$name.result.json" >/dev/null; then status=1; fi
  results+=("$work/$name.result.json")
done
"$py" - "${results[@]}" <<'PY'
import json, sys, platform
rows = [json.load(open(f)) for f in sys.argv[1:]]
out = {
    "what": "models loaded and re-saved by @sbert/core, then loaded by Python sentence-transformers and compared with the fixtures",
    "generated_by": "bash tools/parity/core/check_ts_saved.sh",
    "machine": platform.platform(),
    "results": rows,
}
json.dump(out, open("tools/parity/results/ts-saved-models.json", "w"), indent=1)
for r in rows:
    print({k: r.get(k) for k in ("model_dir", "ok", "max_abs_diff", "weight_problems")})
PY
exit $status
