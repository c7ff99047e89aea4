"""Decoding files as they are found in the wild: UTF-8 (with or without BOM), UTF-16 (with
or without BOM), GBK/GB18030, the default export of common Chinese desktop tools, and Big5,
common in Taiwan and Hong Kong shops.

The encoding is decided once per file (:func:`sniff`), from its BOM, NUL bytes (UTF-16
without BOM), and line by line which encodings the lines are valid in; GB18030 and Big5
overlap, so charset-normalizer tells them apart when both fit. The file is then decoded line
by line: a damaged line is reported on its own (in terms of the encoding assumed) and every
other line is read. A file that is no text at all (NUL bytes that are not UTF-16) is refused.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import BinaryIO, TypeVar

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "gb18030": "GB18030",
    "big5": "Big5",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
}
SNIFF_BYTES = 1 << 20
"""How much of a file :func:`sniff` looks at when a file is read as a stream."""

T = TypeVar("T", str, bytes)


@dataclass(frozen=True)
class Sniffed:
    """The encoding decided for a file: ``encoding`` (a codec name), the ``bom`` it starts
    with, or ``refused``: why the file cannot be read as text."""

    encoding: str
    bom: bytes = b""
    refused: str | None = None

    @property
    def label(self) -> str:
        """The encoding's name for people (UTF-8, GB18030, Big5, UTF-16)."""
        return _NAMES.get(self.encoding, self.encoding.upper())

    @property
    def codec(self) -> str:
        """The codec for the bytes after the BOM."""
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    @property
    def wide(self) -> bool:
        """UTF-16: lines cannot be split on the byte 0x0A."""
        return self.encoding.startswith("utf-16")


@dataclass(frozen=True)
class Decoded:
    """A decoded file: its lines (without line ends), each line's end (``\\n``, ``\\r\\n``
    or ``""`` for a last line without one), and the 1-based numbers of lines that could not
    be decoded (kept as empty strings so numbering stays right), with why."""

    encoding: str
    lines: list[str]
    newlines: list[str]
    bad_lines: list[int]
    bom: bytes = b""
    problems: dict[int, str] = field(default_factory=dict)
    refused: str | None = None
    """Why the whole file cannot be read as text (then it has no lines)."""

    def join(self, lines: Sequence[str] | None = None) -> str:
        """The text again, with ``lines`` in place of the original lines if given."""
        return "".join(
            line + nl for line, nl in zip(lines or self.lines, self.newlines, strict=False)
        )

    def problem(self, number: int) -> str:
        """What is wrong with bad line ``number``."""
        return self.problems.get(number) or f"line is not valid {_NAMES.get(self.encoding, '')}"


def _split(data: T, nl: T, cr: T) -> tuple[list[T], list[str]]:
    """The lines of ``data`` without their ends, and each line's end (``\n``, ``\r\n``, or
    ``""`` for a last line without one; an empty text is one empty line)."""
    lines = data.split(nl)
    last = lines.pop()
    if cr in data:
        ends = []
        for i, line in enumerate(lines):
            if line.endswith(cr):
                lines[i] = line[:-1]
                ends.append("\r\n")
            else:
                ends.append("\n")
    else:  # (most files: no line to look at one by one)
        ends = ["\n"] * len(lines)
    if last or not lines:
        lines.append(last)
        ends.append("")
    return lines, ends


