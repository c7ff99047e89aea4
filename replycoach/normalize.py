"""Length-preserving normalisation, so rules written once in simplified script see
traditional and full-width input too, and every offset still points into the original.

Each character maps to exactly one character: traditional → simplified (OpenCC's character
table, taken one character at a time), full-width ASCII letters and digits → ASCII.
"""

from __future__ import annotations

from functools import cache


@cache
def _table() -> dict[int, str]:
    import opencc

    table: dict[int, str] = {}
    chars = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    # One character a line: OpenCC's phrase tables cannot join neighbours across lines.
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) == len(chars):
        for src, dst in zip(chars, converted, strict=False):
            if src != dst and len(dst) == 1:
                table[ord(src)] = dst
    table[ord("妳")] = "你"  # the feminine "you" of traditional texts; OpenCC keeps it
    for code in range(0xFF10, 0xFF1A):  # ０-９
        table[code] = chr(code - 0xFEE0)
    for code in [*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]:  # Ａ-Ｚ ａ-ｚ
        table[code] = chr(code - 0xFEE0)
    return table


@cache
def _convertible() -> frozenset[str]:
    return frozenset(map(chr, _table()))


def normalize(text: str) -> str:
    """Return ``text`` in simplified script with ASCII letters and digits, same length.

    >>> normalize("我保證明天發貨，電話１３８")
    '我保证明天发货，电话138'
    """
    if text.isascii() or _convertible().isdisjoint(text):
        return text
    return text.translate(_table())
