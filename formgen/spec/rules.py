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
    selected(found_by, "监控")

A choice is compared by its label or its code; inside ``any``, ``all`` and
``count`` the names of the group's columns mean the current row's cells.

Operators: ``= != < <= > >=`` (also ``== <> ≠ ≤ ≥``), ``in [...]``,
``not in [...]``, ``+ - * /``, ``and or not``, parentheses.  Literals: numbers,
text in quotes ("", '', “”, ‘’ or 「」), ``true``/``false``, dates as
"YYYY-MM-DD" when compared with a date field.  Functions: ``filled(x)``,
``empty(x)``, ``count(g)``, ``count(g, cond)``, ``any(g, cond)``,
``all(g, cond)``, ``sum(g.col)``, ``unique(g.col, ...)``, ``days(from, to)``, ``selected(x, "label")``
(a multiple choice ``x`` has that choice ticked, or a single choice is it: XLSForm's ``selected``).
Full-width punctuation (（）＝，) is read as its ASCII form.

Nothing is ever executed: the text is parsed by a lark grammar (``_GRAMMAR``)
into a small tree (no ``eval``), and every name is checked against the definition.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Union

from lark import Lark, Transformer, v_args
from lark import Token as LarkToken
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

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


# -- grammar -----------------------------------------------------------------------

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」"}
_QUOTED = "|".join(f"{o}[^{c}]*{c}" for o, c in _QUOTES.items())
# Full-width forms read as ASCII outside quoted text; the full-width quote marks ＂ and ＇ open no text.
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if c not in (0xFF02, 0xFF07)} | {
    "\u3000": " ", "、": ","}
_TO_ASCII = re.compile(f"({_QUOTED})|[{''.join(_FULLWIDTH)}]")
_SYNONYMS = {"==": "=", "<>": "!=", "≠": "!=", "≤": "<=", "≥": ">="}

_GRAMMAR = rf"""
?start: expr
?expr: conjunction
     | expr OR conjunction                          -> binary
?conjunction: negation
     | conjunction AND negation                     -> binary
?negation: comparison
     | NOT negation                                 -> unary
?comparison: sum
     | sum COMPARE sum                              -> binary
     | sum [NOT] IN "[" sum ("," sum)* "]"          -> in_list
?sum: product
     | sum (PLUS | MINUS) product                   -> binary
?product: signed
     | product (TIMES | DIVIDE) signed              -> binary
?signed: atom
     | MINUS signed                                 -> unary
?atom: NUMBER                                       -> number
     | STRING                                       -> text
     | (TRUE | FALSE)                               -> boolean
     | NAME                                         -> ref
     | NAME "(" (expr ("," expr)*)? ")"             -> call
     | "(" expr ")"

AND: "and"i
OR: "or"i
NOT: "not"i
IN: "in"i
TRUE: "true"i
FALSE: "false"i
COMPARE: /==|!=|<=|>=|<>|[=<>≠≤≥]/
PLUS: "+"
MINUS: "-"
TIMES: "*"
DIVIDE: "/"
NUMBER: /\d+(\.\d+)?/
NAME: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/
STRING: /{_QUOTED}/
%ignore /\s+/
"""


@v_args(inline=True)
class _Build(Transformer):
    """Lark's parse, reduced straight to the syntax tree above."""

    def binary(self, left: Node, op: LarkToken, right: Node) -> Binary:
        op = op.lower()
        return Binary(_SYNONYMS.get(op, op), left, right)

    def unary(self, op: LarkToken, operand: Node) -> Unary:
        return Unary(op.lower(), operand)

    def in_list(self, operand: Node, negated: LarkToken | None, _in: LarkToken, *items: Node) -> InList:
        return InList(operand, items, negated is not None)

    def number(self, tok: LarkToken) -> Literal:
        return Literal(float(tok) if "." in tok else int(tok))

    def text(self, tok: LarkToken) -> Literal:
        return Literal(tok[1:-1])

    def boolean(self, tok: LarkToken) -> Literal:
        return Literal(tok.lower() == "true")

    def ref(self, tok: LarkToken) -> Ref:
        return Ref(str(tok))

    def call(self, name: LarkToken, *args: Node) -> Call:
        return Call(str(name), args)


