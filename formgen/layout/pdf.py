"""The names a PDF form carries: the document-information keys of its identity (field names are addresses)."""

from __future__ import annotations

INFO_FORM, INFO_VERSION, INFO_HASH = "/FormgenForm", "/FormgenVersion", "/FormgenHash"
#: The code of the unit a distributed form was made for (``formgen generate --roster``).
INFO_UNIT = "/FormgenUnit"
