"""Message catalogs: English message ids, Chinese (zh_CN, the default) and English.

Catalogs are babel .po files under ``locale/``; ``make`` compiles them to .mo
(``pybabel compile``).  A checkout used without ``make`` reads the .po files
through babel directly, so messages are never shown untranslated.
"""

from __future__ import annotations

import gettext as _gettext
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "formgen"
DEFAULT_LANG = "zh_CN"
LANGS = ("zh_CN", "en")

_current = DEFAULT_LANG


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it yet."""
    return message


def set_language(lang: str) -> None:
    global _current
    _current = normalise(lang)


def current_language() -> str:
    return _current


def normalise(lang: str | None) -> str:
    if not lang:
        return _current
    lang = lang.replace("-", "_")
    if lang.lower().startswith("zh"):
        return "zh_CN"
    if lang.lower().startswith("en"):
        return "en"
    raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")


class _PoTranslations(_gettext.NullTranslations):
    def __init__(self, po_path: Path):
        super().__init__()
        from babel.messages.pofile import read_po

        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        self._map = {m.id: m.string for m in catalog if m.id and m.string}

    def gettext(self, message: str) -> str:
        return self._map.get(message, message)


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if po.exists():
        return _PoTranslations(po)
    return _gettext.NullTranslations()


def gettext(message: str, lang: str | None = None) -> str:
    return translations(normalise(lang)).gettext(message)


_ = gettext
