"""``replycoach lsp``: a language server over stdio for phrase libraries (.txt, .csv/.tsv,
.json/.jsonl, .yaml), built on pygls (``pip install "replycoach[lsp]"``).

- Diagnostics on open and on every change: the rule id as the code, the severity, the
  message, a link to the rule's reference and, as related information, the rule's
  definition with its source passage. Positions in UTF-16 code units unless the client
  negotiates UTF-8 or UTF-32 (``general.positionEncodings``).
- Edits are synced incrementally and re-read only where they fall
  (:class:`~replycoach.service.lsp.document.PhraseDocument`).
- Code actions: a quick fix per suggestion, and ``source.fixAll.replycoach`` applying every
  safe fix as ``replycoach fix`` would.
- Settings come from the ``.replycoach.yaml`` (or ``pyproject.toml``) nearest to each file;
  a change to it or to a rule file it names (``workspace/didChangeWatchedFiles``, or saving
  it in the editor) reloads the rules and checks the open files again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ... import __version__
from ...config import CONFIG_NAMES, Config, find_config, merged_position_map
from ...engine import Engine
from ...errors import ReplycoachError
from ...loader import AnyRule
from ...model import Finding, Severity
from ...sources import Entry, InputError, SourceOptions
from .document import PhraseDocument, Unit, from_units, split_lines, to_units

log = logging.getLogger(__name__)

DOCS_URL = "https://github.com/replycoach/replycoach/blob/main/docs/rules.md"
FIX_ALL = "source.fixAll.replycoach"
SOURCE = "replycoach"
_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}


@dataclass(frozen=True)
class Settings:
    """What applies to one file: its configuration's engine and reading options."""

    config: Config
    engine: Engine
    options: SourceOptions
    ignore: frozenset[str]
    excluded: bool


def engine_for(config: Config) -> Engine:
    """The engine a configuration asks for (as ``replycoach check`` builds it)."""
    s = config.settings
    engine = Engine.from_paths(*[config.resolve(p) for p in s.rule_files], defaults=s.default_rules)
    return engine.configure(
        enable=s.enable,
        disable=s.disable,
        only=s.select,
        severity=s.severity,
        packs=s.packs,
        options=s.rule_options,
    )


