"""Length-preserving normalisation, so rules written once in simplified script see
traditional and full-width input too, and every offset still points into the original.

Each character maps to exactly one character: traditional → simplified (OpenCC's character
table, taken one character at a time), full-width ASCII letters and digits → ASCII. Building
the table takes OpenCC ~20 ms, so it is kept in the private on-disk cache, keyed by the
installed OpenCC's files: a start that finds it there never imports OpenCC.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache

from . import cache as disk_cache


@cache
def table_key() -> str:
    """What the table depends on: the installed OpenCC's files (empty if none is found)."""
    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        return ""
    parts = []
    try:  # the package's files and its compiled library's: a new OpenCC changes them
        for directory in spec.submodule_search_locations:
            for folder in (directory, os.path.join(directory, "clib")):
                if not os.path.isdir(folder):
                    continue
                for entry in os.scandir(folder):
                    if entry.is_file() and not entry.name.endswith((".pyc", ".pyo")):
                        st = entry.stat()
                        parts.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        return ""
    return "2|" + "|".join(sorted(parts))


@cache
def _table() -> dict[int, str]:
    return disk_cache.cached("opencc-t2s", table_key(), _build_table)


def _build_table() -> dict[int, str]:
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
