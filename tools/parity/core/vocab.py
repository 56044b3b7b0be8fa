"""Train the tiny WordPiece vocabularies used by the tiny test models.

* `tiny-vocab/vocab.txt` (uncased): BertNormalizer(clean_text, handle_chinese_chars, lowercase=True,
  strip_accents=None -> accents stripped because lowercase is on), BertPreTokenizer, WordPiece trainer.
* `tiny-vocab/vocab-cased.txt` (cased): the same with lowercase=False, strip_accents=False, so it holds
  uppercase tokens too (for the `vocab-only-cased` tokenizer fixture and the `legacy-subfolder` model).

Training corpus: LCQMC dev, Chinese STS-B train+valid, OCNLI dev, English STS-B (all splits) and the
MS MARCO triples sample, from /work/shared/data.
"""

from __future__ import annotations


from common import SHARED_DATA, VOCAB_DIR, header, log, rel, write_json
from sentences import SRC_FILES, load_sources

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB_SIZE = 2000
LIMIT_ALPHABET = 1000
MIN_FREQUENCY = 2


def corpus() -> list[str]:
    src = load_sources()
    texts: list[str] = []
    for _, r in src["lcqmc"]:
        texts += r[:2]
    for _, r in src["csts"]:
        texts += r[:2]
    from sentences import _lines

    for ln in _lines(SHARED_DATA / "chinese-sts-b" / "STS-B.train.data"):
        texts += ln.split("\t")[:2]
    for _, r in src["ocnli"]:
        texts += [r["sentence1"], r["sentence2"]]
    for _, r in src["ests"]:
        texts += [r[6], r[7]]
    for _, r in src["msmarco"]:
        texts += r[:3]
    return texts


def deterministic_alphabet(tok, texts: list[str]) -> tuple[list[str], list[str]]:
    """The LIMIT_ALPHABET most frequent characters after normalization + pre-tokenization, and the
    "##c" continuation tokens the trainer will create for them (c in the alphabet, seen inside a word)."""
    from collections import Counter

    counts: Counter[str] = Counter()
    inner: set[str] = set()
    for text in texts:
        for word, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text)):
            counts.update(word)
            inner.update(word[1:])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], ord(kv[0])))
    alphabet = [c for c, _ in ranked[:LIMIT_ALPHABET]]
    continuation = ["##" + c for c in sorted(set(alphabet) & inner, key=ord)]
    return alphabet, continuation


def train(lowercase: bool, texts: list[str]) -> list[str]:
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, trainers
    from tokenizers.models import WordPiece

    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=True,
        strip_accents=None if lowercase else False,
        lowercase=lowercase,
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    alphabet, continuation = deterministic_alphabet(tok, texts)
    trainer = trainers.WordPieceTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=MIN_FREQUENCY,
        # The trainer's own alphabet cut breaks count ties in hash-map order (not reproducible), so the
        # alphabet is chosen here, sorted by (-count, code point), and forced via initial_alphabet.
        initial_alphabet=alphabet,
        limit_alphabet=len(alphabet),
        # The trainer would add the "##c" tokens in hash-map order; their ids break ties between equally
        # frequent merges, which made the vocabulary differ between runs. Registering them up front (as
        # "special" tokens of the trainer, i.e. fixed vocabulary entries) makes training reproducible.
        special_tokens=SPECIAL_TOKENS + continuation,
        continuing_subword_prefix="##",
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    vocab = tok.get_vocab()
    assert len(vocab) == VOCAB_SIZE, len(vocab)
    # WordPiece tokenization does not depend on ids, so write a canonical order:
    # special tokens, then by (piece length, continuation?, code points).
    rest = [t for t in vocab if t not in SPECIAL_TOKENS]

    def key(t: str):
        piece = t[2:] if t.startswith("##") else t
        return (len(piece), t.startswith("##"), [ord(c) for c in piece])

    return SPECIAL_TOKENS + sorted(rest, key=key)


def main() -> dict:
    texts = corpus()
    VOCAB_DIR.mkdir(parents=True, exist_ok=True)
    info = {}
    for name, lowercase in (("vocab.txt", True), ("vocab-cased.txt", False)):
        tokens = train(lowercase, texts)
        path = VOCAB_DIR / name
        path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
        cjk = sum(1 for t in tokens if len(t) == 1 and 0x4E00 <= ord(t) <= 0x9FFF)
        upper = sum(1 for t in tokens if any(c.isupper() for c in t))
        info[name] = {
            "path": rel(path),
            "size": len(tokens),
            "lowercase": lowercase,
            "strip_accents": None if lowercase else False,
            "cjk_single_char_tokens": cjk,
            "tokens_with_uppercase": upper,
            "continuation_tokens": sum(1 for t in tokens if t.startswith("##")),
        }
        log(f"wrote {path}: {len(tokens)} tokens, {cjk} CJK chars, {upper} with uppercase")
    doc = header("vocab", "How the tiny WordPiece vocabularies in this folder were trained.")
    doc["trainer"] = {
        "class": "tokenizers.trainers.WordPieceTrainer",
        "vocab_size": VOCAB_SIZE,
        "limit_alphabet": LIMIT_ALPHABET,
        "min_frequency": MIN_FREQUENCY,
        "special_tokens": SPECIAL_TOKENS,
        "normalizer": "BertNormalizer(clean_text=True, handle_chinese_chars=True, lowercase=<see vocab>, strip_accents=<see vocab>)",
        "pre_tokenizer": "BertPreTokenizer",
        "alphabet": "the limit_alphabet most frequent characters (after normalization + pre-tokenization), ties by "
        "code point, passed as initial_alphabet; the '##c' continuation tokens are registered up front with the "
        "special tokens so that training is reproducible (see vocab.py)",
        "vocab_order": "[PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then sorted by (piece length, is '##' "
        "continuation, code points); WordPiece output does not depend on the order",
    }
    doc["corpus"] = {
        "files": [SRC_FILES["lcqmc"], SRC_FILES["csts"], "chinese-sts-b/STS-B.train.data", SRC_FILES["ocnli"],
                  SRC_FILES["ests"], SRC_FILES["msmarco"]],
        "texts": len(texts),
    }
    doc["vocabs"] = info
    write_json(VOCAB_DIR / "vocab-info.json", doc, indent=2)
    return info
