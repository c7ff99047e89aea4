"""``replycoach lsp`` in a real editor: Debian's neovim, headless, with its built-in LSP client.

The script opens a phrase file, waits for ``vim.diagnostic.get()``, applies a quick fix and
the fix-all action through ``vim.lsp.buf.code_action`` (choosing from the menu as a user
would), and reports the buffer. It uses only what neovim 0.7 (Debian 12) has:
``vim.lsp.start_client`` + ``buf_attach_client`` (``vim.lsp.start`` is 0.8+).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="neovim (nvim) is not installed")

SCRIPT = r"""
local out = {}
local function finish()
  local f = io.open(os.getenv("RC_OUT"), "w")
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd("qa!")
end
local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("RC_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = "replycoach",
    cmd = vim.fn.json_decode(os.getenv("RC_CMD")),
    root_dir = vim.fn.fnamemodify(os.getenv("RC_FILE"), ":h"),
  })
  vim.lsp.buf_attach_client(buf, id)
  local function codes()
    local list = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(list, { code = d.code, lnum = d.lnum, col = d.col, end_col = d.end_col,
                           severity = d.severity, source = d.source })
    end
    table.sort(list, function(a, b) return a.lnum * 1000 + a.col < b.lnum * 1000 + b.col end)
    return list
  end
  out.ready = vim.wait(30000, function() return #vim.diagnostic.get(buf) >= 3 end, 50)
  out.before = codes()

  local wanted
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      if string.find(item[2].title, wanted, 1, true) then
        return on_choice(item)
      end
    end
    out.missing = wanted
    on_choice(nil)
  end
  local function line(n) return vim.api.nvim_buf_get_lines(buf, n, n + 1, false)[1] end

  -- a quick fix at the cursor: the first reply's 你 (byte column 4, after the emoji)
  vim.api.nvim_win_set_cursor(0, { 1, 4 })
  wanted = "改为“您”"
  vim.lsp.buf.code_action()
  out.quick = vim.wait(10000, function() return line(0) == "😀您好，我保证" end, 50)
  -- every safe fix in the file
  wanted = "修复全部"
  vim.lsp.buf.code_action({ only = { "source.fixAll" } })
  out.fix_all = vim.wait(10000, function() return line(1) == "您看呢" end, 50)
  out.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  out.cleared = vim.wait(10000, function() return #vim.diagnostic.get(buf) == 1 end, 50)
  out.after = codes()
end)
if not ok then out.error = tostring(err) end
finish()
"""


def test_neovim_diagnostics_and_code_actions(tmp_path: Path) -> None:
    assert NVIM is not None
    phrases = tmp_path / "replies.txt"
    phrases.write_text("😀你好，我保证\n你看呢\n", encoding="utf-8")
    script = tmp_path / "drive.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "RC_FILE": str(phrases),
        "RC_OUT": str(out),
        "RC_CMD": json.dumps([sys.executable, "-m", "replycoach.cli", "lsp"]),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [NVIM, "--headless", "--clean", "-n", "-c", f"luafile {script}"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), (proc.stdout, proc.stderr)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert result["ready"], result
    # neovim counts columns in bytes: the emoji is 4 bytes (2 UTF-16 units on the wire)
    assert [(d["code"], d["lnum"], d["col"], d["end_col"]) for d in result["before"]] == [
        ("honorific-you", 0, 4, 7),
        ("absolute-promise", 0, 16, 22),
        ("honorific-you", 1, 0, 3),
    ]
    assert {d["source"] for d in result["before"]} == {"replycoach"}
    assert result["before"][0]["severity"] == 2  # vim.diagnostic.severity.WARN
    assert result["quick"] and result["fix_all"], result
    assert result["lines"] == ["😀您好，我保证", "您看呢"]
    assert result["cleared"], result
    assert [d["code"] for d in result["after"]] == ["absolute-promise"]