class ReplycoachServer(LanguageServer):
    """The language server: open documents, settings per configuration, diagnostics."""

    def __init__(self) -> None:
        super().__init__("replycoach", __version__)
        self.documents: dict[str, PhraseDocument] = {}
        self.versions: dict[str, int | None] = {}
        self._configs: dict[Path, Config] = {}
        self._engines: dict[Path | None, Engine] = {}
        self._rules: dict[int, dict[str, AnyRule]] = {}
        self.errors: list[str] = []

    # ------------------------------------------------------------------ settings

    @property
    def encoding(self) -> str:
        """The negotiated position encoding: utf-16 (the default), utf-8 or utf-32."""
        value = self.workspace.position_encoding
        return str(getattr(value, "value", value) or "utf-16")

    def _error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)
            self.window_show_message(
                lsp.ShowMessageParams(lsp.MessageType.Error, f"replycoach: {message}")
            )

    def _config(self, directory: Path) -> Config:
        config = self._configs.get(directory)
        if config is None:
            try:
                config = find_config(directory)
            except ReplycoachError as exc:
                self._error(str(exc))
                config = Config()
            self._configs[directory] = config
        return config

    def _engine(self, config: Config) -> Engine:
        engine = self._engines.get(config.path)
        if engine is None:
            try:
                engine = engine_for(config)
            except ReplycoachError as exc:
                self._error(str(exc))
                engine = Engine.default()
            self._engines[config.path] = engine
        return engine

    def settings_for(self, path: Path) -> Settings:
        """The settings of the file at ``path`` (its configuration is found upward)."""
        config = self._config(path.parent)
        s = config.settings
        options = SourceOptions(
            column=s.column,
            position=s.position,
            position_column=s.position_column,
            customer_column=s.customer_column,
            position_map=merged_position_map(config),
        )
        return Settings(
            config,
            self._engine(config),
            options,
            config.ignored_rules(str(path)),
            config.path is not None and config.excluded(str(path)),
        )

    def watched(self, path: Path) -> bool:
        """Whether a change to ``path`` changes the rules: a configuration file, or a rule
        file or directory named by a configuration in use."""
        if path.name in CONFIG_NAMES:
            return True
        resolved = path.resolve()
        for config in self._configs.values():
            for rule_file in config.settings.rule_files:
                target = config.resolve(rule_file)
                if resolved == target or target in resolved.parents:
                    return True
        return False

    def reload(self) -> None:
        """Forget configurations and engines; check every open file again."""
        self._configs.clear()
        self._engines.clear()
        self._rules.clear()
        self.errors.clear()
        for uri, doc in self.documents.items():
            settings = self.settings_for(_path(uri))
            doc.excluded = settings.excluded
            doc.reconfigure(settings.engine, settings.options, settings.ignore)
            self.publish(uri)

    # ------------------------------------------------------------------ documents

    def open(self, uri: str, text: str, version: int | None) -> None:
        settings = self.settings_for(_path(uri))
        doc = PhraseDocument(_path(uri).name, settings.engine, settings.options, settings.ignore)
        doc.excluded = settings.excluded
        doc.set_text(text)
        self.documents[uri] = doc
        self.versions[uri] = version
        self.publish(uri)

    def change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = self.documents.get(uri)
        if doc is None:
            return
        encoding = self.encoding
        try:
            for change in params.content_changes:
                if isinstance(change, lsp.TextDocumentContentChangePartial):
                    start, end = change.range.start, change.range.end
                    doc.replace(
                        (start.line, _column(doc, start, encoding)),
                        (end.line, _column(doc, end, encoding)),
                        change.text,
                    )
                else:
                    doc.set_text(change.text)
        except Exception:  # never lose the document: read pygls's copy of it whole
            log.exception("incremental update of %s failed; reading it whole", uri)
            doc.set_text(self.workspace.get_text_document(uri).source)
        self.versions[uri] = params.text_document.version
        self.publish(uri)

    def publish(self, uri: str) -> None:
        doc = self.documents.get(uri)
        diagnostics = [] if doc is None else self.diagnostics(uri, doc)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri, diagnostics, self.versions.get(uri))
        )

    def rules(self, engine: Engine) -> dict[str, AnyRule]:
        table = self._rules.get(id(engine))
        if table is None:
            table = self._rules[id(engine)] = {r.id: r for r in engine.rules}
        return table

    def diagnostics(self, uri: str, doc: PhraseDocument) -> list[lsp.Diagnostic]:
        """Every finding and unreadable part of ``doc`` (cached per entry and line)."""
        if doc.excluded:
            return []
        encoding = self.encoding
        rules = self.rules(doc.engine)
        out: list[lsp.Diagnostic] = []
        for line, unit in doc.units():
            if not unit.findings and isinstance(unit.item, Entry):
                continue
            key = (line, encoding)
            if unit.cache is None or unit.cache[0] != key:
                unit.cache = (key, self._unit_diagnostics(doc, line, unit, encoding, rules))
            out.extend(unit.cache[1])
        return out

    def _unit_diagnostics(
        self,
        doc: PhraseDocument,
        line: int,
        unit: Unit,
        encoding: str,
        rules: dict[str, AnyRule],
    ) -> list[lsp.Diagnostic]:
        item = unit.item
        if isinstance(item, InputError):
            end = to_units(doc.lines[line].rstrip("\r\n"), len(doc.lines[line]), encoding)
            return [
                lsp.Diagnostic(
                    lsp.Range(lsp.Position(line, 0), lsp.Position(line, end)),
                    f"无法读取：{item.message}",
                    severity=lsp.DiagnosticSeverity.Error,
                    code="input-error",
                    source=SOURCE,
                )
            ]
        out = []
        for finding in unit.findings:
            rule = rules.get(finding.rule)
            related = None
            if rule is not None and rule.origin:
                file, _, number = rule.origin.rpartition(":")
                at = lsp.Position(max(int(number) - 1, 0) if number.isdigit() else 0, 0)
                related = [
                    lsp.DiagnosticRelatedInformation(
                        lsp.Location(from_fs_path(file) or file, lsp.Range(at, at)),
                        f"出处 {rule.source.file}：“{rule.source.passage}”",
                    )
                ]
            out.append(
                lsp.Diagnostic(
                    self.finding_range(doc, line, unit, finding, encoding),
                    finding.message,
                    severity=_SEVERITY[finding.severity],
                    code=finding.rule,
                    code_description=lsp.CodeDescription(f"{DOCS_URL}#{finding.rule}"),
                    source=SOURCE,
                    related_information=related,
                )
            )
        return out

    def finding_range(
        self, doc: PhraseDocument, line: int, unit: Unit, finding: Finding, encoding: str
    ) -> lsp.Range:
        places = doc.places(line, unit)
        (l1, c1), (l2, c2) = places[finding.start], places[finding.end]
        return lsp.Range(
            lsp.Position(l1, to_units(doc.lines[l1], c1, encoding)),
            lsp.Position(l2, to_units(doc.lines[l2], c2, encoding)),
        )

    # ------------------------------------------------------------------ code actions

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        doc = self.documents.get(uri)
        if doc is None or doc.excluded:
            return []
        only = params.context.only
        actions: list[lsp.CodeAction] = []
        if _wanted(only, "quickfix"):
            actions.extend(self._quick_fixes(uri, doc, params.range))
        if _wanted(only, FIX_ALL):
            edit = self._fix_all(uri, doc)
            if edit is not None:
                actions.append(
                    lsp.CodeAction("replycoach：修复全部可安全修复的问题", kind=FIX_ALL, edit=edit)
                )
        return actions

    def _fix_all(self, uri: str, doc: PhraseDocument) -> lsp.WorkspaceEdit | None:
        """Every safe fix, as ``replycoach fix`` applies it: one edit per entry that changes,
        written in the entry's own quoting (the file rewritten whole where that cannot be)."""
        edits = []
        for line, unit in doc.units():
            entry = unit.item
            if not isinstance(entry, Entry) or not any(f.fixable for f in unit.findings):
                continue
            new_text = doc.engine.fix(
                entry.text,
                position=entry.position,
                customer=entry.customer,
                ignore=doc.ignore | entry.disabled,
            )
            if new_text == entry.text:
                continue
            raw = (
                _encoded(doc, line, unit, new_text, new_text)
                if unit.span or line_format(doc)
                else None
            )
            if raw is None:
                new = doc.fixed_text()
                return None if new is None or new == doc.text else self._edit(uri, doc, new)
            places = doc.places(line, unit)
            (l1, c1), (l2, c2) = places[0], places[len(entry.text)]
            start = lsp.Position(l1, to_units(doc.lines[l1], c1, self.encoding))
            end = lsp.Position(l2, to_units(doc.lines[l2], c2, self.encoding))
            edits.append(lsp.TextEdit(lsp.Range(start, end), raw))
        return lsp.WorkspaceEdit(changes={uri: edits}) if edits else None

    def _quick_fixes(
        self, uri: str, doc: PhraseDocument, wanted: lsp.Range
    ) -> list[lsp.CodeAction]:
        encoding = self.encoding
        rules = self.rules(doc.engine)
        actions = []
        first = max(0, wanted.start.line - 50)
        for line in range(first, min(wanted.end.line + 1, len(doc.slots))):
            for unit in doc.slots[line]:
                if not unit.findings or not isinstance(unit.item, Entry):
                    continue
                diagnostics = self._unit_diagnostics(doc, line, unit, encoding, rules)
                for finding, diagnostic in zip(unit.findings, diagnostics, strict=True):
                    where = diagnostic.range
                    if not _touches(where, wanted):
                        continue
                    for index, suggestion in enumerate(finding.suggestions):
                        edit = self._suggestion_edit(uri, doc, line, unit, finding, suggestion)
                        if edit is None:
                            continue
                        actions.append(
                            lsp.CodeAction(
                                f"将“{finding.excerpt}”改为“{suggestion}”（{finding.rule}）",
                                kind=lsp.CodeActionKind.QuickFix,
                                diagnostics=[diagnostic],
                                is_preferred=(finding.fixable and index == 0) or None,
                                edit=edit,
                            )
                        )
                    silence = self._disable_edit(doc, line, unit, finding.rule)
                    if silence is not None:
                        actions.append(
                            lsp.CodeAction(
                                f"此条回复不再检查 {finding.rule}（# replycoach: disable）",
                                kind=lsp.CodeActionKind.QuickFix,
                                diagnostics=[diagnostic],
                                edit=lsp.WorkspaceEdit(changes={uri: [silence]}),
                            )
                        )
        return actions

    def _disable_edit(
        self, doc: PhraseDocument, line: int, unit: Unit, rule: str
    ) -> lsp.TextEdit | None:
        """A ``# replycoach: disable=RULE`` comment at the end of the entry's line (.txt and
        .yaml, whose readers honour it), or RULE added to the one already there."""
        if doc.suffix not in (".txt", ".yaml", ".yml") or (
            doc.suffix != ".txt" and unit.span is None
        ):
            return None
        text = doc.lines[line].rstrip("\r\n")
        after = unit.span[1] if unit.span is not None else 0
        present = _DISABLE_AT_END.search(text, after)
        if present is not None:
            new = f",{rule}"
        elif doc.suffix != ".txt" and "#" in text[after:]:
            return None  # another comment ends the line
        else:
            new = f"  # replycoach: disable={rule}"
        end = lsp.Position(line, to_units(text, len(text), self.encoding))
        return lsp.TextEdit(lsp.Range(end, end), new)

    def _suggestion_edit(
        self,
        uri: str,
        doc: PhraseDocument,
        line: int,
        unit: Unit,
        finding: Finding,
        suggestion: str,
    ) -> lsp.WorkspaceEdit | None:
        entry = unit.item
        assert isinstance(entry, Entry)
        new_text = entry.text[: finding.start] + suggestion + entry.text[finding.end :]
        raw = _encoded(doc, line, unit, suggestion, new_text)
        if raw is not None:
            where = self.finding_range(doc, line, unit, finding, self.encoding)
            return lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(where, raw)]})
        new = doc.fixed_text((line, entry), new_text)
        return None if new is None else self._edit(uri, doc, new)

    def _edit(self, uri: str, doc: PhraseDocument, new: str) -> lsp.WorkspaceEdit:
        """One text edit turning the document into ``new``: the lines that differ."""
        old_lines, new_lines = doc.lines, split_lines(new)
        top = 0
        limit = min(len(old_lines), len(new_lines))
        while top < limit and old_lines[top] == new_lines[top]:
            top += 1
        bottom = 0
        while (
            bottom < limit - top
            and old_lines[len(old_lines) - 1 - bottom] == new_lines[len(new_lines) - 1 - bottom]
        ):
            bottom += 1
        end_line = len(old_lines) - bottom
        if end_line >= len(old_lines):
            last = old_lines[-1]
            end = lsp.Position(len(old_lines) - 1, to_units(last, len(last), self.encoding))
        else:
            end = lsp.Position(end_line, 0)
        text = "".join(new_lines[top : len(new_lines) - bottom])
        edit = lsp.TextEdit(lsp.Range(lsp.Position(top, 0), end), text)
        return lsp.WorkspaceEdit(changes={uri: [edit]})


