"""Normalisation, in two layers.

1. :func:`normalize`, for every rule: length-preserving, so every offset still points into
   the original. Each character maps to exactly one character: traditional → simplified
   (OpenCC's character table, taken one character at a time), full-width ASCII letters and
   digits → ASCII. Building the table takes OpenCC ~20 ms, so it is kept in the private
   on-disk cache, keyed by the installed OpenCC's files and replycoach's code: a start that
   finds it there never imports OpenCC.
2. The *evasion view*, for rules that switch it on (``evasion:`` in a rule): the way
   sensitive-word filters see through spellings written to get past them (the ideas of
   houbb/sensitive-word's ``ignoreCase``/``ignoreWidth``/``charIgnore`` and ToolGood.Words'
   skipped characters and sound-alike groups):

   - case and style folding: ``ＶＸ``, ``Vx``, ``ⓥⓧ``, ``𝐯𝐱`` → ``vx``; ``①`` → ``1``;
   - filler characters dropped: spaces, symbols, emoji, zero-width and other format
     characters, dashes, dots, brackets, quotes (``加 微 信``, ``微❤信``, ``1-3-8``); clause
     punctuation (``，。！？；：、``, newlines, ``~``) is never dropped, so a match cannot
     run from one clause into the next;
   - variant tables (``rules/variants/*.yaml``, data with their sources): sound-alike and
     look-alike spellings → one canonical spelling (``威信``/``V信``/``vx`` → ``微信``,
     ``扣扣``/``企鹅`` → ``qq``, ``傻b``/``sb`` → ``傻逼``, ``幺三八`` → ``138``).

   The view is shorter or longer than the text, so it carries an offset map: a match in the
   view maps back to the exact stretch of the original it came from (``加 微 信`` reports
   ``加 微 信``), and a match that skips more than ``gap`` filler characters in a row is
   dropped. Building the view costs one ``str.translate`` per reply; the offset map is built
   only when something matches.
"""

from __future__ import annotations

import bisect
import importlib.util
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

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
    from .rulecache import code_digest  # the table's own code (extra characters) counts too

    code = code_digest()
    return f"3|{code}|" + "|".join(sorted(parts)) if code else ""


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
    table[ord("×")] = "x"  # 傻×, V×: a multiplication sign written as a letter
    table[ord("İ")] = "I"  # the one letter whose lower case is two characters
    for code in range(0xFF10, 0xFF1A):  # ０-９
        table[code] = chr(code - 0xFEE0)
    for code in [*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]:  # Ａ-Ｚ ａ-ｚ
        table[code] = chr(code - 0xFEE0)
    # Letters and digits in another style (①, ⑧, Ⓢ, 𝐒, ², 𝟙): the ASCII letter or digit
    # they are a style of (NFKC, one character for one).
    for low, high in _STYLE_RANGES:
        for code in range(low, high):
            styled = unicodedata.normalize("NFKC", chr(code))
            if len(styled) == 1 and styled.isascii() and styled.isalnum():
                table[code] = styled
            elif unicodedata.digit(chr(code), 10) < 10:  # ❶ ➀ ➊: digits without NFKC form
                table[code] = str(unicodedata.digit(chr(code)))
    return table


_STYLE_RANGES = (
    (0x00A0, 0x0100),  # superscripts ¹²³, ª º
    (0x2070, 0x2200),  # super- and subscripts, letterlike symbols
    (0x2460, 0x2500),  # enclosed alphanumerics ① ⑴ ⒜ Ⓢ
    (0x2776, 0x2794),  # dingbat circled digits ❶ ➀
    (0x1D400, 0x1D800),  # mathematical alphanumerics 𝐒𝐁 𝟏
    (0x1F100, 0x1F200),  # enclosed alphanumeric supplement 🄰
)


@cache
def _convertible() -> frozenset[str]:
    return frozenset(map(chr, _table()))


