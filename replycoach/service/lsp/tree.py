"""JSON and YAML edits that need no whole read of the file, for :class:`~.document.
PhraseDocument` (a mixin: the document's lines, slots and reading live there).

- an edit inside one reply's single-line string token that leaves it one string token
  (checked by parsing the new token alone) updates that entry (``token``);
- line ends and blank lines added or removed after a line's last token only move entries
  (``blank``);
- whole list items added or removed (a line that is one string item beside an item of the
  same list; JSON checked valid by ``json.loads``, YAML items at their sibling's indentation
  in a block list) join that list, also after a few keystrokes of invalid JSON (``splice``).
  JSON pointers of the entries after such an item are not renumbered (the server does not
  show them).

YAML's ``# replycoach: disable=`` comments, after a value or alone on the line above, are
re-derived for every line such an edit touches, as the YAML reader derives them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import yaml

from ...model import Finding
from ...sources import Entry, InputError, disabled_rules

if TYPE_CHECKING:
    from .document import Stats, Unit


class TreeEdits:
    """The JSON/YAML edits of :class:`~.document.PhraseDocument`."""

    suffix: str
    lines: list[str]
    slots: list[tuple[Unit, ...]]
    stats: Stats
    _flow: bool
    _damaged: bool
    _multiline: bool
    _good: tuple[list[tuple[Unit, ...]], bool, tuple[int, int], frozenset[int]] | None

    def _findings(self, item: Entry | InputError) -> tuple[Finding, ...]:
        raise NotImplementedError

    def _full(self) -> None:
        raise NotImplementedError

    def _tree_edit(
        self,
        sl: int,
        el: int,
        sc: int,
        ec: int,
        new: str,
        old_lines: Sequence[str],
        pieces: Sequence[str],
    ) -> None:
        count = len(pieces)
        if not self._damaged:
            joined = "".join(old_lines)
            removed = joined[sc : len(joined) - len(old_lines[-1]) + ec]
            if self._blank_edit(sl, el, sc, ec, new, removed, old_lines, count):
                return
            if self._token_edit(sl, el, sc, ec, new, pieces):
                return
            base = list(self.slots)
            blocked = self._multiline or not all(
                self._is_item(sl + k, line, base) for k, line in enumerate(old_lines)
            )
            indents = self._indents(old_lines)
            window = (sl, sl + count - 1)
        elif self._good is not None:
            base, blocked, (d0, d1), indents = self._good
            # lines of the last good text replaced now for the first time must be list items
            first_time = [line for k, line in enumerate(old_lines) if not d0 <= sl + k <= d1]
            blocked = blocked or not all(
                d0 <= sl + k <= d1 or self._is_item(sl + k, line, base)
                for k, line in enumerate(old_lines)
            )
            indents = indents | self._indents(first_time)
            delta = count - (el - sl + 1)
            d0 = d0 if d0 < sl else d0 + delta if d0 > el else sl
            d1 = d1 if d1 < sl else d1 + delta if d1 > el else sl + count - 1
            window = (min(d0, sl), min(max(d1, sl + count - 1), len(self.lines) - 1))
        else:
            self._full()
            return
        base[sl : el + 1] = [()] * count
        if not blocked and self._splice(base, *window, indents):
            self.slots, self._damaged, self._good = base, False, None
            self.stats.mode, self.stats.lines = "splice", window[1] - window[0] + 1
            return
        self._full()
        self._good = (base, blocked, window, indents) if self._damaged else None

    def _indents(self, lines: Sequence[str]) -> frozenset[int]:
        """The indentation of the list items among ``lines``."""
        items = (self._item(line) for line in lines if not self._blank(line))
        return frozenset(item[0] for item in items if item is not None)

    def _blank(self, line: str) -> bool:
        """An empty line (in YAML: spaces only; a tab there is an error)."""
        if self.suffix == ".json":
            return not line.strip()
        body = line[:-1] if line.endswith("\n") else line
        body = body[:-1] if body.endswith("\r") else body
        return not body.strip(" ")

    def _is_item(self, number: int, line: str, slots: list[tuple[Unit, ...]]) -> bool:
        """Whether line ``number`` is blank or a list item whose entry ``slots`` hold."""
        if self._blank(line):
            return True
        item = self._item(line)
        if item is None:
            return False
        slot = slots[number]
        if not item[3] or not item[3].strip():
            return not slot
        return len(slot) == 1 and slot[0].span == item[1]

    def _item(self, line: str) -> tuple[int, tuple[int, int], str | None, str | None] | None:
        """A line that is one list item holding one string, or nothing (a bare ``-`` in
        YAML): (indent, token span, style, value); None for any other line."""
        text = line.rstrip("\r\n")
        body = text.lstrip(" ")
        indent = len(text) - len(body)
        if self.suffix == ".json":
            m = _JSON_ITEM.match(body)
            if m is None:
                return None
            span = (indent, indent + m.end(1))
            return indent, span, '"', _token_value(m.group(1), '"', ".json")
        if not body.startswith("-") or "\t" in text or "\r" in text:
            return None  # (a tab in YAML's layout is an error; keep to plain cases)
        rest = body[1:]
        if not rest.strip():
            return indent, (len(text), len(text)), None, None
        if not rest.startswith(" "):
            return None
        start = indent + 1 + len(rest) - len(rest.lstrip(" "))
        token = text[start:]
        style = token[0] if token[0] in "'\"" else None
        if style is None:
            comment = token.find(" #")
            token = (token if comment < 0 else token[:comment]).rstrip(" ")
        else:
            end = _quoted_end(token, style)
            tail = token[end:]
            if not end or (tail.strip() and not tail.lstrip(" ").startswith("#")):
                return None
            if tail.strip() and not tail.startswith(" "):
                return None
            token = token[:end]
        value = _token_value(token, style, ".yaml", flow=False)
        return None if value is None else (indent, (start, start + len(token)), style, value)

    def _splice(
        self, base: list[tuple[Unit, ...]], first: int, last: int, replaced: frozenset[int]
    ) -> bool:
        """Lines ``first``..``last`` of a JSON/YAML file, now list items of one string each (or
        blank), beside an item of the same list: their entries join that list, taking its
        group's position. The file is checked to be valid JSON; for YAML, every item must have
        the sibling's indentation (block lists only). JSON pointers are not renumbered."""
        if self.suffix != ".json" and self._flow:
            return False
        items: list[tuple[int, int, int, int, str | None, str | None]] = []
        for number in range(first, last + 1):
            if self._blank(self.lines[number]):
                continue
            item = self._item(self.lines[number])
            if item is None:
                return False
            indent, (a, b), style, value = item
            items.append((number, indent, a, b, style, value))
        anchor = None
        for step, start in ((-1, first - 1), (1, last + 1)):
            number = start
            while 0 <= number < len(self.lines) and self._blank(self.lines[number]):
                number += step
            if 0 <= number < len(self.lines) and len(base[number]) == 1:
                unit = base[number][0]
                item = self._item(self.lines[number])
                if item is not None and isinstance(unit.item, Entry) and unit.span == item[1]:
                    anchor = (item[0], unit.item)
                    break
        if anchor is None:
            return False
        indent, sibling = anchor
        if self.suffix != ".json":
            # YAML nests by indentation: items replaced, added and the line after them all
            # stand where the sibling does (or, after them, further out)
            if any(i[1] != indent for i in items) or any(i != indent for i in replaced):
                return False
            after = last + 1
            while after < len(self.lines) and self._blank(self.lines[after]):
                after += 1
            if after < len(self.lines):
                text = self.lines[after]
                if len(text) - len(text.lstrip(" ")) > indent:
                    return False
        if self.suffix == ".json":
            try:
                json.loads("".join(self.lines))
            except ValueError:
                return False
        for number, _, a, b, style, value in items:
            if not value or not value.strip():
                base[number] = ()
                continue
            column = a + 1 + (style is not None)
            entry = dataclasses.replace(sibling, line=number + 1, text=value, column=column)
            base[number] = (_unit(entry, (), (a, b), style),)
        self.slots = base
        for number, *_ in items:
            self._directives(number, force=True)
        self._directives(last + 1)
        return True

    def _blank_edit(
        self,
        sl: int,
        el: int,
        sc: int,
        ec: int,
        new: str,
        removed: str,
        old_lines: Sequence[str],
        count: int,
    ) -> bool:
        """Line ends and blanks added or removed after the last token of a JSON/YAML line
        (pressing Enter, deleting a blank line): entries only move down or up."""
        if new.strip() or removed.strip() or "\n" not in new + removed:
            return False
        if self._damaged or self._multiline or old_lines[-1][ec:].strip():
            return False
        if self.suffix != ".json" and "\t" in new + removed:
            return False
        kept = self.slots[sl]
        if any(u.span is None or u.span[1] > sc for u in kept):
            return False
        if any(self.slots[k] for k in range(sl + 1, el + 1)):
            return False
        self.slots[sl : el + 1] = [kept] + [()] * (count - 1)
        self._directives(sl + count)  # the line above those entries is another one now
        self.stats.mode, self.stats.lines = "blank", count
        return True

    def _directives(self, number: int, force: bool = False) -> None:
        """Re-derive the rules silenced on line ``number`` as the YAML reader does: by a
        ``# replycoach: disable=`` comment after the value, or alone on the line above."""
        if (self.suffix == ".json" and not force) or number >= len(self.slots):
            return
        line = self.lines[number]
        above = self.lines[number - 1] if number else ""
        above = above if above.lstrip().startswith("#") else ""
        units = list(self.slots[number])
        for index, unit in enumerate(units):
            if unit.span is None or not isinstance(unit.item, Entry):
                continue
            disabled = (
                disabled_rules(above, line[unit.span[1] :].rstrip("\r\n"))
                if self.suffix != ".json"
                else frozenset()
            )
            if force or disabled != unit.item.disabled:
                entry = dataclasses.replace(unit.item, disabled=disabled)
                units[index] = _unit(entry, self._findings(entry), unit.span, unit.style)
        self.slots[number] = tuple(units)

    def _token_edit(
        self,
        sl: int,
        el: int,
        sc: int,
        ec: int,
        new: str,
        pieces: Sequence[str],
    ) -> bool:
        """An edit inside one reply's single-line string token of a JSON or YAML file."""
        if sl != el or len(pieces) != 1 or "\n" in new:
            return False
        slot = self.slots[sl]
        hit = None
        for index, unit in enumerate(slot):
            if unit.span is None or not isinstance(unit.item, Entry):
                continue
            a, b = unit.span
            inner = (a + 1, b - 1) if unit.style in ("'", '"') else (a, b)
            if inner[0] <= sc and ec <= inner[1]:
                hit = index
                break
        if hit is None:
            return False
        unit = slot[hit]
        assert unit.span is not None and isinstance(unit.item, Entry)
        delta = len(new) - (ec - sc)
        a, b = unit.span
        raw = pieces[0][a : b + delta]
        value = _token_value(raw, unit.style, self.suffix, self._flow)
        if value is None or not value.strip():
            return False
        units = list(slot)
        units[hit] = _unit(
            dataclasses.replace(unit.item, text=value), (), (a, b + delta), unit.style
        )
        for index, other in enumerate(units):
            if index != hit and (other.span is None or not isinstance(other.item, Entry)):
                return False  # something on this line we cannot follow
            if index != hit and other.span is not None and other.span[0] >= b:
                span = (other.span[0] + delta, other.span[1] + delta)
                units[index] = _unit(other.item, other.findings, span, other.style)
        line = pieces[0]
        above = self.lines[sl - 1] if sl else ""
        above = above if above.lstrip().startswith("#") else ""
        for index, other in enumerate(units):
            assert other.span is not None and isinstance(other.item, Entry)
            # as the YAML reader does: `# replycoach: disable=` after the value on its line
            disabled = (
                disabled_rules(above, line[other.span[1] :].rstrip("\r\n"))
                if self.suffix != ".json"
                else other.item.disabled
            )
            column = other.span[0] + 1 + (other.style in ("'", '"'))
            if index == hit or disabled != other.item.disabled or column != other.item.column:
                entry = dataclasses.replace(other.item, disabled=disabled, column=column)
                units[index] = _unit(entry, self._findings(entry), other.span, other.style)
        self.slots[sl] = tuple(units)
        self.stats.mode, self.stats.lines = "token", 1
        return True


