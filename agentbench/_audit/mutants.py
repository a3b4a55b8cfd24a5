"""AST mutation operators over a Python source string (no project on disk needed).

The well-kept mutation libraries (mutmut 3, cosmic-ray 8) work on a project's files with its
test runner and keep their state on disk, so they do not fit a reference solution held as a
string and checked by a benchmark's own checker in a sandbox. These operators are the classic
set, applied one at a time:

- `compare`: a comparison swapped (< <=, > >=, == !=, in / not in, is / is not);
- `arith`: an arithmetic or bitwise operator swapped (+ -, * /, // /, % //, ** *, & |, << >>),
  also in augmented assignments;
- `boolop`: `and` <-> `or`;
- `constant`: an integer constant off by one (n + 1 and n - 1);
- `negate`: the condition of an if / while / conditional expression negated, or a `not` dropped;
- `remove`: a statement replaced by `pass` (not docstrings, imports or definitions);
- `return`: a returned value replaced by None.

Code inside a top-level function or class that a later definition of the same name replaces is
never mutated (such mutants could only survive).

Every mutant is the whole module unparsed (`ast.unparse`), so a mutant and the unparsed original
differ only by the mutation; the original is unparsed the same way for the diffs and as the
audit's control.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_COMPARE_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
}
_ARITH_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
_BODY_FIELDS = ("body", "orelse", "finalbody")
_KEPT_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Pass,
    ast.Global,
    ast.Nonlocal,
)
OPERATORS = ("compare", "arith", "boolop", "constant", "negate", "remove", "return")


@dataclass(frozen=True)
class Mutant:
    """One mutation of a source.

    Attributes:
        operator: One of `OPERATORS`.
        description: What changed, e.g. "line 4: < -> <=".
        source: The mutated module (unparsed).
        diff: Unified diff from the unparsed original to `source`.
    """

    operator: str
    description: str
    source: str
    diff: str


# A site names one node by its index in `ast.walk` order and says how to mutate it.
Site = tuple[str, int, Callable[[ast.AST], str | None]]


def normalise(source: str) -> str:
    """The source as every mutant is printed: parsed and unparsed (comments dropped).

    Raises:
        SyntaxError: The source is not Python.
    """
    return ast.unparse(ast.parse(source)) + "\n"


def mutants(source: str, *, limit: int | None = None) -> list[Mutant]:
    """The distinct mutants of `source`, spread over the operators when `limit` cuts them.

    Mutants are taken round-robin over the operators (in `OPERATORS` order, sites in source
    order within each), so a limit keeps a bit of every kind. Mutants whose text equals the
    original or an earlier mutant are dropped.

    Raises:
        SyntaxError: The source is not Python.
    """
    original = normalise(source)
    tree = ast.parse(source)
    by_operator: dict[str, list[Site]] = {op: [] for op in OPERATORS}
    for site in _sites(tree):
        by_operator[site[0]].append(site)
    order = _round_robin([by_operator[op] for op in OPERATORS])
    seen = {original}
    out: list[Mutant] = []
    for operator, index, apply in order:
        if limit is not None and len(out) >= limit:
            break
        fresh = ast.parse(source)
        node = list(ast.walk(fresh))[index]
        description = apply(node)
        if description is None:
            continue
        try:
            text = ast.unparse(ast.fix_missing_locations(fresh)) + "\n"
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError):  # e.g. a removal that leaves an invalid module
            continue
        if text in seen:
            continue
        seen.add(text)
        line = getattr(node, "lineno", None)
        where = f"line {line}: " if line is not None and not description.startswith("line") else ""
        out.append(Mutant(operator, where + description, text, unified_diff(original, text)))
    return out


def unified_diff(before: str, after: str) -> str:
    """A unified diff of two module texts (one line of context)."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            "reference",
            "mutant",
            n=1,
        )
    )


def _round_robin(groups: list[list[Site]]) -> Iterator[Site]:
    longest = max((len(g) for g in groups), default=0)
    for i in range(longest):
        for group in groups:
            if i < len(group):
                yield group[i]


def _shadowed(tree: ast.Module) -> set[int]:
    """Nodes inside top-level definitions that a later one of the same name replaces.

    Self-invoking references often define the base function twice (in the base problem and
    again before the Pro function); mutants of the first copy are dead code, so never made.
    """
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    last = {n.name: n for n in tree.body if isinstance(n, defs)}
    dead: set[int] = set()
    for node in tree.body:
        if isinstance(node, defs) and last[node.name] is not node:
            dead.update(id(n) for n in ast.walk(node))
    return dead


