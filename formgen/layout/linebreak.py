"""Chinese line-breaking rules every format and its print checks share: the characters a line never starts
with (closing punctuation) and never ends with (opening punctuation), and the longest word of a list written
apart (法院 检察院 公安厅) that a line never breaks."""

from __future__ import annotations

NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’…—,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『【〔“‘([{")
#: Characters: a word of text written apart by spaces up to this long is kept whole on a line.
SPACED_WORD = 8
