"""The audit's HTML report in headless Chromium: renders without console errors, the agent
table sorts, the worst conversations show flagged spans and suggestions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from replycoach.cli import main

from .conftest import ROOT, browser_page
from .test_demo_page import CHROMIUM

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")


def test_report_renders_and_sorts(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code = main(
        [
            "audit",
            str(ROOT / "examples" / "transcripts.jsonl"),
            "--html",
            str(report),
            "-q",
            "--fail-on",
            "never",
        ],
        out=io.StringIO(),
        err=io.StringIO(),
    )
    assert code == 0
    assert CHROMIUM is not None
    with browser_page(CHROMIUM) as (page, problems):
        page.on(
            "request",
            lambda r: (
                problems.append("fetched " + r.url)
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        page.goto(report.as_uri())
        assert page.locator("svg").count() == 2
        header = page.locator("#agents th").nth(3)  # 问题数
        header.click()
        values = [float(v) for v in page.locator("#agents tbody td:nth-child(4)").all_inner_texts()]
        assert values == sorted(values)
        header.click()
        values = [float(v) for v in page.locator("#agents tbody td:nth-child(4)").all_inner_texts()]
        assert values == sorted(values, reverse=True)
        assert page.locator(".conv").count() >= 3
        assert page.locator(".conv .note").count() > 0 and page.locator(".msg.agent").count() > 0
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert problems == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
