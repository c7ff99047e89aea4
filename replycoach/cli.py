"""The ``replycoach`` command line: I/O only; the work is done by the engine, sources and
report. Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage or input errors.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import ReplycoachError
from .formats import FORMATS, NEEDS_RULES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import NoReturn, TextIO

    # The rest is imported where it is used, so that --version, --help and a check whose
    # compiled rules are cached start in a few tens of milliseconds.
    from .config import Config
    from .engine import Engine
    from .loader import AnyRule
    from .report import FileResult, Report
    from .sources import Entry, SourceOptions

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
POSITIONS = ("first", "middle", "last", "only")
"""``replycoach.model.POSITIONS``, spelled out so that building the parser (``--help``)
imports no model (a test keeps them equal)."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    usage_stream: TextIO | None = None
    building = False
    """True while the parser is built: ``add_argument`` makes a help formatter only to
    check each metavar, and one sized to the terminal would import shutil (~2.5 ms)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(_Parser.usage_stream or sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")

    def _get_formatter(self) -> argparse.HelpFormatter:
        if _Parser.building and self.formatter_class is argparse.HelpFormatter:
            return argparse.HelpFormatter(self.prog, width=80)
        return super()._get_formatter()


def _report_options(
    parser: argparse.ArgumentParser, formats: Sequence[str], *, output_help: str
) -> None:
    """The options every reporting subcommand shares: --format, -o, --fail-on, --quiet."""
    parser.add_argument("--format", "-f", choices=list(formats), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help=output_help)
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "info", "never"],
        help="lowest severity that makes the exit code 1 (default: the configuration's, "
        "else warning)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")


def _rule_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rules")
    group.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="extra rule file or directory (repeatable)",
    )
    group.add_argument(
        "--no-default-rules", action="store_true", help="do not load the default rule pack"
    )
    group.add_argument(
        "--enable",
        action="append",
        default=[],
        metavar="ID",
        help="switch on a rule that ships disabled",
    )
    group.add_argument(
        "--disable", action="append", default=[], metavar="ID", help="switch a rule off"
    )
    group.add_argument(
        "--select", action="append", default=None, metavar="ID", help="run only these rules"
    )
    group.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="ID=LEVEL",
        help="override a rule's severity (error, warning, info)",
    )
    group.add_argument(
        "--pack",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on an opt-in rule pack (e.g. compliance)",
    )
    group.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: found from the working directory up)",
    )
    group.add_argument("--no-config", action="store_true", help="ignore configuration files")


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="FILE", help="phrase files or directories ('-' for stdin)"
    )
    parser.add_argument(
        "--text", "-t", action="append", default=[], help="a reply to check (repeatable)"
    )
    parser.add_argument(
        "--position", choices=POSITIONS, help="where the replies stand in their conversation"
    )
    parser.add_argument(
        "--column",
        metavar="NAME",
        help="the reply column or key (header name, or number; xlsx: letter)",
    )
    parser.add_argument(
        "--customer", metavar="TEXT", help="the customer's message the --text replies answer"
    )
    parser.add_argument(
        "--customer-column", metavar="NAME", help="the column or key holding the customer's message"
    )
    parser.add_argument(
        "--position-column",
        metavar="NAME",
        help="the column whose value (欢迎语, 结束语...) gives a reply's position",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="name (and so format) of the content read from stdin",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs_value,
        default=None,
        metavar="N",
        help="check files on N processes (0: one per core; default: auto, one per "
        f"{AUTO_BYTES >> 10} KiB of files up to the idle cores)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="say which configuration and encodings were used",
    )
    parser.add_argument(
        "--no-force-exclude",
        dest="force_exclude",
        action="store_false",
        help="check files named on the command line even when the configuration's exclude "
        "matches them (by default they are skipped, as pre-commit names every file)",
    )


def _check_options(check: argparse.ArgumentParser) -> None:
    _input_options(check)
    _report_options(check, sorted(FORMATS), output_help="write the report to FILE")
    check.add_argument("--baseline", metavar="FILE", help="report only findings not in FILE")
    check.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    _rule_options(check)


def _fix_options(fix: argparse.ArgumentParser) -> None:
    _input_options(fix)
    fix.add_argument(
        "--diff",
        action="store_true",
        help="show what would change; write nothing (exit 1 if something would change)",
    )
    fix.add_argument("--stdout", action="store_true", help="print fixed files; write nothing")
    fix.add_argument(
        "--quiet", "-q", action="store_true", help="no 'fixed N replies' lines on stderr"
    )
    _rule_options(fix)


def _baseline_options(base: argparse.ArgumentParser) -> None:
    _input_options(base)
    base.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="baseline file (default: the config's, or .replycoach-baseline.json)",
    )
    base.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    _rule_options(base)


def _init_options(init: argparse.ArgumentParser) -> None:
    init.add_argument("--force", action="store_true", help="overwrite an existing file")


def _audit_options(audit: argparse.ArgumentParser) -> None:
    audit.add_argument(
        "paths",
        nargs="+",
        metavar="FILE",
        help="transcripts: .jsonl, .csv/.tsv, or plain-text chat logs",
    )
    audit.add_argument(
        "--map",
        default="",
        metavar="FIELD=COLUMN,...",
        help="CSV columns, e.g. role=发送方,text=内容,time=时间,agent=客服",
    )
    audit.add_argument(
        "--agents",
        default="",
        metavar="NAME,...",
        help="plain-text logs: the shop's agent names (others are customers)",
    )
    audit.add_argument(
        "--header",
        metavar="REGEX",
        help="plain-text logs: message header pattern with (?P<time>) and (?P<speaker>) groups",
    )
    audit.add_argument(
        "--teams",
        default="",
        metavar="TEAM=AGENT,AGENT;...",
        help="which team each agent is in, e.g. 售前=小美,小丽;售后=阿杰 "
        "(a team field or column in the transcripts wins)",
    )
    audit.add_argument("--timing", metavar="PATH", help="timing rules (default: shipped)")
    audit.add_argument("--html", metavar="FILE", help="write the HTML report")
    audit.add_argument("--json", metavar="FILE", help="write the scorecards as JSON")
    audit.add_argument("--csv", metavar="FILE", help="write the scorecards as CSV")
    audit.add_argument("--findings", metavar="FILE", help="write every finding as JSON Lines")
    audit.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        metavar="N",
        help="audit on N processes (0: one per core)",
    )
    _report_options(
        audit,
        ["text", "json"],
        output_help="write the summary (text) or the scorecards (json) to FILE "
        "instead of standard output",
    )
    _rule_options(audit)


def _serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; others need --token)",
    )
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--token", help="require 'Authorization: Bearer TOKEN' on the API")
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser pages from ORIGIN (repeatable; default: none)",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this Host name (repeatable; default: the bound "
        "address and localhost; '*': any)",
    )
    serve.add_argument(
        "--budget",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="answer 503 to a request that takes longer (default 10)",
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=64 * 1024,
        metavar="BYTES",
        help="largest request body (default 65536)",
    )
    serve.add_argument(
        "--stdio", action="store_true", help="JSON lines on stdin/stdout instead of HTTP"
    )
    _rule_options(serve)


def _test_rules_options(test_rules: argparse.ArgumentParser) -> None:
    test_rules.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    test_rules.add_argument(
        "--no-default-rules",
        action="store_true",
        help="do not check against the default pack (ids, rewrites)",
    )


def _schema_options(schema: argparse.ArgumentParser) -> None:
    schema.add_argument("--output", "-o", metavar="FILE")


def _docs_options(docs: argparse.ArgumentParser) -> None:
    docs.add_argument("--output", "-o", metavar="FILE", help="default: standard output")
    _rule_options(docs)


def _rules_options(rules: argparse.ArgumentParser) -> None:
    rules.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _rule_options(rules)


def _explain_options(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("rule", metavar="RULE")
    explain.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _rule_options(explain)


def _no_options(parser: argparse.ArgumentParser) -> None:
    pass


_SUBCOMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], str, str | None]] = {
    "check": (_check_options, "report findings", None),
    "fix": (_fix_options, "apply safe rewrites (files are rewritten atomically)", None),
    "baseline": (
        _baseline_options,
        "accept the current findings (write a baseline)",
        None,
    ),
    "init": (_init_options, "write a commented .replycoach.yaml", None),
    "audit": (
        _audit_options,
        "audit whole chat transcripts: findings, response times, scorecards, an HTML report",
        None,
    ),
    "serve": (_serve_options, "run the local service (HTTP, or --stdio)", None),
    "lsp": (
        _no_options,
        "run the language server on stdin/stdout (editors; needs replycoach[lsp])",
        "A language server for phrase libraries (.txt, .csv/.tsv, .json/.jsonl, .yaml): "
        "diagnostics as you type, quick fixes, settings from .replycoach.yaml.",
    ),
    "test-rules": (
        _test_rules_options,
        "run a rule pack's examples and hygiene checks",
        None,
    ),
    "schema": (_schema_options, "print the JSON Schema of rule files", None),
    "docs": (_docs_options, "write the rule reference (Markdown) from the rules", None),
    "rules": (_rules_options, "list the rules", None),
    "explain": (_explain_options, "a rule's message, source passage and examples", None),
}


def _build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given the ``command`` about to run (the first argument),
    only that subcommand is built: a start does not pay for the eleven others."""
    _Parser.building = True
    try:
        parser = _Parser(
            prog="replycoach",
            description="Coach Chinese customer-service replies: findings, approved rewrites.",
        )
        parser.add_argument("--version", action="version", version=f"replycoach {__version__}")
        sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
        for name, (options, summary, description) in _SUBCOMMANDS.items():
            if command is None or command == name:
                options(sub.add_parser(name, help=summary, description=description))
        parser.set_defaults(_commands=dict(sub.choices))
    finally:
        _Parser.building = False
    return parser


