"""The names a PDF form carries: the document-information keys of its identity and the hidden field with a
second copy of it (other field names are addresses), and the states of a yes/no field's 是 and 否 boxes
(a radio group: /Off when nobody touched it)."""

from __future__ import annotations

INFO_FORM, INFO_VERSION, INFO_HASH = "/FormgenForm", "/FormgenVersion", "/FormgenHash"
#: The code of the unit a distributed form was made for (``formgen generate --roster``).
INFO_UNIT = "/FormgenUnit"
#: How many pages formgen wrote (also ``pages`` of the identity field): a page beyond them was added later.
INFO_PAGES = "/FormgenPages"
YES, NO, OFF = "/Yes", "/No", "/Off"
#: A hidden, read-only text field holding the identity again (JSON: form, version, hash, unit, pages): page tools
#: such as ``qpdf --pages`` and ``pdftk cat`` drop the document information but keep the fields.
IDENTITY_FIELD = "formgen-identity"