def _encoded(
    doc: PhraseDocument, line: int, unit: Unit, suggestion: str, new_text: str
) -> str | None:
    """``suggestion`` as it must be written inside the entry's token, or None when only
    rewriting the whole token keeps the file right."""
    import json

    suffix = doc.suffix
    entry = unit.item
    assert isinstance(entry, Entry)
    if suffix in (".json", ".jsonl") or (suffix in (".yaml", ".yml") and unit.style == '"'):
        # keep a \u-escaped string \u-escaped, as `replycoach fix` does
        (l1, c1), (l2, c2) = (doc.places(line, unit)[i] for i in (0, len(entry.text)))
        source = doc.lines[l1][c1:c2] if l1 == l2 else ""
        ascii_only = "\\u" in source and source == json.dumps(entry.text)[1:-1]
        return json.dumps(suggestion, ensure_ascii=ascii_only)[1:-1]
    if suffix in (".yaml", ".yml"):
        if unit.style == "'":
            return None if "\n" in suggestion else suggestion.replace("'", "''")
        from ...sources.yamldoc import _plain_ok

        return suggestion if unit.style is None and _plain_ok(new_text) else None
    if suffix == ".csv":
        quoted = doc.lines[line][entry.column - 2 : entry.column - 1] == '"'
        if quoted:
            return suggestion.replace('"', '""')
        return None if any(c in suggestion for c in ',"\r\n') else suggestion
    if suffix == ".tsv":
        return None if any(c in suggestion for c in "\t\r\n") else suggestion
    return None if "\n" in suggestion or "#" in suggestion else suggestion


