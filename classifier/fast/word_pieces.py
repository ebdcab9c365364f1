"""Token ids of a BERT word-piece tokenizer, with each distinct word split only once.

On the fast path the tokenizer was half of the labeling time, nearly all of it in its Unicode
normalizer and pre-tokenizer rather than in the word-piece split. For a text of printable ASCII
those two steps are exactly: lower-case, then split into runs of letters and digits and single
punctuation marks. The word-piece ids of each word are kept in a dictionary, so a backfill's
repeated vocabulary is split once. Any other text (non-ASCII, control characters, a special token
such as `[UNK]` written in it) and any other tokenizer set-up go through the tokenizer itself;
the ids are the same either way (tested against the tokenizer).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

_PLAIN = re.compile(r"[\t\n\r -~]*")
"""Printable ASCII plus tab, newline and carriage return: what the shortcut handles."""
_WORDS = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")
"""BERT's pre-tokenizer on lower-cased plain ASCII: every ASCII symbol is punctuation to it."""
_MAX_CACHED_WORDS = 500_000


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

    @property
    def shortcut(self) -> bool:
        """Whether plain-ASCII texts are split here (else the tokenizer does all)."""
        return self._shortcut

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        if not self._shortcut:
            return self._encode(texts)
        result: list[list[int]] = []
        others: list[int] = []
        for index, text in enumerate(texts):
            if _PLAIN.fullmatch(text) and not self._has_special(text):
                result.append(self._plain_ids(text))
            else:
                result.append([])
                others.append(index)
        for index, ids in zip(others, self._encode([texts[i] for i in others]), strict=True):
            result[index] = ids
        return result

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        encoded = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        return [encoding.ids for encoding in encoded]

    def _has_special(self, text: str) -> bool:
        return any(special in text for special in self._specials)

    def _plain_ids(self, text: str) -> list[int]:
        found = _WORDS.findall(text.lower())
        cached = list(map(self._words.get, found))
        pieces: list[list[int]] = (
            [self._split(w) if p is None else p for w, p in zip(found, cached, strict=True)]
            if None in cached
            else cached  # type: ignore[assignment]  # no None left
        )
        ids = list(itertools.chain.from_iterable(pieces))
        return ids if self._max_length is None else ids[: self._max_length]

    def _split(self, word: str) -> list[int]:
        if len(self._words) >= _MAX_CACHED_WORDS:
            self._words.clear()
        pieces = self._words[word] = [token.id for token in self._model.tokenize(word)]
        return pieces
