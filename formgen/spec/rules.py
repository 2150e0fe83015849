"""The rule language of ``x-formgen-rules``: parsed and checked here, evaluated by ``formgen.validate.rules``.

A rule is ``{"id", "if"?, "assert", "message": {"zh_CN", "en"?}, "fields"?}``;
``if`` and ``assert`` are expressions that read like the form, for example::

    report_kind = "续报"
    severity in ["严重欺凌", "涉嫌违法犯罪"] and police_notified = true
    handled <= found
    sum(cities.found) = total_found
    days(investigation_started, determined_on) <= 10
    any(persons, role = "被欺凌方")
    unique(persons.student_no)
    filled(initial_report_no)

A choice is compared by its label or its code; inside ``any``, ``all`` and
``count`` the names of the group's columns mean the current row's cells.

Operators: ``= != < <= > >=`` (also ``== <> ≠ ≤ ≥``), ``in [...]``,
``not in [...]``, ``+ - * /``, ``and or not``, parentheses.  Literals: numbers,
text in quotes ("", '', “”, ‘’ or 「」), ``true``/``false``, dates as
"YYYY-MM-DD" when compared with a date field.  Functions: ``filled(x)``,
``empty(x)``, ``count(g)``, ``count(g, cond)``, ``any(g, cond)``,
``all(g, cond)``, ``sum(g.col)``, ``unique(g.col, ...)``, ``days(from, to)``.
Full-width punctuation (（）＝，) is read as its ASCII form.

Nothing is ever executed: the text is tokenised and parsed by hand into a
small tree (no ``eval``), and every name is checked against the definition.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Union

from formgen.i18n import N_
from formgen.spec.model import Field, FormSpec, Group

# -- syntax tree -------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Ref:
    """A name: a field, a group, a group's column, or (inside any/all/count) a column of the current row."""

    name: str
    kind: str = ""          # after checking: field, group, column, row
    address: str = ""       # field/group address, or the column's group address
    column: str = ""        # for column and row references


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["Node", ...]


@dataclass(frozen=True)
class Unary:
    op: str                 # "not" or "-"
    operand: "Node"


@dataclass(frozen=True)
class Binary:
    op: str                 # and or = != < <= > >= + - * /
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class InList:
    operand: "Node"
    items: tuple["Node", ...]
    negated: bool


Node = Union[Literal, Ref, Call, Unary, Binary, InList]


class RuleSyntaxError(ValueError):
    def __init__(self, position: int, reason: str):
        super().__init__(reason)
        self.position = position
        self.reason = reason


# -- tokens ------------------------------------------------------------------------

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」"}
_OPERATORS = ["<=", ">=", "!=", "<>", "==", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ","]
_SYNONYMS = {"==": "=", "<>": "!=", "≠": "!=", "≤": "<=", "≥": ">="}
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "、": ","}


@dataclass(frozen=True)
class Token:
    kind: str   # name, number, string, op, keyword, end
    text: str
    pos: int    # 1-based character position in the rule text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _QUOTES:
            end = text.find(_QUOTES[ch], i + 1)
            if end < 0:
                raise RuleSyntaxError(i + 1, N_("the text in quotes is not closed"))
            tokens.append(Token("string", text[i + 1:end], i + 1))
            i = end + 1
            continue
        ch = _FULLWIDTH.get(ch, ch)
        if ch.isspace():
            i += 1
            continue
        rest = "".join(_FULLWIDTH.get(c, c) for c in text[i:i + 2])
        if ch in _SYNONYMS:
            tokens.append(Token("op", _SYNONYMS[ch], i + 1))
            i += 1
            continue
        op = next((o for o in _OPERATORS if rest.startswith(o)), None)
        if op is not None:
            tokens.append(Token("op", _SYNONYMS.get(op, op), i + 1))
            i += len(op)
            continue
        ascii_rest = "".join(_FULLWIDTH.get(c, c) for c in text[i:])
        m = _NUMBER.match(ascii_rest) or _NAME.match(ascii_rest)
        if m is None:
            raise RuleSyntaxError(i + 1, N_("this character has no meaning in a rule"))
        word = m.group()
        kind = "number" if word[0].isdigit() else ("keyword" if word.lower() in _KEYWORDS else "name")
        tokens.append(Token(kind, word.lower() if kind == "keyword" else word, i + 1))
        i += len(word)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# -- parser ------------------------------------------------------------------------

