"""The compiled catalogues are looked up in place (formgen.i18n._MoTranslations): every message, plural forms
included, comes out exactly as the standard library's GNUTranslations reads the same .mo file."""

from __future__ import annotations

import gettext

import pytest
from babel.messages.pofile import read_po

from formgen.i18n import LANGS, LOCALE_DIR, translations


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_as_gnu_translations_reads_it(lang):
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    with (folder / "formgen.mo").open("rb") as fh:
        reference = gettext.GNUTranslations(fh)
    with (folder / "formgen.po").open("rb") as fh:
        catalog = read_po(fh)
    ours = translations(lang)
    assert type(ours).__name__ == "_MoTranslations"  # make build compiled the catalogue
    ids = [m.id for m in catalog if m.id]
    singular = [i for i in ids if isinstance(i, str)]
    plural = [i for i in ids if isinstance(i, tuple)]
    assert len(singular) > 500 and plural
    for message in [*singular, "", "not a message formgen has", "Usage"]:
        assert ours.gettext(message) == reference.gettext(message), message
    for one, many in [*plural, ("no such {n} thing", "no such {n} things")]:
        assert ours.gettext(one) == reference.gettext(one)
        for n in (0, 1, 2, 5, 21):
            assert ours.ngettext(one, many, n) == reference.ngettext(one, many, n), (one, n)
