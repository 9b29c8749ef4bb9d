"""Every HTML page is served under a strict CSP and loads nothing from another host.

Residents are promised "no third-party requests from the browser" (DESIGN.md), and the CSP
has no 'unsafe-inline', so an inline script or style would break the page in a browser. The
test crawls the site the way each kind of user sees it (anonymous, resident, moderator),
following every same-site link, and checks the headers and the HTML of each page.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

LINK = re.compile(r"""<a\s[^>]*href=["']([^"'#][^"']*)["']""", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STYLESHEET = re.compile(r"<link\b([^>]*)>", re.IGNORECASE)
SRC = re.compile(r"""\bsrc=["']([^"']*)["']""", re.IGNORECASE)
HREF = re.compile(r"""\bhref=["']([^"']*)["']""", re.IGNORECASE)
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
INLINE_STYLE = re.compile(r"""<[a-z][^>]*\sstyle=["']|<style\b""", re.IGNORECASE)

#: Pages reached by forms or redirects rather than links, and allauth pages behind buttons.
SEEDS = [
    "/",
    "/projects/",
    "/projects/?theme=air&sort=title",
    "/cities/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/logout/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/recovery-codes/",
    "/account/tokens/",
    "/projects/new/",
    "/projects/mine/",
    "/projects/moderation/",
    "/accounts/reauthenticate/",
    "/accounts/password/reset/key/1-bad-key/",
    "/accounts/confirm-email/bad-key/",
    "/admin/",
    "/admin/login/?next=/admin/",
    "/does-not-exist/",
]

#: Never followed: they change state on GET-less forms, or are not pages.
SKIP = ("/static/", "/media/", "/i18n/", "/api/", "/accounts/logout/")


def _crawl(client: Client, *, limit: int = 150) -> dict[str, object]:
    """Fetch the seeds and every same-site link from them; return path → response."""
    seen: dict[str, object] = {}
    queue = deque(SEEDS)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            queue.append(response["Location"])
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in LINK.findall(response.content.decode()):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/"):
                continue
            if href.startswith(SKIP) or href in seen:
                continue
            queue.append(href)
    return seen


def _problems(url: str, response) -> list[str]:
    """What is wrong with one HTML page's headers and markup."""
    found = []
    csp = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    if "'self'" not in directives.get("script-src", []):
        found.append(f"{url}: no script-src 'self' in {csp!r}")
    if "'unsafe-inline'" in directives.get("script-src", []) or "'unsafe-eval'" in csp:
        found.append(f"{url}: script-src allows inline or eval")
    if "'unsafe-inline'" in directives.get("style-src", []):
        found.append(f"{url}: style-src allows inline styles")
    if directives.get("frame-ancestors") != ["'none'"]:
        found.append(f"{url}: frame-ancestors is not 'none'")
    if response.get("X-Frame-Options") != "DENY":
        found.append(f"{url}: X-Frame-Options is {response.get('X-Frame-Options')!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        found.append(f"{url}: no X-Content-Type-Options: nosniff")
    if not response.get("Referrer-Policy"):
        found.append(f"{url}: no Referrer-Policy")
    html = response.content.decode()
    for attributes in SCRIPT.findall(html):
        src = SRC.search(attributes)
        if src and EXTERNAL.match(src.group(1)):
            found.append(f"{url}: script from another host {src.group(1)}")
        if not src and "application/json" not in attributes.lower():
            found.append(f"{url}: inline <script{attributes}>")
    for attributes in STYLESHEET.findall(html):
        href = HREF.search(attributes)
        if href and EXTERNAL.match(href.group(1)):
            found.append(f"{url}: <link> to another host {href.group(1)}")
    if INLINE_STYLE.search(html):
        found.append(f"{url}: inline style: {INLINE_STYLE.search(html).group(0)}")
    return found


@pytest.fixture
def site(published, draft, submitted) -> None:
    """Published and unpublished projects, so detail, edit and moderation pages exist."""


def _log_in(client: Client, user) -> list[tuple[str, object]]:
    """Sign in through the real form (so allauth records a fresh login and reauthentication
    pages render); return the pages met on the way, e.g. the two-factor prompt."""
    met = []
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": "correct horse battery staple"}
    )
    if response.status_code == 302 and "/2fa/" in response["Location"]:
        met.append((response["Location"], client.get(response["Location"])))
        client.force_login(user)  # the TOTP code itself is tested in test_accounts
    else:
        # Re-entering the password opens the pages that change two-factor settings.
        client.post("/accounts/reauthenticate/", {"password": "correct horse battery staple"})
    return met


@pytest.mark.parametrize("who", ["anonymous", "alice", "dave"])
def test_it_serves_every_html_page_with_strict_headers_and_no_foreign_assets(
    site, request, client: Client, who: str
) -> None:
    """Crawled per role: each sees different pages (forms, moderation, the admin)."""
    met = []
    if who != "anonymous":
        met = _log_in(client, request.getfixturevalue(who))
    pages = dict(met) | _crawl(client)
    html_pages = {url: r for url, r in pages.items() if "text/html" in r.get("Content-Type", "")}
    assert len(html_pages) >= 15, sorted(pages)
    if who == "dave":
        assert any("/2fa/authenticate/" in url for url in pages)
    if who == "alice":
        assert pages["/accounts/2fa/totp/activate/"].status_code == 200
    errors = [e for url, r in html_pages.items() for e in _problems(url, r)]
    assert errors == []
    server_errors = [url for url, r in pages.items() if r.status_code >= 500]
    assert server_errors == []


def test_it_keeps_scripts_strict_on_the_api_docs_page(db, client: Client) -> None:
    """Swagger UI needs inline styles, but its scripts come from our own static files."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    html = response.content.decode()
    for attributes in SCRIPT.findall(html):
        src = SRC.search(attributes)
        assert src, f"inline script on the docs page: <script{attributes}>"
        assert not EXTERNAL.match(src.group(1))
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200
    assert "javascript" in init["Content-Type"]


def test_it_allows_map_tiles_only_from_the_configured_tile_server(db, client: Client) -> None:
    """The tile server is the one third party the browser may contact, and only for images."""
    from django.conf import settings

    tile_origin = "/".join(settings.MAP_TILE_URL.split("/")[:3])
    csp = client.get("/")["Content-Security-Policy"]
    img_src = next(p for p in csp.split(";") if p.strip().startswith("img-src"))
    assert tile_origin in img_src
    others = [p for p in csp.split(";") if not p.strip().startswith("img-src")]
    assert all(tile_origin not in p for p in others)
