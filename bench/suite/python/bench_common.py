"""Helpers shared by the Python cases of bench/suite: the spec file and the one result line."""
import json
import os
import platform
import resource
import sys

RESULT_MARK = "@@BENCH_RESULT "


def read_spec() -> dict:
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: {sys.argv[0]} <spec.json>")
    with open(sys.argv[1], encoding="utf-8") as f:
        return json.load(f)


def set_threads() -> int:
    """All cores for torch (the suite compares whole-machine throughput)."""
    import torch

    n = os.cpu_count() or 1
    torch.set_num_threads(n)
    return torch.get_num_threads()


def versions(*names: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def emit(result: dict) -> None:
    """Prints the result line with the process's peak RSS (ru_maxrss is KiB on Linux)."""
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(RESULT_MARK + json.dumps({**result, "max_rss_mb": max_rss_kib / 1024}) + "\n")
    sys.stdout.flush()


def emit_skip(reason: str) -> None:
    sys.stdout.write(RESULT_MARK + json.dumps({"status": "skipped", "reason": reason}) + "\n")
    sys.stdout.flush()
