"""Browser fixtures: the system Chromium driven by Playwright's sync API, against pytest-django's
live server. Any app's browser tests can use ``browser``, ``page`` and ``login``.

Playwright's sync API keeps an asyncio loop running in the test thread, and Django refuses ORM
calls from a thread with a running loop. The ``browser`` fixture therefore sets
DJANGO_ALLOW_ASYNC_UNSAFE for as long as Chromium is up, and only then: the test's own ORM calls
are ordinary synchronous code, just in a thread Django cannot tell apart from an async one.

``browser`` is function-scoped on purpose. Django keeps connections per async context, so a
browser started before pytest-django's database set-up would make that set-up (serialized
rollback, the flush afterwards) run on a different connection from the one holding the test
database's saved contents, and the roles and 本单位 created by migrations would be lost for the
tests that follow. Started after it, each test costs one Chromium launch (about half a second).

Browser tests use ``@pytest.mark.django_db(transaction=True, serialized_rollback=True)``:
the live server reads committed data, and the flush after each test must restore the data the
migrations created.

Chromium is never downloaded (no ``playwright install``): the system package is used, and its
absence fails the test with a message saying how to get it. ``make test`` installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium (override with CHROMIUM_PATH); fail loudly when it is missing."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        found = shutil.which("chromium")
        pytest.fail(
            f"Chromium not found at {path}"
            + (f" (there is one at {found}: set CHROMIUM_PATH={found})" if found else "")
            + ". The browser tests need the system Chromium: run `make test` (installs it as root)"
            " or `sudo apt-get install chromium fonts-noto-cjk`.",
            pytrace=False,
        )
    return path


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless system Chromium, one per test."""
    path = chromium_path()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
                # ORM calls made while the loop ran used their own connection: close it here,
                # or it outlives the test and keeps the test database from being dropped.
                connections.close_all()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) in Beijing time with Chinese preferred. The test
    fails if the page raised a JavaScript error or logged one to the console."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1360, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(f"pageerror: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            js_errors.append(f"console: {message.text} at {message.location.get('url', '')}")

    page.on("console", on_console)
    try:
        yield page
    finally:
        context.close()
    assert not js_errors, "JavaScript errors on the page:\n" + "\n".join(js_errors)


@pytest.fixture
def login(page: Page, live_server) -> Callable[[str, str], Page]:
    """``login(username, password)``: sign in through the real login form; returns the page."""

    def _login(username: str, password: str) -> Page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click(".login form button[type=submit]")
        return page

    return _login
