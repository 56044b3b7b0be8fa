"""Tiny tokenizers for the checkpoint fixtures, trained with `tokenizers` on the shared data.

* WordPiece (uncased, BERT normaliser): BERT, DistilBERT, and MPNet (MPNet adds <s> <pad> </s> <unk> <mask>).
* Byte-level BPE: RoBERTa (<s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last).
* Unigram (SentencePiece style, Metaspace): XLM-RoBERTa (<s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last).

Each trainer gets a fixed alphabet / special-token list so that ids do not depend on hash-map order.
"""

from __future__ import annotations

import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"
if str(CORE) not in sys.path:
    sys.path.insert(0, str(CORE))

from vocab import corpus  # noqa: E402  (the core fixtures' training corpus from /work/shared/data)

WORDPIECE_SIZE = 500
BPE_SIZE = 500
UNIGRAM_SIZE = 600
ALPHABET = 300

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def _frequent_chars(texts: list[str], normalize, pre_tokenize, n: int) -> list[str]:
    from collections import Counter

    counts: Counter[str] = Counter()
    for t in texts:
        for w, _ in pre_tokenize(normalize(t)):
            counts.update(w)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], ord(kv[0])))
    return [c for c, _ in ranked[:n]]


def train_wordpiece(texts: list[str]) -> list[str]:
    """Uncased WordPiece vocab.txt lines: specials first, then by (piece length, is '##', code points)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, trainers
    from tokenizers.models import WordPiece

    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    alphabet = _frequent_chars(texts, tok.normalizer.normalize_str, tok.pre_tokenizer.pre_tokenize_str, ALPHABET)
    inner = sorted({"##" + c for c in alphabet}, key=lambda t: ord(t[2]))
    trainer = trainers.WordPieceTrainer(vocab_size=WORDPIECE_SIZE, min_frequency=2, initial_alphabet=alphabet,
                                        limit_alphabet=len(alphabet), special_tokens=BERT_SPECIALS + inner,
                                        continuing_subword_prefix="##", show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    vocab = tok.get_vocab()
    rest = [t for t in vocab if t not in BERT_SPECIALS]

    def key(t: str):
        piece = t[2:] if t.startswith("##") else t
        return (len(piece), t.startswith("##"), [ord(c) for c in piece])

    return BERT_SPECIALS + sorted(rest, key=key)


def train_bpe(texts: list[str]) -> tuple[dict[str, int], list[str]]:
    """Byte-level BPE (RoBERTa style): vocab {token: id} and merges ["a b", ...]."""
    import json

    from tokenizers import Tokenizer, pre_tokenizers, trainers
    from tokenizers.models import BPE

    tok = Tokenizer(BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=BPE_SIZE, min_frequency=2, special_tokens=ROBERTA_SPECIALS,
                                  initial_alphabet=sorted(pre_tokenizers.ByteLevel.alphabet()),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = dict(model["vocab"])
    vocab["<mask>"] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return vocab, merges


def train_unigram(texts: list[str]) -> list[tuple[str, float]]:
    """SentencePiece-style Unigram vocab [(piece, log-prob)], specials first, <mask> last."""
    import json

    from tokenizers import Tokenizer, normalizers, pre_tokenizers, trainers
    from tokenizers.models import Unigram

    # Unigram keeps every character it sees: train on the Latin-script texts plus 30 Chinese ones, so
    # that most Chinese characters stay unknown (and exercise <unk> handling).
    latin = [t for t in texts if all(ord(c) < 0x2000 for c in t)]
    chinese = [t for t in texts if any(0x4E00 <= ord(c) <= 0x9FFF for c in t)][:30]
    texts = latin + chinese
    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")])
    alphabet = _frequent_chars(texts, tok.normalizer.normalize_str, tok.pre_tokenizer.pre_tokenize_str, ALPHABET)
    trainer = trainers.UnigramTrainer(vocab_size=UNIGRAM_SIZE, special_tokens=ROBERTA_SPECIALS, unk_token="<unk>",
                                      initial_alphabet=alphabet, show_progress=False, shrinking_factor=0.75,
                                      max_piece_length=8, n_sub_iterations=2)
    tok.train_from_iterator(texts, trainer=trainer)
    # Scores vary in the last digits between runs (parallel sums): 6 decimals keep them reproducible.
    vocab = [(p, round(float(s), 6)) for p, s in json.loads(tok.to_str())["model"]["vocab"]]
    assert [p for p, _ in vocab[:4]] == ROBERTA_SPECIALS, vocab[:5]
    # Pieces with equal scores come out in hash-map order: sort them so that ids are reproducible
    # (Unigram segmentation depends on the scores only).
    # The trainer also gives the characters it must keep artificial, decreasing scores below every
    # learned piece, in hash-map order: hand those scores out to the characters in code-point order.
    floor = min(sc for p, sc in vocab[4:] if len(p) > 1)
    kept = sorted((p for p, sc in vocab[4:] if len(p) == 1 and sc < floor), key=ord)
    kept_scores = sorted((sc for p, sc in vocab[4:] if len(p) == 1 and sc < floor), reverse=True)
    learned = [(p, sc) for p, sc in vocab[4:] if not (len(p) == 1 and sc < floor)]
    rest = learned + list(zip(kept, kept_scores))
    vocab = vocab[:4] + sorted(rest, key=lambda ps: (-ps[1], [ord(c) for c in ps[0]]))
    vocab.append(("<mask>", 0.0))
    return vocab


def train_all() -> dict:
    texts = corpus()
    return {
        "corpus_texts": len(texts),
        "wordpiece": train_wordpiece(texts),
        "bpe": train_bpe(texts),
        "unigram": train_unigram(texts),
    }
