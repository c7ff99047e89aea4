"""The compiled-rule cache: an :class:`~replycoach.engine.Engine` pickled once, loaded at
every later start without YAML parsing, pydantic validation or rule compilation.

An entry is keyed by everything the compiled engine depends on: the contents of every rule
file (the default pack with its cue sets and slots, and the user's; the default pack's cue
files even when its rules are not loaded, as every pack may use their cue sets and slots),
the engine's options, the replycoach version, the source of replycoach's own modules, the
Python version and the normalisation table. Any change gives a new key, so an old entry is
never used. Entries live in the private on-disk cache (:mod:`replycoach.cache`,
checksummed); one that fails to load, or holds anything but an engine stored under the same
key, is rebuilt. The cache can make a start faster, never change a finding.

What is pickled does not know the rule language's fields: each validated rule (a pydantic
model) is stored as :class:`RuleFields`, a plain object with the same field values, which
is all a compiled checker reads. So a new rule kind or field needs no change here.
"""

from __future__ import annotations

import io
import pickle
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cache as disk_cache

if TYPE_CHECKING:
    from .engine import Engine

_NAME = "engine"
_FORMAT = "2"


class RuleFields:
    """A validated rule's field values as plain attributes (what compiled checkers read),
    without the pydantic class, so loading a cached engine never imports pydantic."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"RuleFields(id={self.__dict__.get('id')!r}, kind={self.__dict__.get('kind')!r})"


class LazyPattern:
    """A regular expression compiled on first use. A cached engine holds its patterns as
    these: compiling them all (hundreds of words in alternations) would cost more than the
    rest of a start, and a reply usually reaches only the trigger screen's. After the first
    use the compiled pattern's methods sit in the instance, so calls cost what they cost on
    a compiled pattern.

    An engine pickled by this module also carries each pattern's compiled program (what
    ``re.compile`` hands to CPython's ``_sre.compile``), so that first use skips parsing
    and compiling (~60x faster); the cache key holds the Python version that made it, and
    any problem with it falls back to ``re.compile``."""

    _METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")

    def __init__(self, pattern: str, flags: int, program: Program | None = None) -> None:
        self.pattern = pattern
        self.flags = flags
        self.program = program

    def __getattr__(self, name: str) -> Any:
        if name in ("pattern", "flags", "program") or name.startswith("__"):
            raise AttributeError(name)
        compiled = _compile(self.pattern, self.flags, self.program)
        for method in self._METHODS:
            setattr(self, method, getattr(compiled, method))
        self.groupindex = compiled.groupindex
        self.groups = compiled.groups
        return getattr(compiled, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return LazyPattern, (self.pattern, self.flags, self.program)


Program = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
"""A compiled regular expression's program: flags, code (native unsigned ints, zlib'd: a
tenth of the size, decompressed only for the patterns used), groups, group index and index
group, the arguments of ``_sre.compile`` after the pattern."""

_PROGRAMS: dict[tuple[str, int], Program] = {}
"""Programs of the module-level :func:`lazy_compile` patterns, from the last cached engine
loaded (they were compiled by the process that stored it)."""

_MODULE_PATTERNS: list[LazyPattern] = []


_CAPTURED: dict[
    tuple[str, int], tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
] = {}
"""Programs the regular expression compiler made while an engine was being built (see
:func:`_capturing`), by pattern and final flags."""


class _CapturingSre:
    """Stands in for ``_sre`` inside ``re._compiler`` while an engine is built: each program
    the compiler hands to ``_sre.compile`` is kept, so that storing the engine need not
    compile every pattern a second time (~0.3 s of a first start)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def compile(self, pattern: Any, flags: int, code: list[int], *rest: Any) -> Any:
        if isinstance(pattern, str) and len(rest) == 3:
            groups, groupindex, indexgroup = rest
            _CAPTURED[pattern, flags] = (flags, code, groups, dict(groupindex), tuple(indexgroup))
        return self._real.compile(pattern, flags, code, *rest)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _capturing(build: Callable[[], Engine]) -> Engine:
    """``build()``, keeping the programs of the patterns it compiles."""
    try:
        from re import _compiler  # type: ignore[attr-defined]

        real = _compiler._sre
    except (ImportError, AttributeError):  # another Python: programs made when stored
        return build()
    _compiler._sre = _CapturingSre(real)
    try:
        return build()
    finally:
        _compiler._sre = real


