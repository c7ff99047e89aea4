"""Excel workbooks (.xlsx): the reply column of every sheet, located as ``file:Sheet!C12``.

Needs the optional extra: ``pip install "replycoach[excel]"`` (openpyxl). Each sheet's first
non-empty row is its header when it names a reply column (回复, 话术, 内容, ...) or
``--column``; ``--column`` may also be a letter (``C``) or a 1-based number, and a sheet of
one column without a header is a list of replies. Sheets where no reply column can be told
(notes, price lists) are skipped; only a workbook with no such column anywhere is an error.

``fix`` loads the workbook with openpyxl, changes only the reply cells and saves it. Values,
formulas, styles, merged cells and the other sheets are kept; what openpyxl itself does not
keep (charts, images, pivot tables, form controls) would be lost, so a workbook that has any
of them is refused and left untouched.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from . import Entry, FixError, InputError, Parsed, SourceOptions


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        return None
    return openpyxl


def _header_index(options: SourceOptions, values: list[str]) -> int | None:
    """The reply column if ``values`` is a header row, else None."""
    for i, name in enumerate(values):
        if options.is_reply_key(name):
            return i
    return None


def _column_option(options: SourceOptions, width: int) -> int | None:
    """The reply column for a sheet without header: ``--column`` as a number or a letter,
    or the only column."""
    column = options.column
    if column is not None and column.isdigit():
        return int(column) - 1
    if column is not None and column.isascii() and column.isalpha() and len(column) <= 3:
        from openpyxl.utils import column_index_from_string

        return int(column_index_from_string(column.upper())) - 1
    return 0 if width == 1 else None


def _load(data: bytes, *, read_only: bool) -> Any:
    openpyxl = _openpyxl()
    return openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=False)


def _walk(
    name: str, data: bytes, options: SourceOptions
) -> tuple[Parsed, list[tuple[str, int, int]]]:
    parsed = Parsed("xlsx")
    cells: list[tuple[str, int, int]] = []
    if _openpyxl() is None:
        parsed.items.append(
            InputError(
                name, 1, 'reading .xlsx needs the excel extra: pip install "replycoach[excel]"'
            )
        )
        return parsed, cells
    try:
        book = _load(data, read_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        parsed.items.append(InputError(name, 1, f"not a readable .xlsx workbook: {exc}"))
        return parsed, cells
    from openpyxl.utils import get_column_letter

    skipped: list[InputError] = []
    try:
        for sheet in book.worksheets:
            names: list[str] = []
            reply: int | None = None
            position: int | None = None
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
                values = ["" if v is None else str(v) for v in row]
                if reply is None:
                    if not any(v.strip() for v in values):
                        continue
                    reply = _header_index(options, values)
                    if reply is not None:  # a header row
                        names = [v.strip() for v in values]
                        found = [i for i, h in enumerate(names) if options.is_position_key(h)]
                        position = found[0] if found else None
                        continue
                    width = len([v for v in values if v.strip()])
                    reply = _column_option(options, width)
                    if reply is None:
                        skipped.append(
                            InputError(
                                name,
                                number,
                                f"sheet {sheet.title!r}: cannot tell which column holds the "
                                "replies (no header); name it with --column",
                            )
                        )
                        break
                if reply >= len(row) or not isinstance(row[reply], str) or not row[reply].strip():
                    continue
                scene = (
                    values[position] if position is not None and position < len(values) else None
                )
                address = f"{sheet.title}!{get_column_letter(reply + 1)}{number}"
                context = tuple(
                    (names[i] if i < len(names) else get_column_letter(i + 1), v)
                    for i, v in enumerate(values)
                    if i != reply and v
                )
                parsed.items.append(
                    Entry(
                        name,
                        number,
                        row[reply],
                        1,
                        options.position_of(scene),
                        where=address,
                        cell=address,
                        context=context,
                    )
                )
                cells.append((sheet.title, number, reply + 1))
    finally:
        book.close()
    if skipped and len(skipped) == len(book.worksheets):
        parsed.items.append(skipped[0])  # no sheet has replies: say why for the first
    return parsed, cells


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """Entries of every sheet of a .xlsx workbook."""
    return _walk(name, data, options)[0]


def rewrite(name: str, data: bytes, fix: Callable[[Entry], str], options: SourceOptions) -> bytes:
    """The workbook with the reply cells fixed (see the module's notes on what is kept)."""
    parsed, cells = _walk(name, data, options)
    errors = [item for item in parsed.items if isinstance(item, InputError)]
    if errors:
        raise FixError(f"{errors[0].message}")
    entries = [item for item in parsed.items if isinstance(item, Entry)]
    changes = []
    for cell, entry in zip(cells, entries, strict=True):
        new = fix(entry)
        if new != entry.text:
            changes.append((cell, new))
    if not changes:
        return data
    book = _load(data, read_only=False)
    for sheet in book.worksheets:
        if (
            getattr(sheet, "_charts", None)
            or getattr(sheet, "_images", None)
            or getattr(sheet, "_pivots", None)
        ):
            raise FixError(
                f"sheet {sheet.title!r} has charts, images or pivot tables, "
                "which openpyxl would not keep"
            )
    for (title, row, column), new in changes:
        book[title].cell(row=row, column=column).value = new
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
