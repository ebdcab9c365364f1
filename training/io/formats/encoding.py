"""The text encoding of an export: given, or UTF-8, or a legacy code page said in a warning."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

_LEGACY_ENCODINGS = ("cp1252", "latin-1")  # latin-1 decodes any byte: the last resort
_SEEN_ENCODINGS: dict[tuple[str, int, int], str] = {}


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def resolve_encoding(path: str | Path, encoding: str | None) -> str:
    """`encoding` if given; else UTF-8, or cp1252 (then latin-1) for a file that is not UTF-8.

    A guessed legacy encoding is said in a warning, once per file.
    """
    if encoding is not None:
        return encoding
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SEEN_ENCODINGS:
        found = "utf-8"
        if not _is_utf8(path):
            raw = path.read_bytes()
            for candidate in _LEGACY_ENCODINGS:
                try:
                    raw.decode(candidate)
                except UnicodeDecodeError:
                    continue
                found = candidate
                break
            logger.warning(
                "%s is not valid UTF-8: read as %s (pass --encoding to choose another)",
                path,
                found,
            )
        _SEEN_ENCODINGS[key] = found
    return _SEEN_ENCODINGS[key]


def text_encoding(encoding: str) -> str:
    """UTF-8 reads with a byte-order mark stripped (Excel writes one)."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
