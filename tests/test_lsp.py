"""``replycoach lsp`` end to end: a real LSP client (pytest-lsp) drives the server over stdio."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from replycoach.cli import main  # noqa: E402

SERVER = [sys.executable, "-m", "replycoach.cli", "lsp"]
WAIT = 60  # seconds: a server that stops answering fails the test instead of hanging it


def accept_registrations(client: LanguageClient) -> None:
    """Answer the server's ``client/registerCapability`` (the file watcher) as editors do."""

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        client.registrations = params.registrations  # type: ignore[attr-defined]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    accept_registrations(lsp_client)
    params = lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    await asyncio.wait_for(lsp_client.initialize_session(params), WAIT)
    yield
    await lsp_client.shutdown_session()


async def code_actions(
    client: LanguageClient, params: lsp.CodeActionParams
) -> list[lsp.Command | lsp.CodeAction] | None:
    return await asyncio.wait_for(client.text_document_code_action_async(params), WAIT)


async def published(client: LanguageClient, uri: str, before: object) -> list[lsp.Diagnostic]:
    """Wait until diagnostics of ``uri`` newer than ``before`` arrive. (The client's record is
    read, not the next notification: a reload publishes a burst, read in one go.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while client.diagnostics.get(uri) is before:
        if loop.time() > deadline:
            raise TimeoutError(f"no diagnostics for {uri} within {WAIT} s")
        await asyncio.sleep(0.005)
    return list(client.diagnostics[uri])


async def opened(client: LanguageClient, path: Path, text: str) -> list[lsp.Diagnostic]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    before = client.diagnostics.get(uri)
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="plaintext", version=1, text=text)
        )
    )
    return await published(client, uri, before)


async def changed(
    client: LanguageClient, path: Path, version: int, at: lsp.Range, text: str
) -> list[lsp.Diagnostic]:
    uri = path.as_uri()
    before = client.diagnostics.get(uri)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [lsp.TextDocumentContentChangePartial(range=at, text=text)],
        )
    )
    return await published(client, uri, before)


def changed_config(client: LanguageClient, config: Path) -> None:
    event = lsp.FileEvent(config.as_uri(), lsp.FileChangeType.Changed)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams([event]))


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """``text`` with LSP edits applied (positions in UTF-16 units), as an editor would."""
    lines = text.splitlines(keepends=True)

    def offset(p: lsp.Position) -> int:
        line = lines[p.line] if p.line < len(lines) else ""
        units = 0
        col = 0
        while col < len(line) and units < p.character:
            units += 2 if ord(line[col]) > 0xFFFF else 1
            col += 1
        return sum(map(len, lines[: p.line])) + col

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def span(d: lsp.Diagnostic) -> tuple[int, int, int, int]:
    r = d.range
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def at(line: int, start: int, end: int | None = None) -> lsp.Range:
    return lsp.Range(lsp.Position(line, start), lsp.Position(line, start if end is None else end))


@pytest.mark.asyncio(loop_scope="module")
async def test_diagnostics_on_open_and_change_in_utf16(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = tmp_path / "replies.txt"
    found = await opened(client, path, "😀你好\n好的\n")
    [d] = found
    assert d.code == "honorific-you"
    assert span(d) == (0, 2, 0, 3)  # the emoji is two UTF-16 code units
    assert d.severity == lsp.DiagnosticSeverity.Warning
    assert d.source == "replycoach"
    assert d.code_description is not None
    assert d.code_description.href.endswith("rules.md#honorific-you")
    assert d.related_information and "出处" in d.related_information[0].message
    assert d.related_information[0].location.uri.endswith(".yaml")
    assert "您" in d.message

    found = await changed(client, path, 2, at(1, 0), "我保证")
    assert sorted((d.code, span(d)) for d in found) == [
        ("absolute-promise", (1, 1, 1, 3)),
        ("honorific-you", (0, 2, 0, 3)),
    ]
    found = await changed(client, path, 3, at(0, 0, 4), "")  # the whole first reply deleted
    assert [(d.code, span(d)) for d in found] == [("absolute-promise", (1, 1, 1, 3))]


@pytest.mark.asyncio(loop_scope="module")
async def test_table_columns_scenes_and_inline_disable(
    client: LanguageClient, tmp_path: Path
) -> None:
    table = '分组,话术,场景\n欢迎,"好的，""马上""给你发",欢迎语\n售后,我保证,售后\n'
    found = await opened(client, tmp_path / "library.csv", table)
    by_rule = {d.code: span(d) for d in found}
    assert by_rule["missing-greeting"][0] == 1  # 欢迎语 makes it the first reply
    assert by_rule["honorific-you"] == (1, 14, 1, 15)  # after the doubled quotes
    assert by_rule["absolute-promise"] == (2, 4, 2, 6)

    text = "# replycoach: disable=honorific-you\n你好\n你好  # replycoach: disable=all\n你好\n"
    found = await opened(client, tmp_path / "notes.txt", text)
    assert [span(d) for d in found] == [(3, 0, 3, 1)]

    # escaped quotes before the word shift its column (a quoted 你 would be quoted copy)
    found = await opened(client, tmp_path / "lib.json", '["他\\"说\\"你好"]')
    assert [(d.code, span(d)) for d in found] == [("honorific-you", (0, 8, 0, 9))]

    found = await opened(client, tmp_path / "broken.json", '["你好",\n')
    assert [d.code for d in found] == ["input-error"]


@pytest.mark.asyncio(loop_scope="module")
async def test_quick_fix_and_fix_all(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "fix.yaml"
    text = "欢迎语:\n  - 你好，我保证发货\n  - '你看呢'\n"
    found = await opened(client, path, text)
    promise = next(d for d in found if d.code == "absolute-promise")
    actions = await code_actions(
        client,
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(path.as_uri()),
            promise.range,
            lsp.CodeActionContext([promise]),
        ),
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, lsp.CodeAction)]
    assert "将“保证”改为“尽量”（absolute-promise）" in titles
    quick = next(a for a in actions if isinstance(a, lsp.CodeAction) and "尽量" in a.title)
    assert quick.kind == lsp.CodeActionKind.QuickFix
    assert list(quick.diagnostics or []) == [promise]
    assert quick.edit is not None and quick.edit.changes is not None
    [edit] = quick.edit.changes[path.as_uri()]
    assert edit.new_text == "尽量" and edit.range == promise.range

    actions = await code_actions(
        client,
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(path.as_uri()),
            at(0, 0),
            lsp.CodeActionContext([], only=[lsp.CodeActionKind.SourceFixAll]),
        ),
    )
    assert actions is not None
    [fix_all] = actions
    assert isinstance(fix_all, lsp.CodeAction)
    assert fix_all.kind == "source.fixAll.replycoach"
    assert fix_all.edit is not None and fix_all.edit.changes is not None
    fixed = apply_edits(text, fix_all.edit.changes[path.as_uri()])
    out = io.StringIO()
    assert main(["fix", "--stdout", "--no-config", str(path)], out=out, err=io.StringIO()) == 0
    assert fixed == out.getvalue() == "欢迎语:\n  - 您好，我保证发货\n  - '您看呢'\n"


@pytest.mark.asyncio(loop_scope="module")
async def test_configuration_and_reload(client: LanguageClient, tmp_path: Path) -> None:
    config = tmp_path / "shop" / ".replycoach.yaml"
    config.parent.mkdir()
    config.write_text("disable: [honorific-you]\n", encoding="utf-8")
    path = tmp_path / "shop" / "replies.txt"
    found = await opened(client, path, "你好，我保证\n")
    assert [d.code for d in found] == ["absolute-promise"]
    [watch] = client.registrations  # type: ignore[attr-defined]
    assert watch.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = [w["globPattern"] for w in watch.register_options["watchers"]]
    assert "**/.replycoach.{yaml,yml}" in globs and "**/*.{yaml,yml}" in globs

    config.write_text("severity: {honorific-you: error}\n", encoding="utf-8")
    before = client.diagnostics.get(path.as_uri())
    changed_config(client, config)
    found = await published(client, path.as_uri(), before)
    severity = {d.code: d.severity for d in found}
    assert severity == {
        "honorific-you": lsp.DiagnosticSeverity.Error,
        "absolute-promise": lsp.DiagnosticSeverity.Warning,
    }

    rules = tmp_path / "shop" / "team.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: no-haode\n"
        "    kind: existence\n"
        "    severity: info\n"
        "    message: 少用“{match}”。\n"
        "    words: [好的]\n"
        "    source: {file: team.md, passage: 少用好的}\n"
        "    examples: {flag: [{text: 好的}], clean: [您好]}\n",
        encoding="utf-8",
    )
    config.write_text(
        "rule-files: [team.yaml]\nexclude: [archive/*]\nper-path-ignores: {'old/*': ['*']}\n",
        encoding="utf-8",
    )
    before = client.diagnostics.get(path.as_uri())
    client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(config.as_uri()))
    )
    found = await published(client, path.as_uri(), before)
    assert [d.code for d in found] == ["honorific-you", "absolute-promise"]
    found = await changed(client, path, 2, at(0, 0), "好的，")
    assert [d.code for d in found] == ["no-haode", "honorific-you", "absolute-promise"]
    assert await opened(client, tmp_path / "shop" / "archive" / "a.txt", "你好\n") == []
    assert await opened(client, tmp_path / "shop" / "old" / "a.txt", "你好\n") == []

    config.write_text("severity: {honorific-you: fatal}\n", encoding="utf-8")
    before = client.diagnostics.get(path.as_uri())
    changed_config(client, config)
    found = await published(client, path.as_uri(), before)  # the default rules, and a message
    assert [d.code for d in found] == ["honorific-you", "absolute-promise"]
    [message] = [m for m in client.messages if ".replycoach.yaml:1:" in m.message]
    assert message.type == lsp.MessageType.Error and "'fatal'" in message.message


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def utf32_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    capabilities = lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf32])
    )
    result = await asyncio.wait_for(
        lsp_client.initialize_session(lsp.InitializeParams(capabilities=capabilities)), WAIT
    )
    assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf32
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_negotiated_utf32_positions(utf32_client: LanguageClient, tmp_path: Path) -> None:
    found = await opened(utf32_client, tmp_path / "a.txt", "😀你好\n")
    assert [span(d) for d in found] == [(0, 1, 0, 2)]
    found = await changed(utf32_client, tmp_path / "a.txt", 2, at(0, 1), "😀")
    assert [span(d) for d in found] == [(0, 2, 0, 3)]


def test_lsp_command_without_pygls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "replycoach.service.lsp.server", None)
    err = io.StringIO()
    assert main(["lsp"], out=io.StringIO(), err=err) == 2
    assert 'pip install "replycoach[lsp]"' in err.getvalue()


FIX_ALL_CASES = {
    "a.txt": "你好\n# replycoach: disable=honorific-you\n你好\n😀你们好，你看\n",
    "a.csv": '话术,场景\n"你好,请稍等",售中\n你看呢,售中\n"他说""你好""",售后\n',
    "a.tsv": "话术\t场景\n你好\t售中\n",
    "a.json": '{"售中": ["你好", "\\u4f60\\u770b", {"text": "他说\\"你\\"", "场景": "结束语"}]}\n',
    "a.jsonl": '"你好"\n{"话术": "你看 😀 你"}\n',
    "a.yaml": "售中:\n  - 你好  # replycoach: disable=absolute-promise\n"
    "  - '你''好'\n  - \"你\\t好\"\n",
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("name", sorted(FIX_ALL_CASES))
async def test_fix_all_matches_replycoach_fix(
    client: LanguageClient, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    text = FIX_ALL_CASES[name]
    await opened(client, path, text)
    actions = await code_actions(
        client,
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(path.as_uri()),
            at(0, 0),
            lsp.CodeActionContext([], only=[lsp.CodeActionKind.SourceFixAll]),
        ),
    )
    assert actions
    [fix_all] = actions
    assert isinstance(fix_all, lsp.CodeAction) and fix_all.edit and fix_all.edit.changes
    fixed = apply_edits(text, list(fix_all.edit.changes[path.as_uri()]))
    out = io.StringIO()
    assert main(["fix", "--stdout", "--no-config", str(path)], out=out, err=io.StringIO()) == 0
    assert fixed == out.getvalue()
    assert fixed != text


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("name", "text", "silenced"),
    [
        ("a.txt", "😀你好，我保证\n", "😀你好，我保证  # replycoach: disable=honorific-you\n"),
        (
            "b.txt",
            "你好 # replycoach: disable=absolute-promise\n",
            "你好 # replycoach: disable=absolute-promise,honorific-you\n",
        ),
        ("c.yaml", "- '你好'\n", "- '你好'  # replycoach: disable=honorific-you\n"),
    ],
)
async def test_quick_fix_silences_a_rule_for_one_entry(
    client: LanguageClient, tmp_path: Path, name: str, text: str, silenced: str
) -> None:
    path = tmp_path / name
    found = await opened(client, path, text)
    target = next(d for d in found if d.code == "honorific-you")
    actions = await code_actions(
        client,
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(path.as_uri()), target.range, lsp.CodeActionContext([target])
        ),
    )
    assert actions is not None
    [silence] = [a for a in actions if isinstance(a, lsp.CodeAction) and "不再检查" in a.title]
    assert silence.edit is not None and silence.edit.changes is not None
    fixed = apply_edits(text, list(silence.edit.changes[path.as_uri()]))
    assert fixed == silenced
    found = await opened(client, tmp_path / f"again-{name}", fixed)
    assert "honorific-you" not in {d.code for d in found}