_JSON_ITEM = re.compile(r'("(?:[^"\\\r\n]|\\.)*")[ \t]*,?[ \t]*$')


def _quoted_end(token: str, quote: str) -> int:
    """Where a YAML quoted scalar at the start of ``token`` ends (0: it does not)."""
    index = 1
    while index < len(token):
        ch = token[index]
        if quote == '"' and ch == "\\":
            index += 2
            continue
        if ch == quote:
            if quote == "'" and token[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index + 1
        index += 1
    return 0


_PLAIN_FIRST = set(",[]{}#:&*!|>'\"%@`?-")
FLOW_START = re.compile(
    r"""(?m)^[ \t]*(?:-[ \t]+)*(?:\?[ \t]+)?"""
    r"""(?:(?:"[^"\n]*"|'[^'\n]*'|[^\s'"#:\[{-][^:#\n]*?)[ \t]*:[ \t]+)?"""
    r"""(?:[&!]\S*[ \t]+)*[\[{]"""
)
"""Where a YAML flow collection can begin: as a line's value, after ``- `` or ``key: `` (a
``[`` inside a reply, like ``订单[数字x]`` or ``'关于: [订单x]'``, is text)."""
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _token_value(raw: str, style: str | None, suffix: str, flow: bool = True) -> str | None:
    """The string a JSON/YAML token stands for, if ``raw`` is exactly one string token
    (``flow``: the file may have flow collections, where ``,[]{}`` end a plain scalar)."""
    if suffix == ".json":
        if len(raw) < 2 or raw[0] != '"':
            return None
        try:
            value, end = json.decoder.scanstring(raw, 1)  # type: ignore[attr-defined]
        except ValueError:
            return None
        return value if end == len(raw) and isinstance(value, str) else None
    if style is None and (
        not raw
        or raw != raw.strip()
        or raw[0] in _PLAIN_FIRST
        or ": " in raw
        or raw.endswith(":")
        or " #" in raw
        or "\t" in raw
        or (flow and any(c in raw for c in ",[]{}"))
    ):
        return None
    try:
        tokens = list(yaml.scan(raw, Loader=_YAML_LOADER))
        value = yaml.load(raw, Loader=_YAML_LOADER)
    except yaml.YAMLError:
        return None
    scalars = [t for t in tokens if isinstance(t, yaml.ScalarToken)]
    if len(tokens) != 3 or len(scalars) != 1 or not isinstance(value, str):
        return None
    if scalars[0].end_mark.index != len(raw) or (scalars[0].style or None) != style:
        return None
    return value


def _unit(
    item: Entry | InputError,
    findings: tuple[Finding, ...],
    span: tuple[int, int] | None,
    style: str | None,
) -> Unit:
    from .document import Unit  # (document imports this module)

    return Unit(item, findings, span, style)