@functools.cache
def _parser() -> Lark:
    # The basic lexer, not the contextual one: that one only looks for the terminals the parser expects
    # next, so after "a =" it would read "not" or "in" as a field name.  cache=True keeps lark's analysis of the
    # grammar in a file of the temporary folder named by the grammar, options and lark version: building it
    # takes 50-100 ms, most of a command's own start-up; loading it a few.
    return Lark(_GRAMMAR, parser="lalr", lexer="basic", transformer=_Build(), cache=True)


def _syntax_error(text: str, err: UnexpectedCharacters | UnexpectedToken) -> RuleSyntaxError:
    """Why the parse stopped, from what lark found and what it would have accepted there."""
    if isinstance(err, UnexpectedCharacters):
        reason = (N_("the text in quotes is not closed") if text[err.pos_in_stream] in _QUOTES
                  else N_("this character has no meaning in a rule"))
        return RuleSyntaxError(err.pos_in_stream + 1, reason)
    at_end = err.token.type == "$END"
    position = len(text) + 1 if at_end else err.token.start_pos + 1
    expected = err.interactive_parser.accepts()
    if "NAME" in expected:
        reason = (N_("the rule ends too early: a value is missing") if at_end
                  else N_("a field name, a number, text in quotes, true or false is expected here"))
    elif expected == {"IN"}:
        reason = N_("after not, write in [...]")
    elif expected == {"LSQB"}:
        reason = N_("a list of values is written in square brackets, such as [\"a\", \"b\"]")
    elif "RSQB" in expected:
        reason = N_("the list is not closed with ]")
    elif err.token.type == "COMPARE":
        reason = N_("compare two values at a time: join comparisons with and")
    elif "RPAR" in expected:
        reason = (N_("the function's parentheses are not closed") if "COMMA" in expected
                  else N_("a parenthesis is not closed"))
    else:
        reason = N_("something is missing before this point, such as and, or, an operator or a comma")
    return RuleSyntaxError(position, reason)


def parse(text: str) -> Node:
    """The syntax tree of one expression; raises RuleSyntaxError with a 1-based position."""
    text = _TO_ASCII.sub(lambda m: m.group(1) or _FULLWIDTH[m.group()], text)
    if not text.strip():
        raise RuleSyntaxError(1, N_("the rule is empty"))
    try:
        return _parser().parse(text)
    except (UnexpectedCharacters, UnexpectedToken) as err:  # LALR ends input with an $END token, never UnexpectedEOF
        raise _syntax_error(text, err) from None


# -- checking against the definition --------------------------------------------------

NUMBER, TEXT, BOOL, DATE, GROUP = "number", "text", "bool", "date", "group"
#: How a kind of value is named in lint messages (message ids); params named in KIND_PARAMS hold a kind.
KIND_NAMES = {NUMBER: N_("a number"), TEXT: N_("text"), BOOL: N_("a condition (true or false)"),
              DATE: N_("a date")}
KIND_PARAMS = {"want", "kind", "left", "right"}
FUNCTIONS = {"filled", "empty", "count", "any", "all", "sum", "unique", "days", "selected"}


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
            if f is not None and f.kind == "multi":
                raise _Problem("misuse", N_("'{name}' is a multiple choice: ask for one of its choices with "
                                            "selected({name}, \"label\")"), name=node.name)
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
        if f.kind in ("choice", "boolean", "multi"):
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
                 "sum": (1, 1), "unique": (1, 9), "days": (2, 2), "selected": (2, 2)}[func]
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
        if func == "selected":
            return self.check_selected(node, row)
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

    def check_selected(self, node: Call, row: Group | None) -> tuple[Node, str, None]:
        """selected(x, "label"): x a multiple or single choice, the label (or code) one of its choices."""
        ref, _kind, f = self.resolve(node.args[0], row) if isinstance(node.args[0], Ref) else (None, "", None)
        choice = node.args[1]
        if f is None or f.kind not in ("multi", "choice") or ref.kind == "column":
            raise _Problem("misuse", N_("selected() needs a choice field first, then one of its choices in quotes"))
        if not isinstance(choice, Literal) or not isinstance(choice.value, str):
            raise _Problem("misuse", N_("selected() needs a choice field first, then one of its choices in quotes"))
        code, _k = self.literal_for(f, TEXT, choice, TEXT)
        return replace(node, args=(ref, code)), BOOL, None

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