# ------------------------------------------------------------------------------- set-up


def _config(args: argparse.Namespace) -> Config:
    from .config import Config, find_config, load_config

    if args.no_config:
        return Config()
    if args.config:
        return load_config(args.config)
    return find_config()


def _engine(args: argparse.Namespace, config: Config, *, all_rules: bool = False) -> Engine:
    from .engine import Engine

    settings = config.settings
    severity: dict[str, str] = dict(settings.severity)
    for item in args.severity:
        rule, sep, level = item.partition("=")
        if not sep or level not in ("error", "warning", "info"):
            raise _UsageError(f"--severity expects ID=error|warning|info, got {item!r}")
        severity[rule] = level
    files = [config.resolve(p) for p in settings.rule_files] + list(args.rules)
    defaults = settings.default_rules and not args.no_default_rules
    enable = [*settings.enable, *args.enable]
    if config.path is not None or all_rules:
        base = Engine.from_paths(*files, defaults=defaults)
        _check_config_names_once(base, config)
        if all_rules:
            enable = [r.id for r in base.rules]
    # One call with every option: the compiled engine comes from the cache when the rule
    # files and options are those of an earlier run (no YAML, no validation).
    engine = Engine.from_paths(
        *files,
        defaults=defaults,
        enable=enable,
        disable=[*settings.disable, *args.disable],
        only=args.select if args.select is not None else settings.select,
        severity=severity,
        packs=[*settings.packs, *args.pack],
        options=settings.rule_options,
    )
    _started(batch=args.command in _LOADS_ENGINE_FIRST)
    return engine


