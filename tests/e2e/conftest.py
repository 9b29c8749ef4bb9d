"""Fixtures for end-to-end tests in a real headless Chromium driven by Playwright.

The browser is Debian's /usr/bin/chromium (packages chromium + chromium-driver): Playwright
never downloads a browser of its own here. When the binary is missing the tests fail with a
message saying how to install it; they are not skipped.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Root needs --no-sandbox; the network flags keep Chromium from calling home on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# A 1×1 transparent PNG served in place of every map tile, so no test talks to the tile server.
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def browser():
    """A Chromium per test, started and stopped inside it.

    While Playwright's sync API runs, the code after its start sees another `contextvars`
    context, where Django's connections are other objects than pytest-django's. Kept to one
    test, that cannot leak: with a browser per module, the next transactional test missed the
    migration rows its `serialized_rollback` should have reloaded.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with "
            "`apt-get install chromium chromium-driver` (.ci/run does this).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls made by the test
    # and by pytest-django between pages are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
            # Database connections opened in that context belong to no one else: close them,
            # or the test database cannot be dropped at the end of the session.
            from django.db import connections

            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _static_from_finders(settings):
    """Serve static files by their plain names, as `live_server` finds them.

    In production mode (DATABASE_URL set, DEBUG off) the settings pick whitenoise's manifest
    storage, whose hashed names only exist after collectstatic; the live server's static
    handler looks files up through the finders instead.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class Traffic:
    """What the page asked for while a test ran."""

    requests: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def page(browser, live_server, settings, traffic):
    """A fresh browser page whose every request is recorded and checked.

    Requests to the live server go through; map tiles are answered with a blank tile here (the
    tile server is the one third party the site may use); anything else is recorded as foreign
    and blocked, and the test asserts there was none.
    """
    tile_url = settings.MAP_TILE_URL
    tile_origin = "/".join(tile_url.split("/")[:3]) + "/" if "://" in tile_url else None

    def route(route):
        url = route.request.url
        if url.startswith(live_server.url + "/"):
            route.continue_()
        elif tile_origin and url.startswith(tile_origin):
            traffic.tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
        else:
            traffic.foreign.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.route("**/*", route)
    new_page = context.new_page()
    new_page.on("request", lambda request: traffic.requests.append(request.url))
    new_page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
    new_page.on(
        "console",
        lambda message: (
            traffic.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield new_page
    context.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot to tests/artifacts/<test>-<name>.png for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
