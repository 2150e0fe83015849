"""The names a PDF form carries: the document-information keys of its identity and the hidden field with a
second copy of it (other field names are addresses), the states of a yes/no field's 是 and 否 boxes
(a radio group: /Off when nobody touched it), and the names of the boxes of a multiple choice (one check box
per choice, ``channels.0``, ``channels.1``, … in the order of the choices, under the field's name)."""

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


def multi_box(address: str, index: int) -> str:
    """The name of the check box of choice ``index`` (0-based) of the multiple choice at ``address``."""
    return f"{address}.{index}"


def multi_choice(name: str) -> int:
    """The index of the choice whose box is named ``name``."""
    return int(name.rpartition(".")[2])
