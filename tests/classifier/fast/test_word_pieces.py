"""Cached word-piece ids equal the tokenizer's own, for every kind of text."""

from __future__ import annotations

import pandas as pd
import pytest
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from classifier.embedders.base import DEFAULT_MODEL, locate_packaged_model
from classifier.fast import word_pieces
from classifier.fast.word_pieces import CachedWordPieces
from tests import ROOT

SAMPLE = ROOT / "data" / "sample_tickets.csv"
EDGE_CASES = [
    "",
    "   \t\n ",
    "Login FAILS after 2FA reset!!! (error E-4021) see https://x.io/a_b?c=1&d=2#frag",
    "snake_case, kebab-case, CamelCase, v1.2.3, $19.99, 50% off, a/b\\c, {json: [1, 2]}",
    "a" * 150 + " short",  # longer than the word-piece limit: one unknown token
    "literal [UNK] and [PAD] tokens typed by a customer",
    "Café crème, naïve façade",  # accents: the tokenizer's own path
    "日本語のチケット mixed with English",
    "control\x0bcharacters\x1fhere\x7f",
    "tabs\tand\r\nnewlines",
    "it's    the customer's \"quoted\" `code` ~tilde^ caret|pipe",
]
# Chunks the tokenizer splits (non-ASCII, control characters) beside plain ones, and every kind
# of whitespace: each must give the ids the tokenizer gives the whole text.
MIXED = [
    "⚠️ Warning: the export’s “quoted” dates — ΣΊΣΥΦΟΣ and İstanbul… don’t parse",
    "non\u00a0breaking, ideographic\u3000space, line\u2028separator, para\u2029graph",
    "next\x85line, file\x1cseparator and unit\x1fseparator join words",
    "vertical\x0btab and form\x0cfeed",
    "e \u0301accent after a space, zero\u200bwidth, bom\ufeffhere, mongolian\u180evowel",
    "中文，混合 English 的 text？ 🐛 bug🔧fix 🕮 notes",
    "bell\x07inside a word, delete\x7finside, nul\x00too",
    "CAFÉ Ｆｕｌｌｗｉｄｔｈ ﬁ ligature ½ ① ẞ",
]


@pytest.fixture
def tokenizer() -> Tokenizer:
    """The packaged model's tokenizer set up as a distilled static model's is."""
    tokenizer = Tokenizer.from_file(str(locate_packaged_model(DEFAULT_MODEL) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=512)
    return tokenizer


def _reference(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False)]


def test_ids_equal_the_tokenizers_on_real_and_awkward_text(tokenizer: Tokenizer) -> None:
    sample = pd.read_csv(SAMPLE, dtype=str).fillna("")
    texts = EDGE_CASES + MIXED + (sample["subject"] + "\n\n" + sample["body"]).tolist()
    pieces = CachedWordPieces(tokenizer)
    assert pieces.shortcut
    assert pieces.ids(texts) == _reference(tokenizer, texts)
    assert pieces.ids(texts) == _reference(tokenizer, texts)  # again, from the chunk cache


def test_mixed_text_is_split_chunk_by_chunk_as_the_tokenizer_splits_it_whole(
    tokenizer: Tokenizer,
) -> None:
    pieces = CachedWordPieces(tokenizer)
    for text in MIXED:  # one at a time: no chunk known yet from another text
        assert pieces.ids([text]) == _reference(tokenizer, [text]), text
    shuffled = [" ".join(reversed(text.split(" "))) for text in MIXED]  # known chunks, new texts
    assert pieces.ids(shuffled) == _reference(tokenizer, shuffled)


def test_a_full_chunk_cache_starts_again_without_losing_a_batch(
    tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_pieces, "_MAX_CACHED_CHUNKS", 8)
    pieces = CachedWordPieces(tokenizer)
    texts = EDGE_CASES + MIXED
    assert pieces.ids(texts[:3]) == _reference(tokenizer, texts[:3])
    assert pieces.ids(texts) == _reference(tokenizer, texts)  # more new chunks than room


def test_truncation_of_the_tokenizer_is_kept(tokenizer: Tokenizer) -> None:
    tokenizer.enable_truncation(max_length=5)
    texts = ["one two three four five six seven", "Ünïcode one two three four five six"]
    pieces = CachedWordPieces(tokenizer)
    assert pieces.shortcut
    ids = pieces.ids(texts)
    assert ids == _reference(tokenizer, texts)
    assert [len(row) for row in ids] == [5, 5]


def test_padding_or_another_set_up_leaves_it_all_to_the_tokenizer(tokenizer: Tokenizer) -> None:
    tokenizer.enable_padding(length=16)
    pieces = CachedWordPieces(tokenizer)
    assert not pieces.shortcut
    assert pieces.ids(EDGE_CASES) == _reference(tokenizer, EDGE_CASES)


def test_a_token_added_after_normalization_leaves_it_to_the_tokenizer(
    tokenizer: Tokenizer,
) -> None:
    tokenizer.add_tokens(["refund please"])  # matched on the normalized (lower-cased) text
    pieces = CachedWordPieces(tokenizer)
    assert not pieces.shortcut
    texts = ["REFUND PLEASE now", "refund please"]
    assert pieces.ids(texts) == _reference(tokenizer, texts)


def test_other_tokenizers_are_used_as_they_are() -> None:
    tokenizer = Tokenizer(WordLevel({"[UNK]": 0, "Hello": 1, "world": 2}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    texts = ["Hello world", "hello World", ""]
    assert CachedWordPieces(tokenizer).ids(texts) == [[1, 2], [0, 0], []]
