"""The ``replycoach`` command line: I/O only; the work is done by the engine and report.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage or input errors.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from . import __version__
from .engine import Engine
from .errors import ReplycoachError
from .fixes import fix_text_file, write_atomic
from .formats import RENDERERS
from .formats.text import render_summary
from .loader import AnyRule
from .model import POSITIONS
from .report import Report
from .sources import Entry, InputError, expand_paths, read_entries
from .sources.text import read_text_entries

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


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


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="FILE", help="phrase files, one reply per line ('-' for stdin)"
    )
    parser.add_argument(
        "--text", "-t", action="append", default=[], help="a reply to check (repeatable)"
    )
    parser.add_argument(
        "--position", choices=POSITIONS, help="where the replies stand in their conversation"
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
    check.add_argument(
        "--fail-on",
        choices=["error", "warning", "info", "never"],
        default="warning",
        help="lowest severity that makes the exit code 1",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    _rule_options(check)

    fix = sub.add_parser("fix", help="apply safe rewrites (files are rewritten atomically)")
    _input_options(fix)
    fix.add_argument("--diff", action="store_true", help="show what would change; write nothing")
    fix.add_argument("--stdout", action="store_true", help="print fixed files; write nothing")
    _rule_options(fix)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _rule_options(rules)

    explain = sub.add_parser("explain", help="a rule's message, source passage and examples")
    explain.add_argument("rule", metavar="RULE")
    explain.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _rule_options(explain)
    return parser


def _engine(args: argparse.Namespace, *, all_rules: bool = False) -> Engine:
    severity = {}
    for item in args.severity:
        rule, sep, level = item.partition("=")
        if not sep or level not in ("error", "warning", "info"):
            raise _UsageError(f"--severity expects ID=error|warning|info, got {item!r}")
        severity[rule] = level
    engine = Engine.from_paths(*args.rules, defaults=not args.no_default_rules)
    enable = [r.id for r in engine.rules] if all_rules else args.enable
    return engine.configure(
        enable=enable, disable=args.disable, only=args.select, severity=severity
    )


def _read_stdin(name: str = "<stdin>") -> bytes:
    return sys.stdin.buffer.read()


def _items(args: argparse.Namespace) -> Iterator[Entry | InputError]:
    for number, text in enumerate(args.text, 1):
        yield Entry("<text>", number, text, 1, args.position)
    paths = args.paths or ([] if args.text else ["-"])
    for path in paths:
        if path == "-":
            yield from read_text_entries("<stdin>", position=args.position, data=_read_stdin())
            continue
        for file in expand_paths([path]):
            yield from read_entries(file, position=args.position)


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    engine = _engine(args)
    report = Report()
    report.add(engine, _items(args))
    out.write(RENDERERS[args.format](report))
    if not args.quiet and args.format == "text":
        err.write(render_summary(report) + "\n")
    return report.exit_code(args.fail_on)


def _cmd_fix(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    engine = _engine(args)

    def fix(text: str) -> str:
        return engine.fix(text, position=args.position)

    for text in args.text:
        out.write(fix(text) + "\n")
    paths = args.paths or ([] if args.text else ["-"])
    status = EXIT_CLEAN
    for path in [p for arg in paths for p in (["-"] if arg == "-" else expand_paths([arg]))]:
        stdin = path == "-"
        result = fix_text_file(
            "<stdin>" if stdin else path, fix, data=_read_stdin() if stdin else None
        )
        if result.error or result.data is None:
            err.write(f"{result.path}:1: error input {result.error}\n")
            status = EXIT_USAGE
            continue
        if args.diff:
            for number, old, new in result.changed:
                out.writelines(
                    difflib.unified_diff(
                        [old + "\n"],
                        [new + "\n"],
                        f"a/{result.path}",
                        f"b/{result.path}",
                        lineterm="\n",
                        n=0,
                    )
                )
                del number
        elif stdin or args.stdout:
            out.write(result.data.decode(_encoding_of(result.data)))
        elif result.changed:
            write_atomic(path, result.data)
            err.write(f"{path}: fixed {len(result.changed)} lines\n")
    return status


def _encoding_of(data: bytes) -> str:
    from .sources.decode import decode

    return decode(data).encoding


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
    engine = _engine(args)
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
    engine = _engine(args, all_rules=True)
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
        found = [f for f in one.check(ex.text, position=ex.position)]
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
    except _UsageError as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except ReplycoachError as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