def _check_config_names_once(engine: Engine, config: Config) -> None:
    """:func:`_check_config_names`, remembered in the private cache for this configuration
    file's content and these compiled rules (checking needs the rules validated again)."""
    from . import cache as disk_cache

    key = ""
    if config.path is not None and engine.cache_key:
        from .config import config_key

        try:
            text = config.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None
        if text is not None:
            key = (
                config_key(config.path, text)
                and f"{config_key(config.path, text)}|{engine.cache_key}"
            )
    if key and disk_cache.load("config-names", key) is True:
        return
    _check_config_names(engine, config)
    if key:
        disk_cache.store("config-names", key, True)


def _check_config_names(engine: Engine, config: Config) -> None:
    """Rule ids, packs and rule options named in the configuration file exist and fit, else
    a configuration error naming the file and the line."""
    from .config import ConfigError
    from .engine import Engine

    if config.path is None:
        return
    settings = config.settings
    names = {r.id for r in engine.rules} | {a for r in engine.rules for a in r.aliases}
    problems = []
    lists: list[tuple[str, list[str]]] = [
        ("enable", settings.enable),
        ("disable", settings.disable),
        ("select", settings.select or []),
        ("severity", list(settings.severity)),
        ("rule-options", list(settings.rule_options)),
    ]
    for key, ids in lists:
        for rule in ids:
            if rule not in names:
                problems.append(f"{config.where(key, rule)}: key '{key}': unknown rule id {rule!r}")
    packs = {r.pack for r in engine.rules}
    for pack in settings.packs:
        if pack not in packs:
            optional = sorted({r.pack for r in engine.rules if not r.enabled})
            problems.append(
                f"{config.where('packs', pack)}: key 'packs': unknown rule pack {pack!r} "
                f"(opt-in packs: {', '.join(optional) or 'none'})"
            )
    for rule, options in settings.rule_options.items():
        if rule not in names:
            continue
        try:
            Engine(engine.rules, options={rule: options})
        except (ReplycoachError, ValueError, TypeError) as exc:
            detail = str(exc).splitlines()[-1] if str(exc) else type(exc).__name__
            detail = detail.removeprefix(f"rule-options for '{rule}': ")
            problems.append(
                f"{config.where('rule-options', rule)}: key 'rule-options.{rule}': {detail}"
            )
    if problems:
        raise ConfigError("\n".join(problems))


def _source_options(args: argparse.Namespace, config: Config) -> SourceOptions:
    from .config import merged_position_map
    from .sources import SourceOptions

    settings = config.settings
    return SourceOptions(
        column=args.column or settings.column,
        position=args.position or settings.position,
        position_column=args.position_column or settings.position_column,
        customer_column=args.customer_column or settings.customer_column,
        position_map=merged_position_map(config),
    )