def normalize(text: str) -> str:
    """Return ``text`` in simplified script with ASCII letters and digits, same length.

    >>> normalize("我保證明天發貨，電話１３８，②號")
    '我保证明天发货，电话138，2号'
    """
    if text.isascii() or _convertible().isdisjoint(text):
        return text
    return text.translate(_table())


# ------------------------------------------------------------------ the evasion view

CLAUSE_BREAKS = "，。！？；：、,!?;:~～…\n\r\u2028\u2029"
"""Punctuation that ends a clause: never skipped, so no match spans two clauses."""

_FILLER_CATEGORIES = frozenset(
    # separators, controls, format (zero-width), private use, symbols (emoji, ❤, +, ¥),
    # punctuation, combining marks (strike-through, variation selectors)
    "Zs Zl Zp Cc Cf Co So Sk Sm Sc Pd Pc Ps Pe Pi Pf Po Mn Me".split()
)
_FILLER_RANGES = (
    (0x0000, 0x0370),  # ASCII and Latin punctuation, symbols, combining diacritics
    (0x2000, 0x2E80),  # general punctuation, symbols, arrows, shapes, dingbats (❤ ★ ➕)
    (0x3000, 0x3040),  # CJK punctuation and brackets (「」【】〔〕)
    (0xE000, 0xF900),  # private use (app-specific emoji)
    (0xFE00, 0xFE70),  # variation selectors, vertical and small forms
    (0xFF00, 0x10000),  # full-width punctuation, specials
    (0x1F000, 0x1FB00),  # emoji
    (0xE0000, 0xE0080),  # tag characters
)


def _unicode_key() -> str:
    """The key of what is computed from Unicode's tables (and the OpenCC table and code)."""
    key = table_key()
    return key and f"{key}|{unicodedata.unidata_version}"


@cache
def fillers() -> frozenset[str]:
    """The filler characters the evasion view skips: separators, zero-width and other
    format characters, symbols and emoji, punctuation that does not end a clause (~10 ms to
    find in Unicode's tables, so kept in the private cache)."""

    def compute() -> str:
        table = _table()
        return "".join(
            chr(code)
            for low, high in _FILLER_RANGES
            for code in range(low, high)
            if chr(code) not in CLAUSE_BREAKS
            and code not in table  # ×, ①: letters and digits in another style
            and unicodedata.category(chr(code)) in _FILLER_CATEGORIES
        )

    return frozenset(disk_cache.cached("fillers", _unicode_key(), compute))


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _char_class(codes: Iterable[int]) -> str:
    """A regex character class of ``codes``, written as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    body = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return f"[{body}]"


@cache
def _filler_regex(astral: bool) -> re.Pattern[str]:
    # A class of BMP characters only compiles to a bitmap: three times as fast as one with
    # the emoji planes, which only texts with such characters need.
    from .rulecache import compile_cached

    def compute() -> str:
        return _char_class(ord(c) for c in fillers() if astral or ord(c) < 0x10000) + "+"

    key = _unicode_key()
    return compile_cached(disk_cache.cached("filler-class", key and f"{key}|{astral}", compute))


@cache
def _foldable() -> frozenset[str]:
    """The BMP characters that folding changes: fillers and letters with a lower case (any
    character outside the BMP may be an emoji: see :func:`fold_text`). Most replies have
    none: they are their own fold. A set, not a regex class: a class of these thousands of
    ranges takes ~5 ms to compile at every start."""

    def compute() -> str:
        cased = (
            code
            for low, high in ((0x0000, 0x3000), (0xA640, 0xAC00), (0xFF00, 0x10000))  # all
            for code in range(low, high)
            if chr(code).lower() != chr(code)
        )
        bmp = {ord(c) for c in fillers() if ord(c) < 0x10000} | set(cased)
        return "".join(map(chr, sorted(bmp)))

    key = _unicode_key()
    return frozenset(disk_cache.cached("foldable", key and key + "|set", compute))


def fold_text(text: str, *, skip: bool = True) -> str:
    """The first step of the evasion view of a normalised text: lower case (styles such
    as ① or Ⓢ and full-width letters are folded by :func:`normalize` already), filler
    characters deleted (unless ``skip`` is false). A regex search and, for the replies
    that need it, one substitution: cheap enough for every reply.

    >>> fold_text(normalize("加 微❤信，ＶＸ"))
    '加微信，vx'
    """
    if not skip:
        return text.lower()
    astral = _ASTRAL.search(text) is not None
    if not astral and _foldable().isdisjoint(text):
        return text
    return _filler_regex(astral).sub("", text).lower()


_until_screens = 256
"""Replies to check before :func:`normalize_and_fold` builds its two screens: a
one-reply start would pay for them and save nothing."""


@cache
def _screens() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two character classes, as regexes (a search scans the text without making a string
    of each character, four times as fast as a set's ``isdisjoint``): a character that
    normalising changes, and one that normalising or folding changes; each also takes any
    character outside the BMP (a styled letter, an emoji). Their programs are kept in the
    private cache (a class of thousands of ranges compiles in ~10 ms)."""
    from .rulecache import compile_cached

    def compute() -> tuple[str, str]:
        astral = "\U00010000-\U0010ffff"
        converting = {ord(c) for c in _convertible() if ord(c) < 0x10000}
        changing = converting | {ord(c) for c in _foldable()}
        return (
            _char_class(converting)[:-1] + astral + "]",
            _char_class(changing)[:-1] + astral + "]",
        )

    key = _unicode_key()
    converting, changing = disk_cache.cached("screens", key and key + "|2", compute)
    return compile_cached(converting), compile_cached(changing)


