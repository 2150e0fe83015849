"""Message catalogs: English message ids, Chinese (zh_CN, the default) and English.

Catalogs are babel .po files under ``locale/``; ``make`` compiles them to .mo
(``pybabel compile``).  A checkout used without ``make`` reads the .po files
through babel directly, so messages are never shown untranslated.
"""

from __future__ import annotations

import gettext as _gettext
from functools import lru_cache
from pathlib import Path
from typing import Mapping

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


#: What people type for a language, lower-case, before any ``_territory`` or ``.encoding``.
_NAMES = {"zh": "zh_CN", "中文": "zh_CN", "汉语": "zh_CN", "简体中文": "zh_CN", "chinese": "zh_CN",
          "en": "en", "english": "en", "英文": "en", "英语": "en"}


def language_of(name: str | None) -> str | None:
    """The catalogue language for a name people or locales use (``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``中文``,
    ``en_US``, ``English``), or None when formgen does not speak it."""
    if not name:
        return None
    base = name.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return _NAMES.get(base)


def system_language(environ: Mapping[str, str]) -> str | None:
    """The language of ``$FORMGEN_LANG``, else of the locale (LC_ALL, LC_MESSAGES, LANG, the first one set)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(variable):
            return language_of(environ[variable])
    return None


def normalise(lang: str | None) -> str:
    if not lang:
        return _current
    found = language_of(lang)
    if found is None:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")
    return found


class _PoTranslations(_gettext.NullTranslations):
    def __init__(self, po_path: Path):
        super().__init__()
        from babel.messages.pofile import read_po

        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        self._map = {m.id: m.string for m in catalog if m.id and m.string}
        self._plurals = {m.id[0]: m.string for m in catalog if isinstance(m.id, tuple) and any(m.string)}
        self._plural = _gettext.c2py(catalog.plural_expr or "(n != 1)")

    def gettext(self, message: str) -> str:
        """As GNUTranslations: a plural entry's singular gives its form for one."""
        if message in self._map:
            return self._map[message]
        return self.ngettext(message, message, 1) if message in self._plurals else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plurals.get(singular)
        if not forms:
            return singular if n == 1 else plural
        return forms[min(self._plural(n), len(forms) - 1)] or forms[0]


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


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    return translations(normalise(lang)).ngettext(singular, plural, n)


_ = gettext