def _is_tty(stream: object) -> bool:
    """Whether ``stream`` is an interactive terminal (``False`` for ``None`` and test doubles)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _require_input(args: argparse.Namespace) -> None:
    """Refuse to wait on an interactive terminal when no input was named, and options that
    would check nothing."""
    if not args.paths and not args.text and _is_tty(sys.stdin):
        raise _UsageError(
            f"replycoach {args.command}: 请给出文件或目录、--text 话术，或从标准输入每行一条传入 "
            "(give files or directories, --text REPLY, or pipe replies on stdin); see --help"
        )
    if args.column is not None and args.column.strip() in ("0", ""):
        raise _UsageError(
            f"replycoach {args.command}: --column {args.column!r}: 列号从 1 开始 "
            "(column numbers start at 1; or give the column's header name)"
        )
    if args.customer is not None and not args.text:
        raise _UsageError(
            f"replycoach {args.command}: --customer 只用于 --text 话术；文件请用顾客列 "
            "(--customer applies to --text replies only; files give the customer's message "
            "in a column, see --customer-column)"
        )


AUTO_BYTES = 192 * 1024
"""``--jobs auto`` (the default) starts one process per this many bytes of files to check,
up to the idle cores. Measured (``bench/bench_jobs.py``, 2 idle cores, helpers forked from
the loaded engine): a second process gains nothing below ~256 KiB (its warm-up, ~35 ms),
then saves 15% at 384 KiB, 17% at 512 KiB and 28% at 1 MiB; on a core another program
holds it loses."""


def _jobs_value(text: str) -> int | None:
    """``--jobs``: a number of processes (0: one per core), or ``auto`` (``None``)."""
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value: {text!r} (a number, or auto)") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid value: {text!r} (0 or more, or auto)")
    return value


def _cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return os.cpu_count() or 1


def _busy_cores() -> float:
    """How many cores other work keeps busy: the processes runnable at this moment, this one
    left out (Linux's ``/proc/loadavg``), or the 1-minute load average if that is lower (a
    process runnable for an instant is not steady work; the average alone lags, still
    counting a run that ended seconds ago); the average alone where there is no /proc, 0
    where neither is known."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    try:
        with open("/proc/loadavg", "rb") as handle:
            running = max(0, int(handle.read().split()[3].split(b"/")[0]) - 1)
    except (OSError, IndexError, ValueError):
        return 0.0 if load is None else load
    return running if load is None else min(running, load)


def _idle_cores() -> int:
    """The usable cores less the busy ones (rounded), at least one."""
    cores = _cores()
    return max(1, min(cores, round(cores - _busy_cores())))


