"""Where replies come from: files of canned replies, read into located :class:`Entry` items.

A reader yields entries and :class:`InputError` items in file order; a bad line never stops
the rest of the file from being checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One reply and where it stands: ``path:line:column`` of its first character."""

    path: str
    line: int
    text: str
    column: int = 1
    position: str | None = None


@dataclass(frozen=True)
class InputError:
    """A part of an input that could not be read; reported, never fatal for the rest."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


SUFFIXES = (".txt",)
"""File endings read when a directory is given."""


def expand_paths(paths: Iterable[str | Path]) -> Iterator[str]:
    """Files as given, and for directories every file with a known ending, sorted.
    A path that does not exist is passed on, so its reader reports it."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(
                str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
            )
        else:
            yield str(path)


def read_entries(path: str | Path, *, position: str | None = None) -> Iterator[Entry | InputError]:
    """Entries of a phrase file (one reply per line)."""
    from .text import read_text_entries

    yield from read_text_entries(path, position=position)
