"""The names a PDF form carries: the document-information keys of its identity and the hidden field with a
second copy of it (other field names are addresses), the states of a yes/no field's 是 and 否 boxes
(a radio group: /Off when nobody touched it), and the names of the boxes of a multiple choice (one check box
per choice, ``channels.0``, ``channels.1``, … in the order of the choices, under the field's name), and the
names of the continuations of a letter's blank multi-line field on later pages (``body~2``)."""

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


#: Between a multi-line field's address and the number of a continuation of it (``body~2``): no address holds it.
CONTINUED = "~"


def continuation(address: str, part: int) -> str:
    """The name of part ``part`` (1-based; part 1 is the field itself) of a letter's blank multi-line field
    that a page break divides into one box per page: ``body``, ``body~2``, ... The reader joins the parts'
    values, a line break between two (each box ends at the end of a line)."""
    return address if part == 1 else f"{address}{CONTINUED}{part}"


def continued(name: str) -> tuple[str, int] | None:
    """The field's address and the part number of a continuation's name, or None for any other name."""
    address, mark, part = name.rpartition(CONTINUED)
    return (address, int(part)) if mark and address and part.isdigit() and int(part) > 1 else None


def multi_box(address: str, index: int) -> str:
    """The name of the check box of choice ``index`` (0-based) of the multiple choice at ``address``."""
    return f"{address}.{index}"


def multi_choice(name: str) -> int:
    """The index of the choice whose box is named ``name``."""
    return int(name.rpartition(".")[2])
