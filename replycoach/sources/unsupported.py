"""Formats replycoach cannot read, reported instead of being skipped or read as text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import Entry, FixError, InputError, Parsed, SourceOptions

HOW = {
    ".xls": "Excel 97-2003 workbooks (.xls) are not supported; save it as .xlsx "
    "(Excel: 文件 > 另存为 > Excel 工作簿) or .csv (UTF-8), e.g. "
    "`libreoffice --headless --convert-to xlsx FILE.xls`",
}


def _message(name: str) -> str:
    return HOW.get(Path(name).suffix.lower(), "this file format is not supported")


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """A single error saying why and how to convert the file."""
    return Parsed("", [InputError(name, 1, _message(name))])


def rewrite(name: str, data: bytes, fix: Callable[[Entry], str], options: SourceOptions) -> bytes:
    """Never: the file is left as it is."""
    raise FixError(_message(name))
