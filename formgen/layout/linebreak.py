"""Chinese line-breaking rules every format and its print checks share: the characters a line never starts
with (closing punctuation) and never ends with (opening punctuation)."""

from __future__ import annotations

NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’…—,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『【〔“‘([{")