def _sites(tree: ast.Module) -> Iterator[Site]:
    """Every mutation site of the tree (outside shadowed definitions), by `ast.walk` index."""
    dead = _shadowed(tree)
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in dead:
            continue
        if isinstance(node, ast.Compare):
            for pos, op in enumerate(node.ops):
                for new in _COMPARE_SWAPS.get(type(op), ()):
                    yield "compare", index, _swap_compare(pos, new)
        elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _ARITH_SWAPS:
            yield "arith", index, _swap_arith
        elif isinstance(node, ast.BoolOp):
            yield "boolop", index, _swap_boolop
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int)
            and not isinstance(node.value, bool)
        ):
            yield "constant", index, _shift_constant(1)
            yield "constant", index, _shift_constant(-1)
        if isinstance(node, ast.If | ast.While | ast.IfExp):
            yield "negate", index, _negate_test
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield "negate", index, _drop_not
        if isinstance(node, ast.Return) and not _is_none(node.value):
            yield "return", index, _return_none
        for name in _BODY_FIELDS:
            body = getattr(node, name, None)
            if isinstance(body, list):
                for pos, stmt in enumerate(body):
                    if _removable(stmt, pos):
                        yield "remove", index, _remove(name, pos)


def _swap_compare(pos: int, new: type[ast.cmpop]) -> Callable[[ast.AST], str | None]:
    def apply(node: ast.AST) -> str | None:
        assert isinstance(node, ast.Compare)
        old = node.ops[pos]
        node.ops[pos] = new()
        return f"{_symbol(old)} -> {_symbol(node.ops[pos])}"

    return apply


def _swap_arith(node: ast.AST) -> str | None:
    assert isinstance(node, ast.BinOp | ast.AugAssign)
    old = node.op
    node.op = _ARITH_SWAPS[type(old)]()
    return f"{_symbol(old)} -> {_symbol(node.op)}"


def _swap_boolop(node: ast.AST) -> str | None:
    assert isinstance(node, ast.BoolOp)
    node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    return "and -> or" if isinstance(node.op, ast.Or) else "or -> and"


def _shift_constant(delta: int) -> Callable[[ast.AST], str | None]:
    def apply(node: ast.AST) -> str | None:
        assert isinstance(node, ast.Constant)
        old = node.value
        assert isinstance(old, int)
        node.value = old + delta
        return f"{old} -> {node.value}"

    return apply


def _negate_test(node: ast.AST) -> str | None:
    assert isinstance(node, ast.If | ast.While | ast.IfExp)
    node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    return f"{type(node).__name__.lower()} condition negated"


def _drop_not(node: ast.AST) -> str | None:
    assert isinstance(node, ast.UnaryOp)
    # `not x` -> `not not x` (= bool(x)): the negation is gone and the node stays in its parent.
    node.operand = ast.UnaryOp(op=ast.Not(), operand=node.operand)
    return "not dropped"


def _return_none(node: ast.AST) -> str | None:
    assert isinstance(node, ast.Return)
    node.value = None
    return "return value -> None"


def _remove(field: str, pos: int) -> Callable[[ast.AST], str | None]:
    def apply(node: ast.AST) -> str | None:
        body = getattr(node, field)
        old = body[pos]
        body[pos] = ast.copy_location(ast.Pass(), old)
        text = ast.unparse(old).splitlines()[0][:60]
        return f"line {old.lineno}: statement removed: {text}"

    return apply


def _removable(stmt: ast.stmt, pos: int) -> bool:
    if isinstance(stmt, _KEPT_STATEMENTS):
        return False
    is_docstring = (
        pos == 0
        and isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )
    return not is_docstring


def _is_none(value: ast.expr | None) -> bool:
    return value is None or (isinstance(value, ast.Constant) and value.value is None)


_SYMBOLS = {
    "Lt": "<",
    "LtE": "<=",
    "Gt": ">",
    "GtE": ">=",
    "Eq": "==",
    "NotEq": "!=",
    "In": "in",
    "NotIn": "not in",
    "Is": "is",
    "IsNot": "is not",
    "Add": "+",
    "Sub": "-",
    "Mult": "*",
    "Div": "/",
    "FloorDiv": "//",
    "Mod": "%",
    "Pow": "**",
    "BitAnd": "&",
    "BitOr": "|",
    "LShift": "<<",
    "RShift": ">>",
}


def _symbol(op: ast.AST) -> str:
    return _SYMBOLS.get(type(op).__name__, type(op).__name__)