def _valid(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes sit where UTF-16 puts them and it decodes."""
    sample = data[: len(data) & ~1]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    codec = "utf-16-le" if odd > even else "utf-16-be"
    text = sample.decode(codec, errors="replace")
    # Text, not binary: few control characters besides line ends and tabs, and few units
    # that do not decode (a damaged line is reported on its own).
    odd_ones = sum(1 for c in text if (c < " " and c not in "\r\n\t") or c == "\ufffd")
    return codec if odd_ones <= len(text) // 100 else None


_COMMON = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后"
    "作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因"
    "只从想实日者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应向"
    "头文体相见被利什二等产或新己制身果加月话合回特代内信表化老给世位次度门任常先通教儿原东声提立及比"
    "员解水名真论处走义各入几口认条平系气题活更别打女变四总何电数安少报才结反受目太量再感建务做接必场"
    "件计管期市直资命山金指许统区保至队形社便空决治展科司五基眼书非则听白却界达光放强即像难且权思象完"
    "设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步"
    "改收根干造言联持组每济车亲极林服快办议往元证近失转夫令准布始怎呢存未远叫台单影具字爱击流备连调深"
    "商算质团集百需价花城级整离况请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包"
    "片史委乎查轻易早曾除农找装广显吧标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列红响虽推"
    "势参希古众构房半节土投某案黑维划致律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型"
    "料终答紧黄绝奇察母段依批群项故按河米围江织害斗双境客纪采举父密低朝友诉止细愿千值仍男钱破网热助倒"
    "育属坐限船脸职速刻乐否刚毛状率甚独球般普怕弹校苦创假久错承印晚试股拿脑预谁益阳若哪微继送急血惊伤"
    "素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢警获模充负云停木游龙树疑层冷洲冲射略范竟句室异"
    "激村策演简卡罪判担州静退既衣您宗积余稍等询订址货递款换谢尺码颜售后退货运费优惠活动拍链接库存"
)
"""Frequent characters of Chinese customer-service text (simplified; the traditional forms
are added with OpenCC): bytes read in the right encoding give many of them, in the wrong one
rare characters."""


@cache
def _common() -> frozenset[str]:
    import opencc

    return frozenset(_COMMON) | frozenset(opencc.OpenCC("s2t").convert(_COMMON))


def _detect_cjk(lines: Iterable[bytes]) -> str:
    """GB18030 or Big5 for lines valid in both: the reading with more frequent characters,
    and charset-normalizer's judgement where they tie."""
    sample = b"\n".join(lines)[:65536]
    common = _common()
    gb = sum(c in common for c in sample.decode("gb18030", "replace"))
    big5 = sum(c in common for c in sample.decode("big5", "replace"))
    if gb != big5:
        return "big5" if big5 > gb else "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    name = (best.encoding if best else "").lower()
    return "big5" if name in ("big5", "cp950", "big5hkscs") else "gb18030"


def sniff(data: bytes, *, complete: bool = True) -> Sniffed:
    """Decide the encoding of a file from its bytes (``complete=False``: only its start, as
    a stream is read; a character cut at the end is then not held against it)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Sniffed(encoding, bom)
    if b"\0" in data[:SNIFF_BYTES]:
        wide = _utf16(data[:SNIFF_BYTES])
        if wide is not None:
            return Sniffed(wide)
        return Sniffed(
            "utf-8",
            refused="not a text file (it has NUL bytes and is not UTF-16); save it as UTF-8",
        )
    if not complete:
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut != -1 else data
    if _valid(data, "utf-8"):
        return Sniffed("utf-8")
    # Not UTF-8 throughout: count the lines with non-ASCII bytes each encoding can read.
    wide_lines = [raw for raw in data.split(b"\n") if not raw.isascii()]
    utf8 = gb = big5 = 0
    both: list[bytes] = []
    for raw in wide_lines:
        if _valid(raw, "utf-8"):
            utf8 += 1
            continue
        in_gb, in_big5 = _valid(raw, "gb18030"), _valid(raw, "big5")
        gb += in_gb
        big5 += in_big5
        if in_gb and in_big5:
            both.append(raw)
    if utf8 >= max(gb, big5):
        return Sniffed("utf-8")
    if big5 > gb:
        return Sniffed("big5")
    if both and len(both) * 2 >= gb and _detect_cjk(both) == "big5":
        return Sniffed("big5")
    return Sniffed("gb18030")


def _looks_utf8(raw: bytes) -> bool:
    """Valid UTF-8 that reads as Chinese (short GB lines such as 谢谢 can be valid UTF-8 by
    chance, but then they read as Cyrillic or Greek)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if c > "\x7f"]
    return all("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in wide)


def decode_line(raw: bytes, sniffed: Sniffed) -> tuple[str | None, str | None]:
    """One line's text, or None and why it cannot be read."""
    try:
        text = raw.decode(sniffed.codec)
    except UnicodeDecodeError:
        return None, f"line is not valid {sniffed.label}"
    if sniffed.encoding in ("gb18030", "big5") and not raw.isascii() and _looks_utf8(raw):
        return None, f"line is UTF-8 in a {sniffed.label} file; save the file in one encoding"
    return text, None


def decode(data: bytes) -> Decoded:
    """Decode ``data``: the encoding decided for the whole file, then line by line, listing
    the lines that fail (an undecodable line never loses the others)."""
    sniffed = sniff(data)
    if sniffed.refused:
        return Decoded(sniffed.encoding, [], [], [], refused=sniffed.refused)
    body = data[len(sniffed.bom) :]
    if sniffed.wide or sniffed.encoding in ("utf-8", "utf-8-sig"):
        try:
            text = body.decode(sniffed.codec)
        except UnicodeDecodeError:
            if sniffed.wide:
                text = body.decode(sniffed.codec, errors="replace")
                return _from_text(sniffed, text, bad_whole=True)
        else:
            return _from_text(sniffed, text)
    lines: list[str] = []
    bad: list[int] = []
    problems: dict[int, str] = {}
    raws, ends = _split(body, b"\n", b"\r")
    for number, raw in enumerate(raws, 1):
        line, problem = decode_line(raw, sniffed)
        if line is None:
            lines.append("")
            bad.append(number)
            problems[number] = problem or ""
        else:
            lines.append(line)
    return Decoded(sniffed.encoding, lines, ends, bad, sniffed.bom, problems)


def _from_text(sniffed: Sniffed, text: str, bad_whole: bool = False) -> Decoded:
    lines, ends = _split(text, "\n", "\r")
    bad = [n for n, line in enumerate(lines, 1) if "\ufffd" in line] if bad_whole else []
    for n in bad:
        lines[n - 1] = ""
    return Decoded(sniffed.encoding, lines, ends, bad, sniffed.bom)


def encode(decoded: Decoded, text: str) -> bytes:
    """Encode ``text`` in the file's own encoding, BOM included where it had one (a
    character the encoding cannot hold raises ``UnicodeEncodeError``)."""
    codec = "utf-8" if decoded.encoding == "utf-8-sig" else decoded.encoding
    return decoded.bom + text.encode(codec)


def stream_lines(
    handle: BinaryIO, sniffed: Sniffed
) -> Iterator[tuple[int, str | None, str, str | None]]:
    """The lines of a stream (after its BOM), one at a time, so memory is bounded by the
    longest line: ``(number, text or None, line end, why it could not be decoded)``."""
    if sniffed.bom:
        handle.read(len(sniffed.bom))
    number = 0
    if sniffed.wide:
        decoder = codecs.getincrementaldecoder(sniffed.codec)(errors="replace")
        pending = ""
        while True:
            chunk = handle.read(1 << 16)
            pending += decoder.decode(chunk, final=not chunk)
            pieces = pending.split("\n")
            pending = pieces.pop()
            for piece in pieces:
                number += 1
                yield _wide(number, piece, "\n", sniffed)
            if not chunk:
                break
        if pending:
            yield _wide(number + 1, pending, "", sniffed)
        return
    if sniffed.codec == "utf-8":
        yield from _utf8_lines(handle, sniffed)
        return
    for raw in handle:
        number += 1
        if raw.endswith(b"\r\n"):
            raw, end = raw[:-2], "\r\n"
        elif raw.endswith(b"\n"):
            raw, end = raw[:-1], "\n"
        else:
            end = ""
        text, problem = decode_line(raw, sniffed)
        yield number, text, end, problem


_CHUNK = 1 << 15


def _utf8_lines(
    handle: BinaryIO, sniffed: Sniffed
) -> Iterator[tuple[int, str | None, str, str | None]]:
    """:func:`stream_lines` for UTF-8: 32 KiB of whole lines decoded at once (the byte 0x0A
    is never inside a UTF-8 character, so the lines are those of a line-by-line read); a
    piece that does not decode is read line by line, so a bad line is found on its own."""
    number = 0
    pending: list[bytes] = []  # the start of a line longer than a chunk
    while True:
        chunk = handle.read(_CHUNK)
        if chunk:
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                pending.append(chunk)
                continue
            pending.append(chunk[:cut])
            data = b"".join(pending)
            pending = [chunk[cut:]] if cut < len(chunk) else []
        else:
            data = b"".join(pending)
            if not data:
                return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pieces = data.split(b"\n")
            tail = pieces.pop()  # b"" after a final line end, else a last line without one
            for raw in pieces:
                number += 1
                end = "\n"
                if raw.endswith(b"\r"):
                    raw, end = raw[:-1], "\r\n"
                line, problem = decode_line(raw, sniffed)
                yield number, line, end, problem
            if tail:
                number += 1
                line, problem = decode_line(tail, sniffed)
                yield number, line, "", problem
        else:
            lines = text.split("\n")
            del text, data  # only the lines are kept while they are read
            last = lines.pop()  # "" after a final line end, else a last line without one
            for line in lines:
                number += 1
                if line.endswith("\r"):
                    yield number, line[:-1], "\r\n", None
                else:
                    yield number, line, "\n", None
            if last:
                number += 1
                yield number, last, "", None
        if not chunk:
            return


def _wide(
    number: int, piece: str, end: str, sniffed: Sniffed
) -> tuple[int, str | None, str, str | None]:
    if piece.endswith("\r") and end:
        piece, end = piece[:-1], "\r\n"
    if "\ufffd" in piece:
        return number, None, end, f"line is not valid {sniffed.label}"
    return number, piece, end, None
