"""Records the batches of sentence-transformers' own NoDuplicatesBatchSampler and
GroupByLabelBatchSampler when torch.randperm is replaced by the mulberry32 Fisher-Yates
permutation that @sbert/data's SeededRandom documents. Both libraries then draw the same
permutations in the same order, so equal batches mean the sampling logic matches ST's.

Run from the repository root:
    tools/parity/.venv/bin/python tools/parity/data/st_sampler_orders.py
It writes tools/parity/fixtures/data/st-sampler-orders.json.
"""

import json
import os
import sys

import sentence_transformers
import torch
from sentence_transformers.base import sampler as st_sampler

MASK = 0xFFFFFFFF


class Mulberry32:
    """mulberry32 (Tommy Ettinger), unsigned 32-bit arithmetic."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_uint32(self):
        self.state = (self.state + 0x6D2B79F5) & MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        return (t ^ (t >> 14)) & MASK

    def next_int(self, bound):
        limit = 2**32 - (2**32 % bound)
        x = self.next_uint32()
        while x >= limit:
            x = self.next_uint32()
        return x % bound

    def permutation(self, n):
        a = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.next_int(i + 1)
            a[i], a[j] = a[j], a[i]
        return a


class FakeDataset:
    """The part of datasets.Dataset the two samplers use."""

    def __init__(self, columns):
        self.columns = columns

    @property
    def column_names(self):
        return list(self.columns)

    def __len__(self):
        return len(next(iter(self.columns.values())))

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.columns[key]
        return {name: values[key] for name, values in self.columns.items()}

    def remove_columns(self, names):
        return FakeDataset({k: v for k, v in self.columns.items() if k not in names})


def run(sampler_cls, dataset, batch_size, drop_last, seed, epoch):
    rng = Mulberry32(seed + epoch)
    original = torch.randperm

    def randperm(n, generator=None, dtype=torch.int64, **_):
        return torch.tensor(rng.permutation(int(n)), dtype=dtype)

    torch.randperm = randperm
    try:
        s = sampler_cls(dataset, batch_size=batch_size, drop_last=drop_last, valid_label_columns=["label"], seed=seed)
        s.set_epoch(epoch)
        return {"length": len(s), "batches": [list(map(int, b)) for b in s]}
    finally:
        torch.randperm = original


def main():
    # 40 (anchor, positive) rows with duplicates within columns and across them.
    anchors = [f"a{i % 17}" for i in range(40)]
    positives = [f"p{i % 13}" if i % 5 else anchors[(i + 3) % 40] for i in range(40)]
    nodup_data = {"anchor": anchors, "positive": positives}
    # 30 labelled rows, 5 labels with 9 / 7 / 6 / 5 / 3 members (odd counts trimmed by ST).
    labels = [0] * 9 + [1] * 7 + [2] * 6 + [3] * 5 + [4] * 3
    labels = [labels[(i * 7) % 30] for i in range(30)]
    group_data = {"text": [f"t{i}" for i in range(30)], "label": labels}

    cases = []
    for batch_size, drop_last, seed, epoch in [(4, False, 42, 0), (6, False, 42, 0), (7, True, 7, 3), (12, True, 0, 1), (12, False, 5, 0)]:
        cases.append({
            "sampler": "NoDuplicatesBatchSampler", "batchSize": batch_size, "dropLast": drop_last, "seed": seed, "epoch": epoch,
            **run(st_sampler.NoDuplicatesBatchSampler, FakeDataset(nodup_data), batch_size, drop_last, seed, epoch),
        })
    for batch_size, drop_last, seed, epoch in [(4, False, 42, 0), (6, True, 1, 0), (8, False, 3, 2), (10, False, 9, 0), (10, True, 9, 0)]:
        cases.append({
            "sampler": "GroupByLabelBatchSampler", "batchSize": batch_size, "dropLast": drop_last, "seed": seed, "epoch": epoch,
            **run(st_sampler.GroupByLabelBatchSampler, FakeDataset(group_data), batch_size, drop_last, seed, epoch),
        })
    out = {
        "command": "tools/parity/.venv/bin/python tools/parity/data/st_sampler_orders.py",
        "versions": {"sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__, "python": sys.version.split()[0]},
        "data": {"noDuplicates": nodup_data, "groupByLabel": group_data},
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data", "st-sampler-orders.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.normpath(path), len(cases), "cases")


if __name__ == "__main__":
    main()
