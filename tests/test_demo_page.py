"""The demo page in headless Chromium (Debian's package, driven by Playwright): a person types
a reply, picks the position, sees the flagged spans and applies a suggestion by a click."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")


from replycoach import Engine  # noqa: E402
from replycoach.service import Service  # noqa: E402
from replycoach.service.http import create_app  # noqa: E402

from .conftest import browser_page, running_server  # noqa: E402

CHROMIUM = (
    os.environ.get("REPLYCOACH_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium installed (apt-get install chromium; .ci/run does)"
)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running_server(create_app(Service(Engine.default), token="t0k")) as base:
        yield base


def test_type_see_and_fix(url: str, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    with browser_page(CHROMIUM) as (page, problems):
        page.goto(url + "/#token=t0k")

        # the initial example is checked at once
        page.wait_for_selector("#findings li[data-rule='honorific-you']")
        marks = page.locator("#preview mark")
        assert marks.count() == 3
        assert marks.nth(0).inner_text() == "保证"

        # a reply with emoji: spans are code points, highlights must land on the right text
        page.fill("#reply", "🙂🙂你好，我保证明天发货")
        page.select_option("#position", "first")
        page.wait_for_selector("#preview mark[data-rule='honorific-you']")
        page.wait_for_function("document.querySelectorAll('#preview mark').length === 2")
        texts = [marks.nth(i).inner_text() for i in range(marks.count())]
        assert texts == ["你", "保证"]
        items = page.locator("#findings li")
        assert "称呼顾客请用“您”" in items.first.inner_text()

        # click the suggested rewrite of 你
        page.locator("#findings li[data-rule='honorific-you'] button.suggestion").click()
        page.wait_for_function(
            "document.querySelector('#reply').value === '🙂🙂您好，我保证明天发货'"
        )
        page.wait_for_function(
            "!document.querySelector(\"#findings li[data-rule='honorific-you']\")"
        )

        # choose a suggestion for 保证 from several: 尽量
        page.locator(
            "#findings li[data-rule='absolute-promise'] button.suggestion", has_text="尽量"
        ).click()
        page.wait_for_selector("#findings li.clean")
        assert page.input_value("#reply") == "🙂🙂您好，我尽量明天发货"
        page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
    assert (tmp_path / "demo.png").stat().st_size > 5000
    assert problems == []
