"""Token ids of a BERT word-piece tokenizer, with each distinct chunk of text split only once.

On the fast path the tokenizer was half of the labeling time, nearly all of it in its Unicode
normalizer and pre-tokenizer rather than in the word-piece split. Neither joins anything across
whitespace, so a text's ids are its whitespace-separated chunks' ids one after the other, and
each distinct chunk ("refund,", "don’t", "⚠️") is split once and kept in a dictionary: a
backfill's repeated vocabulary costs a `str.split` and dictionary look-ups. A chunk of printable
ASCII is split here (lower-case, then runs of letters and digits and single punctuation marks,
each word's pieces kept too); any other chunk by the tokenizer itself. Texts holding a character
`str.split` splits at but the normalizer deletes, or a special token such as `[UNK]` written in
them, and any other tokenizer set-up, go through the tokenizer whole. The ids are the same
either way (tested against the tokenizer).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

_APART = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")
"""What `str.split` splits at but the normalizer deletes as control characters (so the words
around them join): a text holding one is left to the tokenizer whole."""
_WORDS = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")
"""BERT's pre-tokenizer on lower-cased plain ASCII: every ASCII symbol is punctuation to it."""
_MAX_CACHED_WORDS = 500_000
_MAX_CACHED_CHUNKS = 200_000


def _is_bert_word_piece(config: dict[str, Any]) -> bool:
    normalizer = config.get("normalizer") or {}
    padding = config.get("padding")
    truncation = config.get("truncation")
    return (
        normalizer.get("type") == "BertNormalizer"
        and normalizer.get("clean_text") is True
        and normalizer.get("lowercase") is True
        and normalizer.get("strip_accents") in (None, True)
        and (config.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
        and (config.get("model") or {}).get("type") == "WordPiece"
        and (truncation is None or truncation.get("direction") == "Right")
        and (padding is None or padding.get("strategy") == {"Fixed": 0})
    )


class CachedWordPieces:
    """`tokenizer.encode_batch_fast(texts, add_special_tokens=False)` ids, faster."""

    def __init__(self, tokenizer: Any) -> None:
        config = json.loads(tokenizer.to_str())
        self._tokenizer = tokenizer
        added = list(tokenizer.get_added_tokens_decoder().values())
        # Added tokens are matched in the raw text before anything else; ones matched after
        # normalization would need the normalizer, so they turn the shortcut off.
        self._shortcut = _is_bert_word_piece(config) and not any(t.normalized for t in added)
        truncation = config.get("truncation")
        self._max_length: int | None = truncation["max_length"] if truncation else None
        self._specials = [token.content for token in added]
        self._model = tokenizer.model
        self._words: dict[str, list[int]] = {}
        self._chunks: dict[str, list[int]] = {}

    @property
    def shortcut(self) -> bool:
        """Whether texts are split here chunk by chunk (else the tokenizer does all)."""
        return self._shortcut

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        if not self._shortcut:
            return self._encode(texts)
        known = self._chunks
        result: list[list[int]] = []
        whole: list[int] = []  # left to the tokenizer
        unknown: dict[int, list[str]] = {}  # texts with a chunk not seen before
        for index, text in enumerate(texts):
            if _APART.search(text) or self._has_special(text):
                whole.append(index)
                result.append([])
                continue
            chunks = text.split()
            pieces = list(map(known.get, chunks))
            if None in pieces:
                unknown[index] = chunks
                result.append([])
            else:
                result.append(self._joined(pieces))  # type: ignore[arg-type]  # no None left
        if unknown:
            new = {chunk for chunks in unknown.values() for chunk in chunks if chunk not in known}
            if len(known) + len(new) > _MAX_CACHED_CHUNKS:
                known.clear()
                new = {chunk for chunks in unknown.values() for chunk in chunks}
            self._learn(new)
            for index, chunks in unknown.items():
                result[index] = self._joined(list(map(known.__getitem__, chunks)))
        for index, ids in zip(whole, self._encode([texts[i] for i in whole]), strict=True):
            result[index] = ids
        return result

    def _joined(self, pieces: list[list[int]]) -> list[int]:
        ids = list(itertools.chain.from_iterable(pieces))
        return ids if self._max_length is None else ids[: self._max_length]

    def _learn(self, chunks: set[str]) -> None:
        """Split each chunk (no whitespace in it) and keep its ids."""
        other = []
        for chunk in chunks:
            if chunk.isascii() and chunk.isprintable():
                words = _WORDS.findall(chunk.lower())
                self._chunks[chunk] = list(itertools.chain.from_iterable(map(self._word, words)))
            else:
                other.append(chunk)
        for chunk, ids in zip(other, self._encode(other), strict=True):
            self._chunks[chunk] = ids

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        encoded = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        return [encoding.ids for encoding in encoded]

    def _has_special(self, text: str) -> bool:
        return any(special in text for special in self._specials)

    def _word(self, word: str) -> list[int]:
        pieces = self._words.get(word)
        return self._split(word) if pieces is None else pieces

    def _split(self, word: str) -> list[int]:
        if len(self._words) >= _MAX_CACHED_WORDS:
            self._words.clear()
        pieces = self._words[word] = [token.id for token in self._model.tokenize(word)]
        return pieces