def normalize_and_fold(text: str, fold: bool) -> tuple[str, str | None]:
    """``(normalize(text), fold_text(normalize(text)) if fold else None)``. In a process
    that checks many replies, one regex search answers both for the replies (most of them:
    Han, ，。 and digits) that neither changes, and another whether normalising does.

    >>> normalize_and_fold("加 微❤信，ＶＸ", True)
    ('加 微❤信，VX', '加微信，vx')
    """
    global _until_screens
    if _until_screens > 0:
        _until_screens -= 1
        norm = normalize(text)
        return norm, fold_text(norm) if fold else None
    converting, changing = _screens()
    if (changing if fold else converting).search(text) is None:
        return text, text if fold else None
    norm = text if converting.search(text) is None else text.translate(_table())
    if not fold:
        return norm, None
    # What fold_text does, its own screen skipped: the filler class of BMP characters
    # only when there is no character outside the BMP.
    astral = _ASTRAL.search(norm) is not None
    return norm, _filler_regex(astral).sub("", norm).lower()


class VariantTableError(ValueError):
    """A variant table that cannot be used (the message names file, line and entry)."""


@cache
def variant_tables(directory: str | None = None) -> dict[str, dict[str, str]]:
    """The variant tables of ``directory`` (default: ``rules/variants`` of the default
    pack), by name (the file name without ``.yaml``): each maps a variant spelling to its
    canonical one, both folded as the view folds text.

    Raises :class:`VariantTableError` naming the file and line of a bad entry.
    """
    if directory is None:
        from .loader import default_rules_dir

        path = default_rules_dir() / "variants"
    else:
        path = Path(directory)
    return {file.stem: load_variant_table(file)[1] for file in sorted(path.glob("*.yaml"))}