_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def expect(self, kind: str, text: str, reason: str) -> Token:
        if not self.at(kind, text):
            raise RuleSyntaxError(self.tok.pos, reason)
        return self.take()

    def parse(self) -> Node:
        if self.at("end"):
            raise RuleSyntaxError(1, N_("the rule is empty"))
        node = self.or_expr()
        if not self.at("end"):
            raise RuleSyntaxError(self.tok.pos, N_("something is missing before this point, such as and, or, "
                                                   "an operator or a comma"))
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at("keyword", "or"):
            self.take()
            node = Binary("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at("keyword", "and"):
            self.take()
            node = Binary("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.at("keyword", "not"):
            self.take()
            return Unary("not", self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        if self.at("op") and self.tok.text in _COMPARISONS:
            tok = self.take()
            node = Binary(tok.text, node, self.additive())
            if self.at("op") and self.tok.text in _COMPARISONS:
                raise RuleSyntaxError(self.tok.pos, N_("compare two values at a time: join comparisons with and"))
        elif self.at("keyword", "in") or self.at("keyword", "not"):
            negated = self.take().text == "not"
            if negated:
                self.expect("keyword", "in", N_("after not, write in [...]"))
            node = InList(node, self.list_items(), negated)
        return node

    def list_items(self) -> tuple[Node, ...]:
        self.expect("op", "[", N_("a list of values is written in square brackets, such as [\"a\", \"b\"]"))
        items = [self.additive()]
        while self.at("op", ","):
            self.take()
            items.append(self.additive())
        self.expect("op", "]", N_("the list is not closed with ]"))
        return tuple(items)

    def additive(self) -> Node:
        node = self.term()
        while self.at("op", "+") or self.at("op", "-"):
            tok = self.take()
            node = Binary(tok.text, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.at("op", "*") or self.at("op", "/"):
            tok = self.take()
            node = Binary(tok.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            self.take()
            return Unary("-", self.unary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return Literal(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "string":
            self.take()
            return Literal(tok.text)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.take()
            return Literal(tok.text == "true")
        if tok.kind == "name":
            self.take()
            if not self.at("op", "("):
                return Ref(tok.text)
            self.take()
            args = [] if self.at("op", ")") else [self.or_expr()]
            while self.at("op", ","):
                self.take()
                args.append(self.or_expr())
            self.expect("op", ")", N_("the function's parentheses are not closed"))
            return Call(tok.text, tuple(args))
        if tok.kind == "op" and tok.text == "(":
            self.take()
            node = self.or_expr()
            self.expect("op", ")", N_("a parenthesis is not closed"))
            return node
        if tok.kind == "end":
            raise RuleSyntaxError(tok.pos, N_("the rule ends too early: a value is missing"))
        raise RuleSyntaxError(tok.pos, N_("a field name, a number, text in quotes, true or false is expected here"))


def parse(text: str) -> Node:
    """The syntax tree of one expression; raises RuleSyntaxError with a 1-based position."""
    return _Parser(text).parse()


# -- checking against the definition --------------------------------------------------

NUMBER, TEXT, BOOL, DATE, GROUP = "number", "text", "bool", "date", "group"
#: How a kind of value is named in lint messages (message ids); params named in KIND_PARAMS hold a kind.
KIND_NAMES = {NUMBER: N_("a number"), TEXT: N_("text"), BOOL: N_("a condition (true or false)"),
              DATE: N_("a date")}
KIND_PARAMS = {"want", "kind", "left", "right"}
FUNCTIONS = {"filled", "empty", "count", "any", "all", "sum", "unique", "days"}


@dataclass
class RuleProblem:
    """Why a rule cannot be used; ``key`` is the rule's key at fault (if, assert, fields)."""

    category: str        # syntax, field, misuse
    key: str
    reason: str = ""     # a message id, formatted with params
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rule:
    id: str
    index: int
    when: Node | None
    check: Node
    message: dict[str, str]
    fields: list[str]    # addresses involved: fields, groups, or group.column


class _Problem(Exception):
    def __init__(self, category: str, reason: str = "", **params: Any):
        super().__init__(reason)
        self.category = category
        self.reason = reason
        self.params = params


def _field_type(f: Field) -> str:
    kind = f.kind
    if kind in ("integer", "number"):
        return NUMBER
    if kind in ("date", "datetime"):
        return DATE
    if kind == "boolean":
        return BOOL
    if kind == "choice" and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in f.choices):
        return NUMBER
    return TEXT


class _Checker:
    """Resolves names, maps choice labels and date texts to values, and checks types."""

    def __init__(self, spec: FormSpec):
        self.spec = spec
        self.fields = {f.address: f for f in spec.fields()}
        self.groups = {g.address: g for g in spec.groups()}
        self.refs: list[str] = []

    def names(self, row: Group | None) -> list[str]:
        out = list(self.fields) + list(self.groups)
        out += [f"{g.address}.{c.name}" for g in self.groups.values() for c in g.columns]
        return out + ([c.name for c in row.columns] if row else [])

    def resolve(self, ref: Ref, row: Group | None) -> tuple[Ref, str, Field | None]:
        if row is not None and row.column(ref.name) is not None:
            col = row.column(ref.name)
            self.refs.append(f"{row.address}.{col.name}")
            return replace(ref, kind="row", address=row.address, column=col.name), _field_type(col), col
        if ref.name in self.fields:
            self.refs.append(ref.name)
            f = self.fields[ref.name]
            return replace(ref, kind="field", address=ref.name), _field_type(f), f
        if ref.name in self.groups:
            self.refs.append(ref.name)
            return replace(ref, kind="group", address=ref.name), GROUP, None
        group_name, _, col_name = ref.name.rpartition(".")
        group = self.groups.get(group_name)
        if group is not None and group.column(col_name) is not None:
            self.refs.append(ref.name)
            col = group.column(col_name)
            return replace(ref, kind="column", address=group.address, column=col_name), "column:" + _field_type(col), col
        close = difflib.get_close_matches(ref.name, self.names(row), n=1, cutoff=0.6)
        raise _Problem("field", name=ref.name, suggestion=close[0] if close else "")

    def check(self, node: Node, row: Group | None = None) -> tuple[Node, str, Field | None]:
        """(resolved node, type, the field when the node is a plain reference)."""
        if isinstance(node, Literal):
            kind = BOOL if isinstance(node.value, bool) else NUMBER if isinstance(node.value, (int, float)) else TEXT
            return node, kind, None
        if isinstance(node, Ref):
            ref, kind, f = self.resolve(node, row)
            if kind == GROUP or kind.startswith("column:"):
                raise _Problem("misuse", N_("'{name}' is a repeating group or its column: use it inside "
                                            "count, any, all, sum or unique"), name=node.name)
            return ref, kind, f
        if isinstance(node, Unary):
            operand, kind, _f = self.check(node.operand, row)
            want = BOOL if node.op == "not" else NUMBER
            self.want(kind, want, node.op)
            return replace(node, operand=operand), want, None
        if isinstance(node, InList):
            return self.check_in(node, row)
        if isinstance(node, Binary):
            return self.check_binary(node, row)
        return self.check_call(node, row)

    def want(self, kind: str, want: str, what: str) -> None:
        if kind != want:
            raise _Problem("misuse", N_("'{what}' needs {want}, not {kind}"), what=what, want=want, kind=kind)

    def check_binary(self, node: Binary, row: Group | None) -> tuple[Node, str, None]:
        left, lkind, lfield = self.check(node.left, row)
        right, rkind, rfield = self.check(node.right, row)
        if node.op in ("and", "or"):
            self.want(lkind, BOOL, node.op)
            self.want(rkind, BOOL, node.op)
            return replace(node, left=left, right=right), BOOL, None
        if node.op in ("+", "-", "*", "/"):
            self.want(lkind, NUMBER, node.op)
            self.want(rkind, NUMBER, node.op)
            return replace(node, left=left, right=right), NUMBER, None
        right, rkind = self.literal_for(lfield, lkind, right, rkind)
        left, lkind = self.literal_for(rfield, rkind, left, lkind)
        if lkind != rkind:
            raise _Problem("misuse", N_("'{op}' compares {left} with {right}: compare values of the same kind"),
                           op=node.op, left=lkind, right=rkind)
        if node.op not in ("=", "!=") and lkind not in (NUMBER, DATE):
            raise _Problem("misuse", N_("'{op}' compares numbers or dates, not {kind}"), op=node.op, kind=lkind)
        return replace(node, left=left, right=right), BOOL, None

    def literal_for(self, f: Field | None, kind: str, node: Node, node_kind: str) -> tuple[Node, str]:
        """A text literal compared with a field: a choice label becomes its code, a date text a date."""
        if f is None or not isinstance(node, Literal) or not isinstance(node.value, str):
            return node, node_kind
        text = node.value.strip()
        if f.kind in ("choice", "boolean"):
            labels_en = f.ann.get("labels_en") or []
            for i, code in enumerate(f.choices):
                names = {str(code), f.choice_labels[i]} | ({labels_en[i]} if i < len(labels_en) else set())
                if text in names:
                    return Literal(code), kind
            raise _Problem("misuse", N_("\"{value}\" is not a choice of {label}: use one of {choices}"),
                           value=text, label=f.title, choices="、".join(f.choice_labels))
        if kind == DATE:
            return self.date_literal(node), DATE
        return node, node_kind

    def check_in(self, node: InList, row: Group | None) -> tuple[Node, str, None]:
        operand, kind, f = self.check(node.operand, row)
        items = []
        for item in node.items:
            checked, item_kind, _f = self.check(item, row)
            checked, item_kind = self.literal_for(f, kind, checked, item_kind)
            if item_kind != kind:
                raise _Problem("misuse", N_("'{op}' compares {left} with {right}: compare values of the same kind"),
                               op="in", left=kind, right=item_kind)
            items.append(checked)
        return replace(node, operand=operand, items=tuple(items)), BOOL, None

    def group_arg(self, node: Node, func: str) -> Group:
        if not isinstance(node, Ref):
            raise _Problem("misuse", N_("{func}() needs the name of a repeating group first"), func=func)
        ref, kind, _f = self.resolve(node, None)
        if kind != GROUP:
            raise _Problem("misuse", N_("{func}() needs the name of a repeating group first"), func=func)
        return self.groups[ref.address]

    def column_arg(self, node: Node, func: str) -> tuple[Ref, str]:
        if isinstance(node, Ref):
            ref, kind, _f = self.resolve(node, None)
            if kind.startswith("column:"):
                return ref, kind.split(":", 1)[1]
        raise _Problem("misuse", N_("{func}() needs columns written as group.column"), func=func)

    def check_call(self, node: Call, row: Group | None) -> tuple[Node, str, None]:
        func, args = node.func, node.args
        if func not in FUNCTIONS:
            close = difflib.get_close_matches(func, sorted(FUNCTIONS), n=1, cutoff=0.5)
            raise _Problem("misuse", N_("there is no function {func}(); the functions are {functions}"),
                           func=func, functions=", ".join(sorted(FUNCTIONS)) + (f" ({close[0]}?)" if close else ""))
        arity = {"filled": (1, 1), "empty": (1, 1), "count": (1, 2), "any": (2, 2), "all": (2, 2),
                 "sum": (1, 1), "unique": (1, 9), "days": (2, 2)}[func]
        if not arity[0] <= len(args) <= arity[1]:
            raise _Problem("misuse", N_("{func}() takes {count} value(s) here"), func=func,
                           count=arity[0] if arity[0] == arity[1] else f"{arity[0]}-{arity[1]}")
        if func in ("filled", "empty"):
            if not isinstance(args[0], Ref):
                raise _Problem("misuse", N_("{func}() needs the name of a field"), func=func)
            ref, kind, _f = self.resolve(args[0], row)
            if kind.startswith("column:"):
                raise _Problem("misuse", N_("{func}() needs the name of a field"), func=func)
            return replace(node, args=(ref,)), BOOL, None
        if func in ("count", "any", "all"):
            group = self.group_arg(args[0], func)
            resolved = [Ref(group.address, "group", group.address)]
            if len(args) == 2:
                cond, kind, _f = self.check(args[1], group)
                self.want(kind, BOOL, func)
                resolved.append(cond)
            return replace(node, args=tuple(resolved)), NUMBER if func == "count" else BOOL, None
        if func == "sum":
            ref, kind = self.column_arg(args[0], func)
            self.want(kind, NUMBER, func)
            return replace(node, args=(ref,)), NUMBER, None
        if func == "unique":
            cols = [self.column_arg(a, func)[0] for a in args]
            if len({c.address for c in cols}) != 1:
                raise _Problem("misuse", N_("unique() compares columns of one repeating group"))
            return replace(node, args=tuple(cols)), BOOL, None
        checked = []
        for arg in args:  # days(from, to)
            value, kind, _f = self.check(arg, row)
            if isinstance(value, Literal) and isinstance(value.value, str):
                value, kind = self.date_literal(value), DATE
            self.want(kind, DATE, func)
            checked.append(value)
        return replace(node, args=tuple(checked)), NUMBER, None

    def date_literal(self, node: Literal) -> Literal:
        try:
            return Literal(dt.date.fromisoformat(node.value.strip()))
        except ValueError:
            raise _Problem("misuse", N_("\"{value}\" is not a date: write dates in rules as \"YYYY-MM-DD\""),
                           value=node.value) from None


def _involved(refs: list[str]) -> list[str]:
    """Referenced addresses in order, once each; a group is left out when one of its columns is named."""
    unique = list(dict.fromkeys(refs))
    return [r for r in unique if not any(other.startswith(r + ".") for other in unique)]


def compile_rule(spec: FormSpec, index: int, rule: dict) -> tuple[Rule | None, list[RuleProblem]]:
    """Parse and check one rule of the definition."""
    checker = _Checker(spec)
    trees: dict[str, Node | None] = {"if": None, "assert": None}
    refs: dict[str, list[str]] = {"if": [], "assert": []}
    problems: list[RuleProblem] = []
    for key in ("assert", "if"):
        text = rule.get(key)
        if not isinstance(text, str):
            continue
        checker.refs = []
        try:
            node, kind, _f = checker.check(parse(text))
            checker.want(kind, BOOL, key)
        except RuleSyntaxError as err:
            problems.append(RuleProblem("syntax", key, err.reason, {"position": err.position}))
            continue
        except _Problem as err:
            problems.append(RuleProblem(err.category, key, err.reason, err.params))
            continue
        trees[key] = node
        refs[key] = checker.refs
    named = rule.get("fields")
    if isinstance(named, list):
        for name in named:
            try:
                checker.resolve(Ref(str(name)), None)
            except _Problem as err:
                problems.append(RuleProblem("field", "fields", err.reason, err.params))
    if problems or trees["assert"] is None:
        return None, problems
    fields = _involved([str(n) for n in named] if isinstance(named, list) and named else refs["assert"] + refs["if"])
    return Rule(str(rule.get("id", index)), index, trees["if"], trees["assert"], dict(rule.get("message", {})),
                fields), []


def compile_rules(spec: FormSpec) -> Iterator[tuple[int, Rule | None, list[RuleProblem]]]:
    for index, rule in enumerate(spec.definition.get("x-formgen-rules", [])):
        if isinstance(rule, dict):
            compiled, problems = compile_rule(spec, index, rule)
            yield index, compiled, problems
