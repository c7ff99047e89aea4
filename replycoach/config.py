"""Project configuration: ``.replycoach.yaml`` or ``[tool.replycoach]`` in ``pyproject.toml``,
found from the working directory upward. Command-line options override it.

Unknown keys and bad values are errors naming the file, the line and the key.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ReplycoachError
from .model import Position

CONFIG_NAMES = (".replycoach.yaml", ".replycoach.yml", "pyproject.toml")


class ConfigError(ReplycoachError):
    """A configuration file cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class Settings:
    """The keys of a configuration file (hyphenated in the file), with their defaults.

    A plain dataclass, so that a run without a configuration file imports no validation
    library; files are validated by the pydantic schema in :mod:`replycoach.configschema`,
    which has the same fields (a test keeps the two in step).
    """

    fail_on: Literal["error", "warning", "info", "never"] = "warning"
    default_rules: bool = True
    rule_files: list[str] = field(default_factory=list)
    enable: list[str] = field(default_factory=list)
    disable: list[str] = field(default_factory=list)
    select: list[str] | None = None
    severity: dict[str, Literal["error", "warning", "info"]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    column: str | None = None
    position_column: str | None = None
    position_map: dict[str, Position] = field(default_factory=dict)
    position: Position | None = None
    baseline: str | None = None
    packs: list[str] = field(default_factory=list)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    customer_column: str | None = None


@dataclass(frozen=True)
class Config:
    """A loaded configuration and where it came from (``path`` is None for defaults)."""

    settings: Settings = field(default_factory=Settings)
    path: Path | None = None

    @property
    def root(self) -> Path:
        """The directory paths in the configuration are relative to."""
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    def _relative(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def line_of(self, key: str, item: str | None = None) -> int:
        """The line of ``key`` in the configuration file (and of ``item`` in its value: a
        list member or a mapping key), for messages that name it; 1 when unknown."""
        if self.path is None:
            return 1
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return 1
        if self.path.suffix == ".toml":
            line = _toml_key_line(text, key)
            if item is not None:
                lines = text.splitlines()
                for number in range(line, len(lines) + 1):
                    if item in lines[number - 1]:
                        return number
            return line
        import yaml

        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            return 1
        if not isinstance(root, yaml.MappingNode):
            return 1
        for k, value in root.value:
            if k.value != key:
                continue
            if item is not None:
                children = (
                    [n for n, _ in value.value]
                    if isinstance(value, yaml.MappingNode)
                    else value.value
                    if isinstance(value, yaml.SequenceNode)
                    else []
                )
                for child in children:
                    if getattr(child, "value", None) == item:
                        return int(child.start_mark.line) + 1
            return int(k.start_mark.line) + 1
        return 1

    def where(self, key: str, item: str | None = None) -> str:
        """``file:line`` of ``key`` (and ``item``), for messages."""
        return f"{self.path}:{self.line_of(key, item)}"

    def excluded(self, path: str) -> bool:
        """True if ``path`` matches an ``exclude`` pattern."""
        rel = self._relative(path)
        return any(fnmatch.fnmatch(rel, pattern) for pattern in self.settings.exclude)

    def ignored_rules(self, path: str) -> frozenset[str]:
        """Rules silenced for ``path`` by ``per-path-ignores`` (``*`` stands for all)."""
        rel = self._relative(path)
        ids: set[str] = set()
        for pattern, rules in self.settings.per_path_ignores.items():
            if fnmatch.fnmatch(rel, pattern):
                ids.update(rules)
        return frozenset(ids)


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10
        import tomli as tomllib
    data: dict[str, Any] = tomllib.loads(text)
    return data


def _toml_key_line(text: str, key: str) -> int:
    """Line of ``key`` inside the [tool.replycoach] table (TOML parsers give no positions)."""
    lines = text.splitlines()
    in_table = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.startswith("[tool.replycoach")
            if in_table and key in ("", stripped.strip("[]").removeprefix("tool.replycoach.")):
                return number
            continue
        if in_table and re.match(rf'\s*"?{re.escape(key)}"?\s*=', line):
            return number
    return next((n for n, line in enumerate(lines, 1) if "[tool.replycoach" in line), 1)


def _yaml_key_line(text: str, key: str) -> int:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    if isinstance(root, yaml.MappingNode):
        for k, _ in root.value:
            if k.value == key:
                return int(k.start_mark.line) + 1
    return 1


def _validate(data: Any, path: Path, text: str, toml: bool) -> Settings:
    from pydantic import ValidationError

    from .configschema import ConfigModel

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the configuration must be a mapping of keys")
    try:
        return Settings(**ConfigModel.model_validate(data).model_dump())
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            line = _toml_key_line(text, key) if toml else _yaml_key_line(text, key)
            where = ".".join(str(p) for p in error["loc"])
            if error["type"] == "extra_forbidden":
                msg = "unknown key"
            elif error["type"] == "literal_error":
                expected = str(error.get("ctx", {}).get("expected", "")).replace("'", "")
                msg = f"{error['input']!r} is not one of {expected.replace(' or ', ', ')}"
            else:
                msg = str(error["msg"])
            problems.append(f"{path}:{line}: key '{where}': {msg}")
        raise ConfigError("\n".join(problems)) from None


def config_key(path: Path, text: str) -> str:
    """The private cache's key for the settings validated from ``text`` (the file's path and
    content, replycoach's version and code)."""
    from . import __version__
    from .cache import digest
    from .rulecache import code_digest

    code = code_digest()
    if not code:
        return ""
    blob = f"{__version__}|{code}|{path.resolve()}|{text}".encode("utf-8", "surrogatepass")
    return digest(blob).hex()


def load_config(path: str | Path) -> Config:
    """Load one configuration file (``.yaml``/``.yml``, or ``pyproject.toml``). Settings
    validated once are kept in the private cache, keyed by the file's content, so later
    starts need neither YAML nor pydantic."""
    from . import cache as disk_cache

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}:1: cannot read configuration: {exc}") from None
    key = config_key(path, text)
    known = disk_cache.load("config", key) if key else None
    if isinstance(known, dict):
        try:
            return Config(Settings(**known), path)
        except TypeError:
            pass  # another shape: validate again
    config = _load_config(path, text)
    if key:
        import dataclasses

        disk_cache.store("config", key, dataclasses.asdict(config.settings))
    return config


def _load_config(path: Path, text: str) -> Config:
    if path.suffix == ".toml":
        try:
            data = _toml_loads(text)
        except ValueError as exc:
            where = re.search(r"line (\d+)", str(exc))
            raise ConfigError(
                f"{path}:{where.group(1) if where else 1}: not valid TOML: {exc}"
            ) from None
        section = data.get("tool", {}).get("replycoach", {})
        return Config(_validate(section, path, text, toml=True), path)
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{path}:{line}: not valid YAML: {exc}") from None
    return Config(_validate(data, path, text, toml=False), path)


def find_config(start: str | Path | None = None) -> Config:
    """The configuration of the nearest directory (from ``start`` upward) that has one, or
    defaults. A ``pyproject.toml`` counts only if it has a ``[tool.replycoach]`` table."""
    here = Path(start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml":
                try:
                    text = candidate.read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    continue
                # (a project's pyproject.toml without the word: no TOML to parse, ~7 ms)
                if "replycoach" not in text or not _has_table(candidate, text):
                    continue
            return load_config(candidate)
    return Config()


def _has_table(path: Path, text: str) -> bool:
    """Whether a ``pyproject.toml`` has a ``[tool.replycoach]`` table (not valid TOML: no).
    The answer is kept in the private cache, keyed by the file's content: a project that
    names replycoach only as a dependency needs no TOML parser at later starts either."""
    from . import cache as disk_cache

    key = config_key(path, text)
    known = disk_cache.load("pyproject-table", key) if key else None
    if isinstance(known, bool):
        return known
    try:
        found = "replycoach" in _toml_loads(text).get("tool", {})
    except ValueError:
        found = False
    if key:
        disk_cache.store("pyproject-table", key, found)
    return found


def merged_position_map(config: Config) -> Mapping[str, str]:
    """The default scene → position map with the configuration's entries on top."""
    from .sources import DEFAULT_POSITION_MAP

    return {**DEFAULT_POSITION_MAP, **config.settings.position_map}


TEMPLATE = """\
# replycoach configuration. Found from the working directory upward; command-line options
# override it. Paths are relative to this file. Every key is optional.

# Lowest severity that makes `replycoach check` exit with 1: error, warning, info or never.
fail-on: warning

# Rules: the default pack, plus your team's own rule files.
default-rules: true
rule-files: []
#  - rules/our-shop.yaml

# Switch rules off, or on (rules that ship disabled), or run only some.
disable: []
#  - pronoun-balance
enable: []
# select: [absolute-promise, honorific-you]

# Severity overrides.
severity: {}
#  absolute-promise: error

# Files not to check, and rules not to check in some files (fnmatch patterns; * = all rules).
exclude: []
#  - archive/*
per-path-ignores: {}
#  "legacy/*.csv": [pronoun-balance]

# Phrase tables: the reply column (default: found by header, 回复/话术/内容/快捷短语/reply/text),
# and the column whose value tells a reply's place in a conversation (default: 场景/分组).
# column: 话术
# position-column: 场景

# Scene values → position (first, middle, last, only), on top of the defaults
# (欢迎语/开场 → first, 结束语/告别 → last, ...).
position-map: {}
#  售前欢迎: first
#  售后结束: last

# Position of every entry without a scene (default: unknown, so greeting/closing rules stay quiet).
# position: middle

# Legacy findings to ignore (written by `replycoach baseline`).
# baseline: .replycoach-baseline.json

# Opt-in rule packs shipped with replycoach: compliance (off-platform contact, advertising
# absolutes, compensation promises, review inducement).
packs: []
#  - compliance

# Fields of a rule to override, e.g. the length at which long-sentence speaks up.
rule-options: {}
#  long-sentence: {max: 60}

# The column (or key) holding the customer's message a reply answers, for the context rules
# (default: found by header, 顾客/客户/买家/问题/customer/question).
# customer-column: 顾客问题
"""
