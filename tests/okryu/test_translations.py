"""Both message catalogues are complete, and the pages speak the language asked for."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse

CATALOGUES = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po"))


def read(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale=path.parts[-3])


def test_there_is_a_catalogue_per_language():
    assert {path.parts[-3] for path in CATALOGUES} == {code for code, _ in settings.LANGUAGES}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_message_is_translated_and_checked(path):
    catalog = read(path)
    # pybabel compile skips a whole catalogue whose header is fuzzy.
    assert not catalog.fuzzy, f"{path}: the header is marked fuzzy"
    messages = [message for message in catalog if message.id]
    assert messages
    untranslated = [message.id for message in messages if not all(message.string if message.pluralizable
                                                                   else [message.string])]
    assert untranslated == [], f"{path}: untranslated"
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert fuzzy == [], f"{path}: fuzzy"
    wrong_plurals = [message.id for message in messages
                     if message.pluralizable and len(message.string) != catalog.num_plurals]
    assert wrong_plurals == [], f"{path}: msgstr[] count differs from Plural-Forms"
    # Babel's checkers: the same %(name)s placeholders on both sides.
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == [], f"{path}: placeholder mismatch"


def test_korean_has_one_plural_form():
    korean = read(Path(settings.BASE_DIR, "locale/ko/LC_MESSAGES/django.po"))
    assert korean.plural_forms == "nplurals=1; plural=0;"


@pytest.mark.django_db
def test_the_home_page_is_korean_by_default(client):
    page = client.get(reverse("catalog:home")).content.decode()
    assert '<html lang="ko">' in page
    assert "장바구니" in page
    assert ">Cart" not in page


@pytest.mark.django_db
def test_the_home_page_is_english_when_asked(client):
    page = client.get(reverse("catalog:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    assert "Cart" in page
    assert "장바구니" not in page