_DISABLE_AT_END = re.compile(r"#\s*replycoach:\s*disable=[\w,-]+\s*$")


def line_format(doc: PhraseDocument) -> bool:
    """Whether each entry of ``doc`` is found on its own lines (not a JSON/YAML tree)."""
    return doc.suffix not in (".json", ".yaml", ".yml")


def _wanted(only: Sequence[str] | None, kind: str) -> bool:
    """Whether an action of ``kind`` is asked for by ``only`` (a kind asks for its subkinds)."""
    if not only:
        return True
    kinds = [str(getattr(k, "value", k)) for k in only]
    return any(kind == k or kind.startswith(k + ".") for k in kinds)


def _touches(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _column(doc: PhraseDocument, position: lsp.Position, encoding: str) -> int:
    if position.line >= len(doc.lines):
        return 0
    return from_units(doc.lines[position.line], position.character, encoding)


def _path(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri)


def build_server() -> ReplycoachServer:
    """The server with its handlers registered."""
    server = ReplycoachServer()

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: ReplycoachServer, params: lsp.InitializedParams) -> None:
        Engine.default().check("你好")  # load the word list now, not on the first keystroke
        watch = ls.client_capabilities.workspace
        dynamic = watch and watch.did_change_watched_files
        if dynamic and dynamic.dynamic_registration:
            watchers = [
                lsp.FileSystemWatcher(glob_pattern=pattern)
                for pattern in ("**/.replycoach.{yaml,yml}", "**/pyproject.toml", "**/*.{yaml,yml}")
            ]
            ls.client_register_capability(
                lsp.RegistrationParams(
                    [
                        lsp.Registration(
                            "replycoach-watch",
                            lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            lsp.DidChangeWatchedFilesRegistrationOptions(watchers),
                        )
                    ]
                )
            )

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ReplycoachServer, params: lsp.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.open(doc.uri, doc.text, doc.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ReplycoachServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.change(params)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ReplycoachServer, params: lsp.DidSaveTextDocumentParams) -> None:
        if ls.watched(_path(params.text_document.uri)):
            ls.reload()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ReplycoachServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.documents.pop(uri, None)
        ls.versions.pop(uri, None)
        ls.publish(uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: ReplycoachServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        if any(ls.watched(_path(change.uri)) for change in params.changes):
            ls.reload()

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL]),
    )
    def code_action(ls: ReplycoachServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return ls.code_actions(params)

    return server


def main() -> int:
    """Serve over stdin/stdout until the client says exit."""
    build_server().start_io()
    return 0