def _program(pattern: str, flags: int) -> Program | None:
    """``pattern``'s program as ``re.compile`` makes it, ``None`` where this Python's
    internals differ (then patterns are compiled at first use as usual)."""
    import zlib
    from array import array

    captured = _CAPTURED.get((pattern, flags))
    if captured is not None:
        final, raw, groups, names, index = captured
        return (final, zlib.compress(array("I", raw).tobytes()), groups, names, index)
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, flags)
        code = _compiler._code(parsed, flags)
        state = parsed.state
        indexgroup: list[str | None] = [None] * state.groups
        for group, index in state.groupdict.items():
            indexgroup[index] = group
        program: Program = (
            flags | state.flags,
            zlib.compress(array("I", code).tobytes()),
            state.groups - 1,
            dict(state.groupdict),
            tuple(indexgroup),
        )
        compiled = _from_program(pattern, program)
        expected = re.compile(pattern, flags)
        if (compiled.flags, compiled.groups, compiled.groupindex) != (
            expected.flags,
            expected.groups,
            expected.groupindex,
        ):
            return None
        return program
    except Exception:  # another Python: no programs, patterns compile as usual
        return None


def _from_program(pattern: str, program: Program) -> re.Pattern[str]:
    import _sre  # type: ignore[import-not-found]
    import zlib

    flags, packed, groups, groupindex, indexgroup = program
    code = memoryview(zlib.decompress(packed)).cast("I").tolist()
    compiled: re.Pattern[str] = _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)
    return compiled


