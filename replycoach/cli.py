"""The ``replycoach`` command line: I/O only; the work is done by the engine, sources and
report. Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage or input errors.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .config import TEMPLATE, Config, find_config, load_config, merged_position_map
from .engine import Engine
from .errors import ReplycoachError
from .fixes import write_atomic
from .formats import RENDERERS, render
from .formats.text import render_summary, render_table
from .loader import AnyRule
from .model import POSITIONS
from .report import FileResult, Report
from .sources import Entry, FixError, SourceOptions, expand_paths, reader_for
from .sources.decode import decode

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


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
        type=int,
        default=1,
        metavar="N",
        help="check files on N processes (0: one per core)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="say which configuration and encodings were used",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="replycoach",
        description="Coach Chinese customer-service replies: findings, approved rewrites.",
    )
    parser.add_argument("--version", action="version", version=f"replycoach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="report findings")
    _input_options(check)
    check.add_argument("--format", "-f", choices=sorted(RENDERERS), default="text")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    check.add_argument(
        "--fail-on",
        choices=["error", "warning", "info", "never"],
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    check.add_argument("--baseline", metavar="FILE", help="report only findings not in FILE")
    check.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    check.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    _rule_options(check)

    fix = sub.add_parser("fix", help="apply safe rewrites (files are rewritten atomically)")
    _input_options(fix)
    fix.add_argument("--diff", action="store_true", help="show what would change; write nothing")
    fix.add_argument("--stdout", action="store_true", help="print fixed files; write nothing")
    _rule_options(fix)

    base = sub.add_parser("baseline", help="accept the current findings (write a baseline)")
    _input_options(base)
    base.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="baseline file (default: the config's, or .replycoach-baseline.json)",
    )
    _rule_options(base)

    init = sub.add_parser("init", help="write a commented .replycoach.yaml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    audit = sub.add_parser(
        "audit",
        help="audit whole chat transcripts: findings, response times, scorecards, an HTML report",
    )
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
    audit.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    _rule_options(audit)

    serve = sub.add_parser("serve", help="run the local service (HTTP, or --stdio)")
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

    test_rules = sub.add_parser("test-rules", help="run a rule pack's examples and hygiene checks")
    test_rules.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    test_rules.add_argument(
        "--no-default-rules",
        action="store_true",
        help="do not check against the default pack (ids, rewrites)",
    )

    schema = sub.add_parser("schema", help="print the JSON Schema of rule files")
    schema.add_argument("--output", "-o", metavar="FILE")

    docs = sub.add_parser("docs", help="write the rule reference (Markdown) from the rules")
    docs.add_argument("--output", "-o", metavar="FILE", help="default: standard output")
    _rule_options(docs)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _rule_options(rules)

    explain = sub.add_parser("explain", help="a rule's message, source passage and examples")
    explain.add_argument("rule", metavar="RULE")
    explain.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _rule_options(explain)
    return parser


# ------------------------------------------------------------------------------- set-up


def _config(args: argparse.Namespace) -> Config:
    if args.no_config:
        return Config()
    if args.config:
        return load_config(args.config)
    return find_config()


def _engine(args: argparse.Namespace, config: Config, *, all_rules: bool = False) -> Engine:
    settings = config.settings
    severity: dict[str, str] = dict(settings.severity)
    for item in args.severity:
        rule, sep, level = item.partition("=")
        if not sep or level not in ("error", "warning", "info"):
            raise _UsageError(f"--severity expects ID=error|warning|info, got {item!r}")
        severity[rule] = level
    files = [config.resolve(p) for p in settings.rule_files] + list(args.rules)
    engine = Engine.from_paths(
        *files, defaults=settings.default_rules and not args.no_default_rules
    )
    enable = [r.id for r in engine.rules] if all_rules else [*settings.enable, *args.enable]
    return engine.configure(
        enable=enable,
        disable=[*settings.disable, *args.disable],
        only=args.select if args.select is not None else settings.select,
        severity=severity,
        packs=[*settings.packs, *args.pack],
        options=settings.rule_options,
    )


def _source_options(args: argparse.Namespace, config: Config) -> SourceOptions:
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
    """Refuse to wait on an interactive terminal when no input was named."""
    if not args.paths and not args.text and _is_tty(sys.stdin):
        raise _UsageError(
            f"replycoach {args.command}: 请给出文件或目录、--text 话术，或从标准输入每行一条传入 "
            "(give files or directories, --text REPLY, or pipe replies on stdin); see --help"
        )


def _jobs(
    args: argparse.Namespace, config: Config, options: SourceOptions
) -> list[tuple[str, SourceOptions, frozenset[str]]]:
    paths = args.paths or ([] if args.text else ["-"])
    jobs = []
    for arg in paths:
        for path in ["-"] if arg == "-" else expand_paths([arg]):
            if path != "-" and path != arg and config.excluded(path):
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


def _collect(
    args: argparse.Namespace, engine: Engine, config: Config, err: TextIO, *, quiet: bool = False
) -> Report:
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
    jobs = _jobs(args, config, options)
    stdin_jobs = [j for j in jobs if j[0] == "-"]
    file_jobs = [j for j in jobs if j[0] != "-"]
    from .report import check_file

    for _, opts, ignore in stdin_jobs:
        name = args.stdin_filename or "<stdin>"
        ignore = config.ignored_rules(name) if args.stdin_filename else ignore
        report.files.append(
            check_file(engine, name, opts, ignore, data=sys.stdin.buffer.read(), name=name)
        )
    workers = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    interactive = _is_tty(err) and not quiet
    progress = _Progress(err, len(file_jobs), interactive)
    report.check_files(engine, file_jobs, workers=workers, progress=progress, tick=progress.tick)
    progress.close()
    if args.verbose:
        where = config.path or "none (defaults)"
        err.write(f"configuration: {where}\n")
        for result in report.files:
            if result.encoding:
                err.write(f"{result.path}: {result.encoding}, {result.entries} replies\n")
    return report


# ------------------------------------------------------------------------------ commands


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
    text = render(args.format, report, engine.rules, color=color and args.format == "text")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
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
    fail_on = args.fail_on or config.settings.fail_on
    return report.exit_code(fail_on)


def _cmd_baseline(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _require_input(args)
    config = _config(args)
    engine = _engine(args, config)
    report = _collect(args, engine, config, err)
    target = args.output or (
        str(config.resolve(config.settings.baseline))
        if config.settings.baseline
        else ".replycoach-baseline.json"
    )
    from .baseline import Baseline

    baseline = Baseline.from_findings(report.findings)
    write_atomic(target, baseline.dumps().encode("utf-8"))
    err.write(
        f"{target}: {len(report.findings)} findings accepted ({len(baseline.counts)} distinct)\n"
    )
    for error in report.errors:
        err.write(f"{error}\n")
    return EXIT_USAGE if report.errors else EXIT_CLEAN


def _cmd_fix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _require_input(args)
    config = _config(args)
    engine = _engine(args, config)
    options = _source_options(args, config)

    for text in args.text:
        out.write(engine.fix(text, position=options.position, customer=args.customer) + "\n")
    status = EXIT_CLEAN
    for path, opts, ignore in _jobs(args, config, options):
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

        try:
            data = sys.stdin.buffer.read() if stdin else Path(path).read_bytes()
            new = reader_for(name).rewrite(name, data, fix, opts)
        except OSError as exc:
            err.write(f"{name}:1: error input cannot read file: {exc.strerror or exc}\n")
            status = EXIT_USAGE
            continue
        except FixError as exc:
            err.write(f"{name}: error input {exc}; file left as it is\n")
            status = EXIT_USAGE
            continue
        if args.diff:
            out.write(_diff(name, data, new))
        elif stdin or args.stdout:
            out.write(decode(new).join() if not name.endswith(".xlsx") else "")
        elif new != data:
            write_atomic(path, new)
            err.write(f"{path}: fixed {len(changed)} replies\n")
    return status


def _diff(name: str, old: bytes, new: bytes) -> str:
    if old == new:
        return ""
    if name.lower().endswith(".xlsx"):
        return f"{name}: workbook would change (binary; use --stdout on a copy to inspect)\n"
    a = decode(old).join().splitlines(keepends=True)
    b = decode(new).join().splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"))


def _cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = Path(".replycoach.yaml")
    if target.exists() and not args.force:
        err.write(f"{target} exists; use --force to overwrite\n")
        return EXIT_USAGE
    write_atomic(target, TEMPLATE.encode("utf-8"))
    err.write(f"wrote {target}\n")
    return EXIT_CLEAN


def _cmd_audit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import csv as csv_module

    from .audit import load_timing_rules, scorecard_rows
    from .audit.run import run_audit
    from .audit.transcripts import DEFAULT_HEADER

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
    engine = _engine(args, _config(args))
    timing = load_timing_rules(args.timing)
    workers = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    show = not args.quiet and _is_tty(err)
    audit, errors = run_audit(
        engine,
        args.paths,
        timing,
        mapping=mapping,
        agents=[a for a in args.agents.split(",") if a.strip()],
        header=args.header or DEFAULT_HEADER,
        workers=workers,
        progress=err if show else None,
        keep_findings=bool(args.findings or args.html),
        teams=teams,
    )
    cards = audit.scorecards()
    if args.json:
        write_atomic(
            args.json, (json.dumps(cards, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        )
    if args.csv:
        import io as io_module

        rows = scorecard_rows(cards)
        columns = sorted(
            {k for row in rows for k in row}, key=lambda k: (k.startswith("per100:"), k)
        )
        columns = ["scope", "name", *[c for c in columns if c not in ("scope", "name")]]
        buffer = io_module.StringIO()
        writer = csv_module.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(args.csv, buffer.getvalue().encode("utf-8-sig"))
    if args.findings:
        lines = "".join(json.dumps(f.to_dict(), ensure_ascii=False) + "\n" for f in audit.findings)
        write_atomic(args.findings, lines.encode("utf-8"))
    if args.html:
        from .formats.html_report import render_audit_html

        write_atomic(args.html, render_audit_html(audit).encode("utf-8"))
    for error in errors:
        err.write(f"{error.path}:{error.line}: error input {error.message}\n")
    if not args.quiet:
        out.write(
            f"{audit.conversations} conversations, {audit.messages} messages; "
            f"timing {cards['timing']}\n"
        )
        for rule, count in cards["findings_by_rule"].items():
            out.write(f"{rule:<28}{count:>8}\n")
    return EXIT_USAGE if errors else EXIT_CLEAN


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


def _cmd_test_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .ruletest import summary, test_rules

    problems = test_rules(args.paths, with_defaults=not args.no_default_rules)
    for problem in problems:
        out.write(problem + "\n")
    if problems:
        err.write(f"{len(problems)} problems\n")
        return EXIT_FINDINGS
    err.write(f"{summary(args.paths)} rules: every example and hygiene check passed\n")
    return EXIT_CLEAN


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .loader import rule_file_schema

    text = json.dumps(rule_file_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        write_atomic(args.output, text.encode("utf-8"))
    else:
        out.write(text)
    return EXIT_CLEAN


def _cmd_docs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .docs import render_rules

    engine = _engine(args, _config(args))
    text = render_rules(engine.rules)
    if args.output:
        write_atomic(args.output, text.encode("utf-8"))
        err.write(f"wrote {args.output}\n")
    else:
        out.write(text)
    return EXIT_CLEAN


def _rule_summary(rule: AnyRule, active: bool) -> dict[str, object]:
    fixable = getattr(rule, "fix", "unsafe") == "safe"
    return {
        "id": rule.id,
        "kind": rule.kind,
        "severity": rule.severity.value,
        "enabled": active,
        "fix": "safe" if fixable else "none",
        "source": {"file": rule.source.file, "passage": rule.source.passage},
        "description": rule.description,
    }


def _cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    engine = _engine(args, _config(args))
    active = set(engine.rule_ids())
    severities = {c.id: c.severity.value for c in engine.checkers}
    rows = [_rule_summary(r, r.id in active) for r in engine.rules]
    for row in rows:
        row["severity"] = severities.get(str(row["id"]), row["severity"])
    if args.format == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_CLEAN
    for row in rows:
        flag = "" if row["enabled"] else " (disabled)"
        fix = " fix:safe" if row["fix"] == "safe" else ""
        source = row["source"]
        assert isinstance(source, dict)
        out.write(
            f"{row['id']:<18} {row['severity']:<8} {row['kind']:<13}{fix}{flag}  {source['file']}\n"
        )
    return EXIT_CLEAN


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    engine = _engine(args, _config(args), all_rules=True)
    rule = next((r for r in engine.rules if args.rule in (r.id, *r.aliases)), None)
    if rule is None:
        err.write(f"replycoach: unknown rule {args.rule!r}; see 'replycoach rules'\n")
        return EXIT_USAGE
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
        f"出处  {rule.source.file}",
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
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(out)
            return EXIT_USAGE
        return _COMMANDS[args.command](args, out, err)
    except (_UsageError, ReplycoachError) as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
