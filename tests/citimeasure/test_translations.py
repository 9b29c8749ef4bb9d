"""Dutch translations: the catalogue is complete and compiled, pages follow the visitor's
language (cookie or Accept-Language header), and the language switcher changes it.

The .po file is read with the standard library only (no polib in the test dependencies).
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# Nav, skip link, language switcher and footer, in English and in Dutch.
ENGLISH_CHROME = [
    "Skip to content",
    "Catalogue",
    "Cities",
    "Log in",
    "Sign up",
    "CitiMeasure is open-source software for citizen measurement.",
    "API documentation",
]
DUTCH_CHROME = [
    "Naar de inhoud",
    "Catalogus",
    "Steden",
    "Inloggen",
    "Registreren",
    "CitiMeasure is opensourcesoftware voor burgermetingen.",
    "API-documentatie",
]
PAGES = ["/", "/projects/", "/accounts/login/"]


# --- the .po file -----------------------------------------------------------------------


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    line: int = 0


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_CONTINUATION = re.compile(r'^(".*")\s*$')


def _parse_po(path: Path) -> list[Entry]:
    """Return the active (non-obsolete) entries of a .po file, header included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None and (current.msgstr or current.msgid):
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue  # obsolete entry
        if current is None:
            current = Entry(line=number)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            name, index, literal = keyword.groups()
            if name in ("msgctxt", "msgid") and (current.msgstr or current.msgid):
                finish()  # a new entry without a blank line before it
                current = Entry(line=number)
            text = ast.literal_eval(literal)
            if name == "msgid":
                current.msgid, target = text, ("msgid", None)
            elif name == "msgid_plural":
                current.msgid_plural, target = text, ("msgid_plural", None)
            elif name == "msgctxt":
                current.msgctxt, target = text, ("msgctxt", None)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = text, ("msgstr", slot)
            continue
        continuation = _CONTINUATION.match(line)
        assert continuation and target, f"{path.name}:{number}: cannot parse {raw!r}"
        text = ast.literal_eval(continuation.group(1))
        kind, slot = target
        if kind == "msgid":
            current.msgid += text
        elif kind == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        elif kind == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + text
        elif kind == "msgstr":
            current.msgstr[slot] += text
    finish()
    return entries


def _messages() -> list[Entry]:
    return [entry for entry in _parse_po(PO_FILE) if entry.msgid != ""]


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdrf]|%%|%[sdrf]|\{\{.*?\}\}|</?[a-zA-Z][^>]*>")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def test_the_dutch_catalogue_exists_and_has_messages() -> None:
    assert PO_FILE.is_file(), "run makemessages -l nl"
    assert len(_messages()) > 100


def test_every_dutch_message_is_translated() -> None:
    untranslated = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in _messages()
        if not entry.msgstr
        or not all(text.strip() for text in entry.msgstr.values())
        or (entry.msgid_plural is not None and sorted(entry.msgstr) != [0, 1])
    ]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)


def test_no_dutch_message_is_fuzzy() -> None:
    fuzzy = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in _parse_po(PO_FILE)
        if "fuzzy" in entry.flags
    ]
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)