def _workers(jobs: int | None, paths: Sequence[str]) -> int:
    """Processes to check ``paths`` on: ``--jobs N``, every core for 0, and for ``auto``
    one per :data:`AUTO_BYTES` of the files' total size, up to the idle cores."""
    if jobs is not None:
        return jobs if jobs > 0 else _cores()
    if not paths or _cores() < 2:
        return 1
    cores = _idle_cores()
    if cores < 2:
        return 1
    from .report import total_size

    return max(1, min(cores, total_size(paths, cores * AUTO_BYTES) // AUTO_BYTES))


def _jobs(
    args: argparse.Namespace, config: Config, options: SourceOptions, err: TextIO | None = None
) -> list[tuple[str, SourceOptions, frozenset[str]]]:
    """The files to read. Files the configuration excludes are skipped, named ones too (as
    pre-commit names every file), unless ``--no-force-exclude``."""
    from .sources import expand_paths

    paths = args.paths or ([] if args.text else ["-"])
    jobs = []
    for arg in paths:
        for path in ["-"] if arg == "-" else expand_paths([arg]):
            if path != "-" and (path != arg or args.force_exclude) and config.excluded(path):
                if err is not None and args.verbose:
                    err.write(f"{path}: skipped (exclude in {config.path})\n")
                continue
            jobs.append((path, options, config.ignored_rules(path)))
    return jobs


class _Progress:
    """A one-line progress bar on a terminal's stderr, shown once a run has taken over half
    a second: over files, or over the replies of the file being checked."""

    def __init__(self, err: TextIO, total: int, enabled: bool) -> None:
        self.err, self.total, self.enabled = err, total, enabled
        self.done = self.entries = 0
        self.started = time.monotonic()
        self.shown = False

    def _draw(self, fraction: float, text: str) -> None:
        if not self.enabled or time.monotonic() - self.started < 0.5:
            return
        width = 30
        filled = int(width * min(max(fraction, 0.0), 1.0))
        self.err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}")
        self.err.flush()
        self.shown = True

    def __call__(self, result: FileResult) -> None:
        self.done += 1
        self.entries += result.entries
        self._draw(
            self.done / max(self.total, 1),
            f"{self.done}/{self.total} files, {self.entries:,} replies",
        )

    def tick(self, done: int, total: int) -> None:
        if self.total == 1:
            self._draw(done / max(total, 1), f"{done:,}/{total:,} replies")
        else:
            self._draw(
                self.done / max(self.total, 1),
                f"{self.done}/{self.total} files, {self.entries + done:,} replies",
            )

    def close(self) -> None:
        if self.shown:
            self.err.write("\r\x1b[2K")
            self.err.flush()


def _read_stdin(args: argparse.Namespace) -> bytes:
    data = sys.stdin.buffer.read()
    if not data and not args.paths:
        raise _UsageError(
            f"replycoach {args.command}: 标准输入为空，没有可检查的话术 (standard input was "
            "empty: nothing to check; give files, --text REPLY, or pipe replies)"
        )
    return data


def _write(path: str, text: str | bytes) -> None:
    """Write a report or other output file (symlinks followed, devices written directly);
    a file-system problem is one clear line and exit 2."""
    from .fixes import write_output

    write_output(path, text.encode("utf-8") if isinstance(text, str) else text)


def _collect(
    args: argparse.Namespace, engine: Engine, config: Config, err: TextIO, *, quiet: bool = False
) -> Report:
    from .formats.text import plural
    from .report import Report
    from .sources import Entry

    options = _source_options(args, config)
    report = Report()
    if args.text:
        report.add(
            engine,
            [
                Entry("<text>", n, t, 1, options.position, customer=args.customer)
                for n, t in enumerate(args.text, 1)
            ],
            "<text>",
        )
    jobs = _jobs(args, config, options, err)
    stdin_jobs = [j for j in jobs if j[0] == "-"]
    file_jobs = [j for j in jobs if j[0] != "-"]
    from .report import check_file

    for _, opts, ignore in stdin_jobs:
        name = args.stdin_filename or "<stdin>"
        ignore = config.ignored_rules(name) if args.stdin_filename else ignore
        report.files.append(
            check_file(engine, name, opts, ignore, data=_read_stdin(args), name=name)
        )
    workers = _workers(args.jobs, [path for path, _, _ in file_jobs])
    interactive = _is_tty(err) and not quiet
    progress = _Progress(err, len(file_jobs), interactive)
    report.check_files(engine, file_jobs, workers=workers, progress=progress, tick=progress.tick)
    progress.close()
    if args.verbose:
        where = config.path or "none (defaults)"
        err.write(f"configuration: {where}\n")
        for result in report.files:
            if result.encoding:
                err.write(f"{result.path}: {result.encoding}, {plural(result.entries, 'reply')}\n")
    if not quiet:
        for warning in report.warnings:
            err.write(f"{warning.path}:{warning.line}: warning {warning.message}\n")
    return report


# ------------------------------------------------------------------------------ commands


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .formats import render
    from .formats.text import render_summary, render_table

    _require_input(args)
    config = _config(args)
    engine = _engine(args, config)
    report = _collect(args, engine, config, err, quiet=args.quiet)
    baseline_path = args.baseline or (
        str(config.resolve(config.settings.baseline)) if config.settings.baseline else None
    )
    if baseline_path:
        from .baseline import Baseline

        new, report.stale = Baseline.load(baseline_path).filter(report.findings)
        keep = {id(loc) for loc in new}
        for result in report.files:
            result.findings = [loc for loc in result.findings if id(loc) in keep]
    stream = out
    if args.color == "always":
        color = True
    elif args.color == "never" or os.environ.get("NO_COLOR"):
        color = False
    else:
        color = args.output is None and _is_tty(out)
    fail_on = args.fail_on or config.settings.fail_on
    text = render(
        args.format,
        report,
        engine.rules if args.format in NEEDS_RULES else (),
        color=color and args.format == "text",
        fail_on=fail_on,
    )
    if args.output:
        _write(args.output, text)
    else:
        stream.write(text)
    if not args.quiet:
        if args.format == "text" or args.output:
            table = render_table(report)
            if table and len(report.findings) > 0:
                err.write(table)
            err.write(render_summary(report) + "\n")
        for line in report.stale:
            err.write(f"baseline entry no longer found: {line}\n")
        if not report.files or (report.entries == 0 and not report.errors):
            err.write("warning: 没有检查任何话术 (no replies were checked)\n")
    return report.exit_code(fail_on)


def _cmd_baseline(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .formats.text import plural

    _require_input(args)
    config = _config(args)
    engine = _engine(args, config)
    report = _collect(args, engine, config, err, quiet=args.quiet)
    target = args.output or (
        str(config.resolve(config.settings.baseline))
        if config.settings.baseline
        else ".replycoach-baseline.json"
    )
    from .baseline import Baseline

    baseline = Baseline.from_findings(report.findings)
    _write(target, baseline.dumps())
    if not args.quiet:
        err.write(
            f"{target}: {plural(len(report.findings), 'finding')} accepted "
            f"({len(baseline.counts)} distinct)\n"
        )
    for error in report.errors:
        err.write(f"{error}\n")
    return EXIT_USAGE if report.errors else EXIT_CLEAN


def _cmd_fix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .fixes import (
        FileChanged,
        OutputError,
        ReadOnlyFile,
        clean_stale_temps,
        fingerprint,
        write_output,
    )
    from .formats.text import plural
    from .sources import FixError, is_streamed, reader_for
    from .sources.decode import decode

    _require_input(args)
    config = _config(args)
    engine = _engine(args, config)
    options = _source_options(args, config)

    for text in args.text:
        out.write(engine.fix(text, position=options.position, customer=args.customer) + "\n")
    status = EXIT_CLEAN
    would_change = False
    for path, opts, ignore in _jobs(args, config, options, err):
        stdin = path == "-"
        name = (args.stdin_filename or "<stdin>") if stdin else path

        changed: list[int] = []

        def fix(entry: Entry, ignore: frozenset[str] = ignore, changed: list[int] = changed) -> str:
            new = engine.fix(
                entry.text,
                position=entry.position,
                customer=entry.customer,
                ignore=ignore | entry.disabled,
            )
            if new != entry.text:
                changed.append(entry.line)
            return new

        if not stdin:
            clean_stale_temps(path)
        if not (stdin or args.diff or args.stdout) and is_streamed(name):
            outcome = _fix_streamed(path, fix, opts, err)
            if outcome == "fixed" and not args.quiet:
                err.write(f"{path}: fixed {plural(len(changed), 'reply')}\n")
            elif outcome == "failed":
                status = EXIT_USAGE
            continue
        try:
            before = None if stdin else fingerprint(path)
            data = _read_stdin(args) if stdin else Path(path).read_bytes()
            new = reader_for(name).rewrite(name, data, fix, opts)
        except (OSError, FixError, UnicodeEncodeError, FileChanged, ReadOnlyFile) as exc:
            err.write(_fix_problem(name, exc))
            status = EXIT_USAGE
            continue
        if args.diff:
            out.write(_diff(name, data, new))
            would_change = would_change or new != data
        elif stdin or args.stdout:
            out.write(decode(new).join() if not name.endswith(".xlsx") else "")
        elif new != data:
            try:
                write_output(path, new, expect=before, keep_read_only=True)
            except (FileChanged, ReadOnlyFile, OutputError) as exc:
                err.write(f"{exc}\n")
                status = EXIT_USAGE
                continue
            if not args.quiet:
                err.write(f"{path}: fixed {plural(len(changed), 'reply')}\n")
    if status == EXIT_CLEAN and would_change:
        return EXIT_FINDINGS
    return status


class _Unchanged(Exception):
    pass


def _fix_problem(name: str, exc: Exception) -> str:
    """One line saying why a file was not fixed."""
    from .fixes import FileChanged, OutputError, ReadOnlyFile
    from .sources import FixError

    if isinstance(exc, (FileChanged, ReadOnlyFile, OutputError)):
        return f"{exc}\n"
    if isinstance(exc, FixError):
        return f"{name}: error input {exc}; file left as it is\n"
    if isinstance(exc, UnicodeEncodeError):
        return (
            f"{name}: error input the fix needs {exc.object[exc.start : exc.end]!r}, which "
            f"{exc.encoding} cannot hold; file left as it is\n"
        )
    if isinstance(exc, OSError):
        return f"{name}:1: error input cannot read file: {exc.strerror or exc}\n"
    return f"{name}: error {exc}\n"


def _fix_streamed(
    path: str, fix: Callable[[Entry], str], options: SourceOptions, err: TextIO
) -> str:
    """Fix a line-based file as a stream into a temporary file renamed into place:
    ``fixed``, ``unchanged``, or ``failed`` (reported on ``err``; the file left as it was)."""
    from .fixes import FileChanged, ReadOnlyFile, fingerprint, open_output
    from .sources import FixError, reader_for
    from .sources.stream import Discard, open_sniffed

    reader = reader_for(path)
    try:
        with open(path, "rb") as src:
            sniffed = open_sniffed(src)
            if sniffed.refused:
                raise FixError(sniffed.refused)
            before = fingerprint(path)
            if not os.stat(path).st_mode & 0o222:  # read-only: say so only when a fix is due
                if reader.rewrite_stream(path, src, Discard(), sniffed, fix, options):
                    raise ReadOnlyFile(f"{path}: the file is read-only; left as it is")
                return "unchanged"
            try:
                with open_output(path, expect=before, keep_read_only=True) as dst:
                    if not reader.rewrite_stream(path, src, dst, sniffed, fix, options):
                        raise _Unchanged
            except _Unchanged:
                return "unchanged"
    except (OSError, FixError, UnicodeEncodeError, FileChanged, ReadOnlyFile) as exc:
        err.write(_fix_problem(path, exc))
        return "failed"
    return "fixed"


def _diff(name: str, old: bytes, new: bytes) -> str:
    import difflib

    from .sources.decode import decode

    if old == new:
        return ""
    if name.lower().endswith(".xlsx"):
        return f"{name}: workbook would change (binary; use --stdout on a copy to inspect)\n"
    a = decode(old).join().splitlines(keepends=True)
    b = decode(new).join().splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"))


def _cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .config import TEMPLATE

    target = Path(".replycoach.yaml")
    if target.exists() and not args.force:
        err.write(f"{target} exists; use --force to overwrite\n")
        return EXIT_USAGE
    _write(str(target), TEMPLATE)
    err.write(f"wrote {target}\n")
    return EXIT_CLEAN


def _cmd_audit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from .audit import load_timing_rules
    from .audit.run import run_audit
    from .audit.transcripts import DEFAULT_HEADER
    from .formats.text import plural

    mapping = {}
    for pair in filter(None, (p.strip() for p in args.map.split(","))):
        field, sep, column = pair.partition("=")
        if not sep:
            raise _UsageError(f"--map expects FIELD=COLUMN pairs, got {pair!r}")
        mapping[field.strip()] = column.strip()
    teams: dict[str, str] = {}
    for group in filter(None, (g.strip() for g in args.teams.split(";"))):
        team, sep, names = group.partition("=")
        if not sep:
            raise _UsageError(f"--teams expects TEAM=AGENT,AGENT;..., got {group!r}")
        teams.update({name.strip(): team.strip() for name in names.split(",") if name.strip()})
    config = _config(args)
    engine = _engine(args, config)
    timing = load_timing_rules(args.timing)
    workers = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    show = not args.quiet and _is_tty(err)
    from .audit.outputs import AuditOutputs

    with AuditOutputs(findings=args.findings, html=args.html) as outputs:
        audit, errors, notes = run_audit(
            engine,
            args.paths,
            timing,
            mapping=mapping,
            agents=[a for a in args.agents.split(",") if a.strip()],
            header=args.header or DEFAULT_HEADER,
            workers=workers,
            progress=err if show else None,
            sink=outputs.sink,
            teams=teams,
        )
        cards = audit.scorecards()
        outputs.finish(audit, cards, json_path=args.json, csv_path=args.csv)
    for note in notes:
        err.write(f"{note}\n")
    for error in errors:
        err.write(f"{error.path}:{error.line}: error input {error.message}\n")
    if args.format == "json":
        report = json.dumps(cards, ensure_ascii=False, indent=2) + "\n"
    else:
        report = "".join(
            f"{rule:<28}{count:>8}\n" for rule, count in cards["findings_by_rule"].items()
        )
    if args.output:
        _write(args.output, report)
    else:
        out.write(report)
    if not args.quiet:
        err.write(
            f"{plural(audit.conversations, 'conversation')}, "
            f"{plural(audit.messages, 'message')}; timing {cards['timing']}\n"
        )
    if errors:
        return EXIT_USAGE
    return audit.exit_code(args.fail_on or config.settings.fail_on)


def _cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:

    from .service import Service

    config = _config(args)

    def build() -> Engine:
        # Re-read the configuration too, so SIGHUP picks up every change.
        return _engine(args, _config(args))

    service = Service(build)
    del config
    if args.stdio:
        from .service.stdio import run

        return run(service, sys.stdin, out)
    try:
        from .service.http import serve
    except ImportError:
        err.write('replycoach serve needs the server extra: pip install "replycoach[server]"\n')
        return EXIT_USAGE
    return serve(
        service,
        host=args.host,
        port=args.port,
        token=args.token,
        cors_origins=args.cors_origin,
        max_body=args.max_body,
        allow_hosts=args.allow_host,
        budget=args.budget,
    )


def _cmd_lsp(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from .service.lsp.server import main as serve_lsp
    except ImportError as exc:
        err.write(
            f"replycoach lsp needs the lsp extra ({exc.name or exc}): "
            'pip install "replycoach[lsp]"\n'
        )
        return EXIT_USAGE
    return serve_lsp()


def _cmd_test_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .formats.text import plural
    from .ruletest import summary, test_rules

    problems = test_rules(args.paths, with_defaults=not args.no_default_rules)
    for problem in problems:
        out.write(problem + "\n")
    if problems:
        err.write(f"{plural(len(problems), 'problem')}\n")
        return EXIT_FINDINGS
    err.write(f"{summary(args.paths)} rules: every example and hygiene check passed\n")
    return EXIT_CLEAN


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from .loader import rule_file_schema

    text = json.dumps(rule_file_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        _write(args.output, text)
    else:
        out.write(text)
    return EXIT_CLEAN


def _cmd_docs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .docs import render_rules

    engine = _engine(args, _config(args))
    text = render_rules(engine.rules)
    if args.output:
        _write(args.output, text)
        err.write(f"wrote {args.output}\n")
    else:
        out.write(text)
    return EXIT_CLEAN


def _rule_summary(rule: AnyRule, active: bool) -> dict[str, object]:
    from .docs import source_title

    fixable = getattr(rule, "fix", "unsafe") == "safe"
    return {
        "id": rule.id,
        "kind": rule.kind,
        "severity": rule.severity.value,
        "enabled": active,
        "fix": "safe" if fixable else "none",
        "source": {
            "file": rule.source.file,
            "title": source_title(rule.source.file),
            "passage": rule.source.passage,
        },
        "description": rule.description,
    }


def _cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    engine = _engine(args, _config(args))
    active = set(engine.rule_ids())
    severities = {c.id: c.severity.value for c in engine.checkers}
    rows = [_rule_summary(r, r.id in active) for r in engine.rules]
    for row in rows:
        row["severity"] = severities.get(str(row["id"]), row["severity"])
    if args.format == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_CLEAN
    table = [
        [
            str(row["id"]),
            str(row["severity"]),
            str(row["kind"]),
            ("fix:safe" if row["fix"] == "safe" else "")
            + ("" if row["enabled"] else " (disabled)"),
            str(row["source"]["title"]),  # type: ignore[index]
        ]
        for row in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(4)] if table else []
    for r in table:
        cells = [r[i].ljust(widths[i]) for i in range(4)]
        out.write(("  ".join(cells) + "  " + r[4]).rstrip() + "\n")
    return EXIT_CLEAN


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from .engine import Engine

    engine = _engine(args, _config(args), all_rules=True)
    rule = next((r for r in engine.rules if args.rule in (r.id, *r.aliases)), None)
    if rule is None:
        err.write(f"replycoach: unknown rule {args.rule!r}; see 'replycoach rules'\n")
        return EXIT_USAGE
    from .docs import source_title

    one = Engine([rule], enable=[rule.id])
    if args.format == "json":
        data = rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return EXIT_CLEAN
    summary = _rule_summary(rule, rule.enabled)
    lines = [
        f"{rule.id}  ({rule.kind}, {rule.severity.value}"
        f"{', fix: safe' if summary['fix'] == 'safe' else ''}"
        f"{'' if rule.enabled else ', disabled by default'})",
        "",
        rule.description or rule.message,
        "",
        f"出处  {source_title(rule.source.file)}",
        f"      “{rule.source.passage}”",
        "",
        "会提示的回复：",
    ]
    for ex in rule.examples.flag:
        found = one.check(ex.text, position=ex.position)
        where = f" [{ex.position}]" if ex.position else ""
        lines.append(f"  ✗ {ex.text}{where}")
        for f in found[:1]:
            if f.suggestions:
                arrow = "⇒" if f.fixable else "→"
                lines.append(f"      “{f.excerpt}” {arrow} {' / '.join(f.suggestions)}")
    lines.append("不会提示的回复：")
    for clean in rule.examples.clean:
        where = f" [{clean.position}]" if clean.position else ""
        lines.append(f"  ✓ {clean.text}{where}")
    out.write("\n".join(lines) + "\n")
    return EXIT_CLEAN


_COMMANDS = {
    "check": _cmd_check,
    "fix": _cmd_fix,
    "baseline": _cmd_baseline,
    "init": _cmd_init,
    "serve": _cmd_serve,
    "audit": _cmd_audit,
    "lsp": _cmd_lsp,
    "test-rules": _cmd_test_rules,
    "schema": _cmd_schema,
    "docs": _cmd_docs,
    "rules": _cmd_rules,
    "explain": _cmd_explain,
}


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    if out is None or err is None:
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding="utf-8", errors="backslashreplace")
    out = out or sys.stdout
    err = err or sys.stderr
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(argv[0] if argv and argv[0] in _SUBCOMMANDS else None)
    _Parser.usage_stream = err
    try:
        args, extra = parser.parse_known_args(argv)
        if args.command is None:
            if extra:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            parser.print_help(out)
            return EXIT_USAGE
        if extra:  # the subcommand's usage, not the top level's
            args._commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command not in _LOADS_ENGINE_FIRST:
            _started()
        return _COMMANDS[args.command](args, out, err)
    except (_UsageError, ReplycoachError) as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN
    except OSError as exc:  # anything the file system refuses: one line, exit 2
        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"replycoach: error: {where}{exc.strerror or exc}\n")
        return EXIT_USAGE
    finally:
        _Parser.usage_stream = None


_LOADS_ENGINE_FIRST = frozenset({"check", "fix", "baseline"})
"""Commands whose first work is loading the engine (which ends the start-up)."""

_starting = False


def _started(batch: bool = False) -> None:
    """The start-up is over (modules imported, engine loaded): in a process run by
    :func:`run`, what exists now lives until the exit, so it is frozen out of the garbage
    collector's scans, which are switched back on for the work. A ``batch`` command (check,
    fix, baseline) makes many short-lived objects per reply, freed as they go: its youngest
    generation is scanned every 10,000 allocations instead of 700."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        if batch:
            gc.set_threshold(10_000, *gc.get_threshold()[1:])
        gc.enable()


def run() -> NoReturn:
    """The ``replycoach`` console script (and ``python -m replycoach.cli``): :func:`main` in
    a process of its own, then exit with its code.

    A short run is mostly start-up, and the garbage collector would scan the many objects
    made by imports and the unpickled engine over and over (~4 ms) and once more at the
    exit (~8 ms), finding nothing to free: they live until the process ends. So it is off
    until the engine is loaded, those objects are then frozen (never scanned again), and
    what exists at the exit is frozen too. Ctrl-C ends it with 130 and one line, not a
    traceback (a fix writes through a temporary file, so no file is left half written)."""
    global _starting
    if gc.isenabled():
        gc.disable()
        _starting = True
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("replycoach: interrupted\n")
        code = 130
    finally:
        _started()
        gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
