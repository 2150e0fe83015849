"""Message catalogs: English message ids, Chinese (zh_CN, the default) and English.

Catalogs are babel .po files under ``locale/``; ``make`` compiles them to .mo
(``pybabel compile``).  A checkout used without ``make`` reads the .po files
through babel directly, so messages are never shown untranslated.
"""

from __future__ import annotations

import gettext as _gettext
import struct
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


class _MoTranslations(_gettext.NullTranslations):
    """A compiled catalogue looked up in place, as GNU libintl does without a hash table: a message id is found
    by binary search in the .mo file's sorted table of ids, and only the messages asked for are decoded, so a
    process that shows a few messages (``formgen --help``) does not parse them all. Answers as GNUTranslations
    (UTF-8 catalogues, no message contexts)."""

    def __init__(self, data: bytes):
        super().__init__()
        order = "<" if data[:4] == b"\xde\x12\x04\x95" else ">"
        _magic, _version, self._count, self._ids, self._texts = struct.unpack(f"{order}5I", data[:20])
        self._entry = struct.Struct(f"{order}2I").unpack_from
        self._data = data
        self._plural = None

    def _string(self, table: int, index: int) -> bytes:
        length, offset = self._entry(self._data, table + 8 * index)
        return self._data[offset:offset + length]

    def _find(self, key: bytes) -> int:
        """The index of the first id not below ``key``."""
        low, high = 0, self._count
        while low < high:
            middle = (low + high) // 2
            if self._string(self._ids, middle) < key:
                low = middle + 1
            else:
                high = middle
        return low

    def _plural_forms(self, singular: str) -> list[str] | None:
        key = singular.encode("utf-8") + b"\0"
        index = self._find(key)
        if index < self._count and self._string(self._ids, index).startswith(key):
            return self._string(self._texts, index).decode("utf-8").split("\0")
        return None

    def _form(self, n: int) -> int:
        if self._plural is None:
            header = self.gettext("")
            rule = next((line.split("plural=", 1)[1] for line in header.splitlines()
                         if line.lower().startswith("plural-forms:") and "plural=" in line), "n != 1")
            self._plural = _gettext.c2py(rule.strip().rstrip(";"))
        return self._plural(n)

    def gettext(self, message: str) -> str:
        key = message.encode("utf-8")
        index = self._find(key)
        if index < self._count and self._string(self._ids, index) == key:
            return self._string(self._texts, index).decode("utf-8")
        forms = self._plural_forms(message) if message else None  # a plural entry's singular: its form for one
        form = self._form(1) if forms else 0
        return forms[form] if forms and form < len(forms) else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plural_forms(singular)
        form = self._form(n) if forms else 0
        if forms and form < len(forms):
            return forms[form]
        return singular if n == 1 else plural


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        return _MoTranslations(mo.read_bytes())
    if po.exists():
        return _PoTranslations(po)
    return _gettext.NullTranslations()


def gettext(message: str, lang: str | None = None) -> str:
    return translations(normalise(lang)).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    return translations(normalise(lang)).ngettext(singular, plural, n)


_ = gettext