def load_variant_table(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Read and validate one variant table file.

    The file is a mapping: ``description`` (what the table covers), ``source`` (where the
    spellings come from) and ``variants`` (canonical spelling → list of variants). Returns
    the raw data and the folded ``{variant: canonical}`` map. A variant must differ from its
    canonical spelling once folded, must not be folded away entirely (a table entry made of
    filler characters could never match) and must not belong to two canonical spellings.
    """
    import yaml

    from .loader import _LineLoader

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VariantTableError(f"{path}:1: cannot read variant table: {exc}") from None
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise VariantTableError(f"{path}:{line}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()

    def line_of(*keys: str) -> int:
        node = root
        for key in keys:
            if not isinstance(node, yaml.MappingNode):
                break
            found = [v for k, v in node.value if getattr(k, "value", None) == key]
            if not found:
                break
            node = found[0]
        return node.start_mark.line + 1 if node is not None else 1

    if not isinstance(data, dict):
        raise VariantTableError(f"{path}:1: a variant table is a mapping")
    unknown = sorted(set(data) - {"description", "source", "variants"})
    if unknown:
        raise VariantTableError(f"{path}:{line_of(unknown[0])}: {unknown[0]}: unknown field")
    for field in ("description", "source"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise VariantTableError(f"{path}:{line_of(field)}: {field}: a non-empty text")
    variants = data.get("variants")
    if not isinstance(variants, dict) or not variants:
        raise VariantTableError(
            f"{path}:{line_of('variants')}: variants: a mapping of canonical spelling → list"
        )
    folded: dict[str, str] = {}
    for canonical, spellings in variants.items():
        where = f"{path}:{line_of('variants', str(canonical))}: variants.{canonical}"
        if not isinstance(canonical, str) or not fold_text(normalize(canonical)):
            raise VariantTableError(f"{where}: the canonical spelling must be text")
        if not isinstance(spellings, list) or not spellings:
            raise VariantTableError(f"{where}: a non-empty list of variant spellings")
        target = fold_text(normalize(canonical))
        for spelling in spellings:
            if not isinstance(spelling, (str, int)):
                raise VariantTableError(f"{where}: {spelling!r} is not text")
            key = fold_text(normalize(str(spelling)))
            if not key:
                raise VariantTableError(f"{where}: {spelling!r} is only filler characters")
            if key == target:
                raise VariantTableError(f"{where}: {spelling!r} is the canonical spelling")
            if folded.get(key, target) != target:
                raise VariantTableError(
                    f"{where}: {spelling!r} is already a variant of {folded[key]!r}"
                )
            folded[key] = target
    return data, folded


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


class View:
    """One text as an evasion-aware rule sees it: ``text`` (folded, fillers skipped,
    variants replaced) and :meth:`span` to map a match in it back to the original."""

    __slots__ = ("_evasion", "_kept", "_norm", "_pieces", "_skipped", "text")

    def __init__(
        self,
        evasion: Evasion,
        norm: str,
        skipped: str,
        text: str,
        pieces: list[tuple[int, int]] | None,
        kept: list[int] | None,
    ) -> None:
        self._evasion = evasion
        self._norm = norm
        self._skipped = skipped
        self.text = text
        self._pieces = pieces  # view index → [a, b) in `skipped`; None: identity
        self._kept = kept  # `skipped` index → `norm` index

    def _kept_indices(self) -> list[int]:
        if self._kept is None:
            self._kept = self._evasion.kept_indices(self._norm)
        return self._kept

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The original span of the view's ``[start, end)``, or ``None`` when it skips
        more than the rule's ``gap`` filler characters in a row."""
        if start >= end:
            return None
        if self._pieces is None:
            a, b = start, end
        else:
            a, b = self._pieces[start][0], self._pieces[end - 1][1]
        kept = self._kept_indices()
        gap = self._evasion.gap
        for i in range(a, b - 1):
            if kept[i + 1] - kept[i] - 1 > gap:
                return None
        return kept[a], kept[b - 1] + 1


class Evasion:
    """A compiled evasion setting: which folding, which variant tables, how long a gap.
    Picklable (compiled rules may be cached)."""

    def __init__(
        self,
        variants: Sequence[str] = (),
        *,
        skip: bool = True,
        gap: int = 3,
        screen: str | None = None,
        tables: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        tables = variant_tables() if tables is None else tables
        self.skip = skip
        self.gap = gap
        self.screen = re.compile(screen) if screen else None
        """A regex the normalised text must match for the view to be worth making."""
        self.names = tuple(variants)
        self.key = (self.names, skip, gap)
        mapping: dict[str, str] = {}
        for name in self.names:
            mapping.update(tables[name])
        single = {k: v for k, v in mapping.items() if len(k) == 1 and len(v) == 1}
        self._single: dict[int, str] | None = {ord(k): v for k, v in single.items()} or None
        self._multi = {k: v for k, v in mapping.items() if k not in single}
        keys = sorted(self._multi, key=lambda k: (-len(k), k))
        self._multi_re = re.compile("|".join(map(re.escape, keys))) if keys else None
        self.keys: tuple[str, ...] = tuple(sorted(mapping))
        """Every variant spelling, folded: a text the view may change contains one."""

    def kept_indices(self, norm: str) -> list[int]:
        """Indices of ``norm`` that survive filler skipping."""
        if not self.skip:
            return list(range(len(norm)))
        skipped = fillers()
        return [i for i, ch in enumerate(norm) if ch not in skipped]

    def fold(self, text: str) -> str:
        """A standalone string (a rule's word) as the view would show it."""
        return self.view(normalize(text)).text

    def view(self, norm: str, skipped: str | None = None) -> View:
        """The view of ``norm`` (a normalised text). ``skipped`` is
        ``fold_text(norm, skip=self.skip)`` when the caller has it already."""
        if skipped is None:
            skipped = fold_text(norm, skip=self.skip)
        text = skipped.translate(self._single) if self._single else skipped
        pieces = kept = None
        if self._multi_re is not None and self._multi_re.search(text):
            kept = self.kept_indices(norm)
            text, pieces = self._replace(text, norm, kept)
        return View(self, norm, skipped, text, pieces, kept)

    def _replace(
        self, text: str, norm: str, kept: list[int]
    ) -> tuple[str, list[tuple[int, int]] | None]:
        out: list[str] = []
        pieces: list[tuple[int, int]] = []
        pos = 0
        for m in self._multi_re.finditer(text) if self._multi_re else ():
            a, b = m.span()
            key = m.group()
            # A variant written in Latin letters counts only as a word of its own in the
            # original: sb in "USB" or vx in "devx" is not a variant.
            if _is_ascii_letter(key[0]) and kept[a] > 0 and _is_ascii_letter(norm[kept[a] - 1]):
                continue
            after = kept[b - 1] + 1
            if _is_ascii_letter(key[-1]) and after < len(norm) and _is_ascii_letter(norm[after]):
                continue
            out.append(text[pos:a])
            pieces.extend((i, i + 1) for i in range(pos, a))
            canonical = self._multi[key]
            out.append(canonical)
            pieces.extend([(a, b)] * len(canonical))
            pos = b
        if not pieces:
            return text, None
        out.append(text[pos:])
        pieces.extend((i, i + 1) for i in range(pos, len(text)))
        return "".join(out), pieces


def merge_spans(
    plain: Sequence[tuple[int, int]], evasive: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``plain`` spans (found on the text as written, not overlapping) with the ``evasive``
    ones (found on the view) added: an evasive span that overlaps plain ones replaces them
    when it covers them all and is longer (滚 蛋 rather than 滚), else it is dropped.
    Sorted by start; O(n log n)."""
    ordered = sorted(plain)
    starts = [a for a, _ in ordered]
    removed: set[int] = set()
    added = []
    for start, end in evasive:
        lo = bisect.bisect_left(starts, start)
        if lo > 0 and ordered[lo - 1][1] > start:
            lo -= 1
        hit = range(lo, bisect.bisect_left(starts, end))
        if all(start <= ordered[i][0] and ordered[i][1] <= end for i in hit) and end - start > max(
            (ordered[i][1] - ordered[i][0] for i in hit), default=0
        ):
            removed.update(hit)
            added.append((start, end))
    return sorted([s for i, s in enumerate(ordered) if i not in removed] + added)