def _compile(pattern: str, flags: int, program: Program | None) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from its stored program when there is one."""
    program = program or _PROGRAMS.get((pattern, flags))
    if program is not None:
        try:
            return _from_program(pattern, program)
        except Exception:  # a program this Python refuses: compile as usual
            pass
    return re.compile(pattern, flags)


def compile_cached(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, its program kept in the private cache (keyed by the
    pattern, the flags and the Python version): for a big pattern made at run time (a
    character class of thousands of ranges compiles in ~10 ms), a later process loads it."""
    key = f"{sys.version}|{flags}|{pattern}"
    stored = disk_cache.load("re-program", key)
    if isinstance(stored, tuple) and len(stored) == 5:
        try:
            return _from_program(pattern, stored)
        except Exception:  # a program this Python refuses: compile as usual
            pass
    program = _program(pattern, flags)
    if program is not None:
        disk_cache.store("re-program", key, program)
    return re.compile(pattern, flags)


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` deferred to first use, for module-level patterns that a start may
    never need (typed as a pattern: it answers the same methods). Its program is stored
    with every cached engine, so that a start from the cache need not compile it."""
    lazy = LazyPattern(pattern, flags)
    _MODULE_PATTERNS.append(lazy)
    typed: Any = lazy
    return typed  # type: ignore[no-any-return]


def default_rules_dir() -> Path:
    """The directory of the default rule pack (inside the wheel, or the source tree)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    from .errors import RuleFileError

    raise RuleFileError([f"{here / 'rules'}:1: the default rule pack is missing"])


def rule_files(path: str | Path) -> list[Path]:
    """The rule files ``path`` names: itself, or a directory's ``*.yaml``/``*.yml`` sorted."""
    path = Path(path)
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def _key_files(path: str | Path) -> list[Path]:
    """The files a source's compiled rules may depend on: a directory's YAML files at any
    depth (the default pack's cue sets live in ``rules/cues/``), else the file itself."""
    path = Path(path)
    if path.is_dir():
        return sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")])
    return [path]


def _code_digest() -> str:
    """A digest of replycoach's own top-level modules: a changed checker class never meets
    an engine pickled by its older self."""
    parts = [sys.version.encode()]
    try:
        for module in sorted(Path(__file__).resolve().parent.glob("*.py")):
            data = module.read_bytes()
            parts.append(b"%s\0%d\0%s" % (module.name.encode(), len(data), data))
    except OSError:
        return ""
    return disk_cache.digest(b"\0".join(parts)).hex()


_CODE = _code_digest()
"""Taken when the engine's modules are imported (they import this one), not later: a
long-running process whose files are edited under it keeps pickling its own classes, and
must store them under its own code's key."""


def code_digest() -> str:
    """The digest of replycoach's modules as this process imported them ("" if unknown)."""
    return _CODE


def cache_key(sources: Iterable[str | Path], options: Mapping[str, Any]) -> str:
    """The key of the engine compiled from ``sources`` with ``options``; empty (do not cache)
    when a source cannot be read, so that the loader reports the problem."""
    from . import __version__
    from .normalize import table_key

    if not _CODE:
        return ""
    parts = [_CODE.encode()]
    # every pack resolves its cue sets (@name) and slots ({name}) against the default
    # pack's cue files too, even when the default rules are not loaded
    try:
        defaults = [default_rules_dir() / "cues"]
    except Exception:  # no default pack: the loader says so
        defaults = []
    try:
        for source in [*sources, *(d for d in defaults if d.is_dir())]:
            for file in _key_files(source):
                data = file.read_bytes()
                name = str(file).encode("utf-8", "surrogatepass")
                parts.append(b"%s\0%d\0%s" % (name, len(data), data))
    except OSError:
        return ""
    settings = _canonical(options)
    parts.append(f"{__version__}|{table_key()}|{settings}".encode("utf-8", "surrogatepass"))
    return disk_cache.digest(b"\0".join(parts)).hex()


def _canonical(value: Any) -> str:
    """A text that is the same for equal option values (mappings in key order)."""
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        return "{" + ",".join(f"{_canonical(k)}:{_canonical(v)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


class _Pickler(pickle.Pickler):
    """Pickles pydantic models (the validated rules) as :class:`RuleFields`, regular
    expressions as :class:`LazyPattern` with their programs."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        from pydantic import BaseModel

        self._model = BaseModel

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._model):
            return RuleFields, (dict(obj.__dict__),)
        if isinstance(obj, (re.Pattern, LazyPattern)):
            program = getattr(obj, "program", None) or _program(obj.pattern, obj.flags)
            return LazyPattern, (obj.pattern, obj.flags, program)
        return NotImplemented


def dumps(engine: Engine) -> bytes:
    """``engine`` as bytes (its rules as :class:`RuleFields`), with the programs of the
    module-level patterns."""
    programs = {}
    for lazy in _MODULE_PATTERNS:
        program = lazy.program or _program(lazy.pattern, lazy.flags)
        if program is not None:
            programs[lazy.pattern, lazy.flags] = program
    buffer = io.BytesIO()
    _Pickler(buffer).dump((engine, programs))
    return buffer.getvalue()


def _loads(data: bytes) -> Engine | None:
    """The engine of :func:`dumps`' bytes (its module-level programs taken in), or ``None``."""
    from .engine import Engine

    try:
        engine, programs = pickle.loads(data)
    except Exception:  # a damaged or outdated entry: rebuild, never trust it
        return None
    if not isinstance(engine, Engine) or not isinstance(programs, dict):
        return None
    _PROGRAMS.update(programs)
    return engine


def cached_engine(key: str, build: Callable[[], Engine]) -> Engine:
    """The engine stored under ``key``, or ``build()`` (then stored). Anything wrong with the
    stored entry (damaged, from another key, not an engine) means rebuilding it."""
    if not key:
        return build()
    data = disk_cache.load(_NAME, _FORMAT + key)
    if isinstance(data, bytes):
        engine = _loads(data)
        if engine is not None and engine.cache_key == key:
            return engine
    engine = _capturing(build)
    engine.cache_key = key
    try:
        payload = dumps(engine)
    except Exception:  # something in the engine cannot be pickled: run uncached
        return engine
    finally:
        _CAPTURED.clear()
    disk_cache.store(_NAME, _FORMAT + key, payload)
    return engine
