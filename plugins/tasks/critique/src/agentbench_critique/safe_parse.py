"""Turning answer strings into sympy objects without evaluating them as Python.

Upstream's grader parses an answer with sympy's `parse_latex`, then `parse_expr`, then
`latex2sympy`. `parse_expr` (and `sympify` of a string) runs Python's `eval` on the text, so a
model's answer could run code. Here:

- `parse_latex` (sympy 1.12, ANTLR backend) is used as upstream uses it: it walks the parse tree
  and builds sympy objects with constructors; the only strings it hands to `sympify` are number
  tokens of its grammar (digits, a point, digits);
- `parse_expr` is replaced by `parse_python_expr`, which reads the text with `ast.parse` (parsing
  only) and builds sympy objects from a whitelist of node kinds (numbers, names, + - * / ** ^,
  unary minus, tuples, calls of a few known functions);
- `guard_sympify()` replaces sympy's `parse_expr` for the whole process, so that any other path
  into `eval` (e.g. `Expr.equals(str)`, `N(str)`) refuses every string that is not a plain number.

These functions run only inside the grading worker process (see `worker.py`), under a time and
memory limit.
"""

from __future__ import annotations

import ast
import re
from typing import Any

_PLAIN_NUMBER = re.compile(r"\s*-?\d+(\.\d*)?\s*")
_MAX_LENGTH = 2000


class UnsafeExpression(ValueError):
    """Raised for text the safe parser will not turn into an expression."""


def guard_sympify() -> None:
    """Make sympy's string parser refuse everything but plain numbers, in this process."""
    import sympy.parsing.sympy_parser as sympy_parser

    original = sympy_parser.parse_expr
    if getattr(original, "_agentbench_guard", False):
        return

    def guarded(s: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(s, str) and _PLAIN_NUMBER.fullmatch(s):
            return original(s, *args, **kwargs)
        raise UnsafeExpression("string parsing with eval is disabled in the grader")

    guarded._agentbench_guard = True  # type: ignore[attr-defined]
    sympy_parser.parse_expr = guarded  # sympify imports it from the module at call time


def parse_latex_safe(text: str) -> Any:
    """sympy's `parse_latex` (builds the expression from the parse tree; no eval)."""
    from sympy.parsing.latex import parse_latex

    return parse_latex(text)


def parse_python_expr(text: str) -> Any:
    """A sympy expression for Python-syntax text, built from whitelisted syntax only.

    Raises:
        UnsafeExpression: the text uses anything outside the whitelist.
        SyntaxError: the text is not a Python expression.
    """
    if len(text) > _MAX_LENGTH:
        raise UnsafeExpression("expression too long")
    tree = ast.parse(text.strip(), mode="eval")
    return _Builder().build(tree.body)


class _Builder:
    """Builds sympy objects from an `ast` tree (what `parse_expr`'s standard transforms give)."""

    def __init__(self) -> None:
        import sympy

        self.sympy = sympy
        self.names: dict[str, Any] = {
            "pi": sympy.pi,
            "E": sympy.E,
            "I": sympy.I,
            "oo": sympy.oo,
            "nan": sympy.nan,
            "zoo": sympy.zoo,
        }
        self.functions: dict[str, Any] = {
            name: getattr(sympy, name)
            for name in (
                "sqrt", "exp", "log", "ln", "sin", "cos", "tan", "cot", "sec", "csc", "asin",
                "acos", "atan", "sinh", "cosh", "tanh", "Abs", "floor", "ceiling", "factorial",
                "binomial", "Rational", "root", "re", "im", "conjugate",
            )
        }  # fmt: skip
        self.functions["abs"] = sympy.Abs

    def build(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise UnsafeExpression(f"{type(node).__name__} is not allowed")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float | complex):
            raise UnsafeExpression("only numbers are allowed as literals")
        if isinstance(value, complex):
            return self.sympy.Float(repr(value.real)) + self.sympy.I * self.sympy.Float(
                repr(value.imag)
            )
        if isinstance(value, float):
            return self.sympy.Float(repr(value))
        return self.sympy.Integer(value)

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id.startswith("_"):
            raise UnsafeExpression("private names are not allowed")
        return self.sympy.Symbol(node.id)

    def _Tuple(self, node: ast.Tuple) -> Any:
        return self.sympy.Tuple(*(self.build(element) for element in node.elts))

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise UnsafeExpression(f"{type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.build(node.left), self.build(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right
        if isinstance(op, ast.Pow):
            return left**right
        if isinstance(op, ast.BitXor):  # parse_expr without convert_xor: logical xor
            return self.sympy.Xor(left, right)
        raise UnsafeExpression(f"{type(op).__name__} is not allowed")

    def _Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise UnsafeExpression("only plain calls of known functions are allowed")
        function = self.functions.get(node.func.id)
        if function is None:  # parse_expr makes an undefined function of an unknown name
            if node.func.id.startswith("_"):
                raise UnsafeExpression("private names are not allowed")
            function = self.sympy.Function(node.func.id)
        return function(*(self.build(arg) for arg in node.args))