def test_dutch_messages_keep_placeholders_and_line_ends() -> None:
    problems = []
    for entry in _messages():
        sources = {0: entry.msgid, 1: entry.msgid_plural or entry.msgid}
        for slot, text in entry.msgstr.items():
            source = sources[min(slot, 1)]
            if _placeholders(source) != _placeholders(text):
                problems.append(f"line {entry.line}: placeholders differ in {text!r}")
            if source.endswith("\n") != text.endswith("\n"):
                problems.append(f"line {entry.line}: trailing newline differs in {text!r}")
    assert not problems, "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """django.mo must be rebuilt (compilemessages) whenever django.po changes."""
    assert MO_FILE.is_file(), "run compilemessages"
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _messages():
        ctx = entry.msgctxt
        if entry.msgid_plural is None:
            found = [compiled.pgettext(ctx, entry.msgid) if ctx else compiled.gettext(entry.msgid)]
        else:
            found = [
                compiled.npgettext(ctx, entry.msgid, entry.msgid_plural, n)
                if ctx
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        ok = found == [entry.msgstr[slot] for slot in range(len(found))]
        if not ok:
            stale.append(f"line {entry.line}: {entry.msgid!r}")
    assert not stale, "django.mo is out of date for:\n" + "\n".join(stale)


# --- pages in Dutch -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate a language for the thread; do not leak it into other tests."""
    before = translation.get_language()
    yield
    if before:
        translation.activate(before)
    else:
        translation.deactivate()


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _chrome_words(html: str) -> set[str]:
    """Visible texts of the elements every page shares: skip link, nav and footer."""
    blocks = re.findall(
        r'<a class="skip-link".*?</a>|<nav class="nav".*?</nav>|<footer.*?</footer>', html, re.S
    )
    text = re.sub(r"<[^>]+>", "\n", " ".join(blocks))
    return {line.strip() for line in text.splitlines() if line.strip()}


def _assert_dutch(html: str) -> None:
    assert '<html lang="nl">' in html
    words = _chrome_words(html)
    for dutch in DUTCH_CHROME:
        assert dutch in html, f"missing Dutch {dutch!r}"
    english = [text for text in ENGLISH_CHROME if text in words]
    assert not english, f"English left in the page chrome: {english}"


def _assert_english(html: str) -> None:
    assert '<html lang="en">' in html
    words = _chrome_words(html)
    for text in ENGLISH_CHROME:
        assert text in words, f"missing English {text!r}"
    assert "Catalogus" not in words


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_the_language_cookie_shows_pages_in_dutch(published, client: Client, path: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    _assert_dutch(_text(client.get(path)))


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_the_accept_language_header_shows_pages_in_dutch(
    published, client: Client, path: str
) -> None:
    _assert_dutch(_text(client.get(path, HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9,en;q=0.5")))


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_pages_stay_english_by_default(published, client: Client, path: str) -> None:
    _assert_english(_text(client.get(path)))


@pytest.mark.django_db
def test_page_content_is_dutch_too(published, client: Client) -> None:
    """Not only the chrome: headings, filters, choices and counts are translated."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    home = _text(client.get("/"))
    assert "Burgermetingen, stad voor stad" in home
    assert "Citizen measurement, city by city" not in home
    catalogue = _text(client.get("/projects/"))
    for dutch in ("Catalogus van meetinitiatieven", "Initiatieven tonen", "1 meetinitiatief"):
        assert dutch in catalogue
    for english in ("Catalogue of initiatives", "Show initiatives", "1 initiative<"):
        assert english not in catalogue


# --- the language switcher ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_switcher_posts_to_setlang_and_switches(published, client: Client) -> None:
    page = _text(client.get("/projects/"))
    form = re.search(r'<form class="lang" action="([^"]+)" method="post">(.*?)</form>', page, re.S)
    assert form, "no language switcher form"
    action, body = form.groups()
    assert action == "/i18n/setlang/"
    assert 'name="language"' in body
    assert re.search(r'<option value="nl"[^>]*>Nederlands</option>', body)
    assert re.search(r'<option value="en" selected>English</option>', body)
    next_url = re.search(r'name="next" type="hidden" value="([^"]*)"', body).group(1)
    assert next_url == "/projects/"

    response = client.post(action, {"language": "nl", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/projects/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    dutch = _text(client.get(response["Location"]))
    _assert_dutch(dutch)
    assert re.search(r'<option value="nl" selected>Nederlands</option>', dutch)

    response = client.post(action, {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    _assert_english(_text(client.get("/")))


@pytest.mark.django_db
def test_the_language_switcher_works_with_csrf_checks(published) -> None:
    """A real browser sends the CSRF token from the form; the switch must still work."""
    browser = Client(enforce_csrf_checks=True)
    page = _text(browser.get("/"))
    token = re.search(
        r'<form class="lang".*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S
    ).group(1)
    response = browser.post(
        "/i18n/setlang/", {"language": "nl", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    _assert_dutch(_text(browser.get("/")))
