"""Decoding files as they are found in the wild: UTF-8 (with or without BOM), UTF-16 with
BOM, and GBK/GB18030, the default export of common Chinese desktop tools."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

T = TypeVar("T", str, bytes)


@dataclass(frozen=True)
class Decoded:
    """A decoded file: its lines (without line ends), each line's end (``\\n``, ``\\r\\n``
    or ``""`` for a last line without one), and the 1-based numbers of lines that could not
    be decoded (kept as empty strings so numbering stays right)."""

    encoding: str
    lines: list[str]
    newlines: list[str]
    bad_lines: list[int]

    def join(self, lines: Sequence[str] | None = None) -> str:
        """The text again, with ``lines`` in place of the original lines if given."""
        return "".join(
            line + nl for line, nl in zip(lines or self.lines, self.newlines, strict=False)
        )


def _split(data: T, nl: T, cr: T) -> list[tuple[T, str]]:
    pieces = data.split(nl)
    out: list[tuple[T, str]] = []
    for i, piece in enumerate(pieces):
        if i == len(pieces) - 1:
            if piece or not out:
                out.append((piece, ""))
        elif piece.endswith(cr):
            out.append((piece[:-1], "\r\n"))
        else:
            out.append((piece, "\n"))
    return out


def decode(data: bytes) -> Decoded:
    """Decode ``data`` as a whole if it is valid in one encoding (BOM first, then UTF-8,
    then GB18030); otherwise line by line as UTF-8, listing the lines that fail."""
    with_bom = [enc for bom, enc in _BOMS if data.startswith(bom)]
    candidates = with_bom or ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        pairs = _split(text, "\n", "\r")
        return Decoded(encoding, [p for p, _ in pairs], [e for _, e in pairs], [])
    lines: list[str] = []
    ends: list[str] = []
    bad: list[int] = []
    for number, (raw, end) in enumerate(_split(data, b"\n", b"\r"), 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append("")
            bad.append(number)
        ends.append(end)
    return Decoded("utf-8", lines, ends, bad)


def encode(decoded: Decoded, text: str) -> bytes:
    """Encode ``text`` in the file's own encoding, BOM included where it had one."""
    return text.encode(decoded.encoding)
