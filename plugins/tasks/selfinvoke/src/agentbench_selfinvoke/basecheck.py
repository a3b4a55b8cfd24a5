"""Scoring an answer to the *base* problem alone (`-T base=true`).

Upstream scores base HumanEval/MBPP with their original test suites (through evalplus); a
CodeEval-Pro file carries no tests for the base problem. We test the base function where the Pro
tests use it: the record's reference self-invoking solution (`new_problem + new_solution`) runs
the Pro test code on top of the model's base function (a copy of the base function inside the
reference Pro solution is removed first), and every call it makes is checked
against the reference base function (`raw_problem + raw_solution`) on the same arguments and
random state. An answer passes when it defines the base function, every call agrees with the
reference, and the Pro tests pass. `base_calls` in the output says how many calls were checked
(0 means the reference solution never calls the base function, so only its definition counts).
"""

from __future__ import annotations

import ast
import re
from typing import Any

_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
CALLS_MARKER = "__agentbench_base_calls__="

# The harness: as upstream, the answer, the Pro solution and the tests share one namespace, in
# which the base name is bound to the checking wrapper. The reference runs in a namespace of its
# own that borrows names the shared one gains later (imports in the test code). Calls the answer
# makes to itself (recursion) are not checked again.
_HARNESS = """\
import copy as _ab_copy, math as _ab_math, numbers as _ab_numbers
import random as _ab_random, sys as _ab_sys

_ab_name = {name!r}
_ab_ns = {{}}
exec(compile({answer!r}, "<answer>", "exec"), _ab_ns)
if not callable(_ab_ns.get(_ab_name)):
    raise NameError(f"the answer does not define the function {{_ab_name}}()")
_ab_answer_fn = _ab_ns[_ab_name]
_ab_reference_ns = {{}}
exec(compile({reference!r}, "<reference>", "exec"), _ab_reference_ns)
_ab_reference_fn = _ab_reference_ns[_ab_name]
_ab_calls = 0
_ab_inside = False


def _ab_rng_state():
    numpy = _ab_sys.modules.get("numpy")
    return _ab_random.getstate(), numpy.random.get_state() if numpy else None


def _ab_set_rng_state(state):
    _ab_random.setstate(state[0])
    numpy = _ab_sys.modules.get("numpy")
    if numpy is not None and state[1] is not None:
        numpy.random.set_state(state[1])


def _ab_same(a, b):
    if isinstance(a, _ab_numbers.Number) and isinstance(b, _ab_numbers.Number):
        try:
            return _ab_math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) or (a != a and b != b)
        except TypeError:
            return a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_ab_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_ab_same(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if type(a).__eq__ is object.__eq__:
        return True  # no value equality to compare by (e.g. plot axes)
    try:
        if callable(getattr(a, "equals", None)):  # pandas objects
            return bool(a.equals(b))
        equal = a == b
        return equal if isinstance(equal, bool) else bool(equal.all())
    except Exception:
        return True  # not comparable here; the Pro tests still judge the result


def _ab_call_answer(args, kwargs):
    global _ab_inside
    _ab_inside = True
    try:
        return _ab_answer_fn(*args, **kwargs)
    finally:
        _ab_inside = False


def _ab_checked(*args, **kwargs):
    global _ab_calls
    if _ab_inside:
        return _ab_answer_fn(*args, **kwargs)
    _ab_calls += 1
    for key, value in list(_ab_ns.items()):
        if key != _ab_name:
            _ab_reference_ns.setdefault(key, value)
    state = _ab_rng_state()
    try:
        expected = _ab_reference_fn(*_ab_copy.deepcopy(args), **_ab_copy.deepcopy(kwargs))
    except Exception:
        _ab_set_rng_state(state)
        return _ab_call_answer(args, kwargs)
    _ab_set_rng_state(state)
    got = _ab_call_answer(args, kwargs)
    if not _ab_same(got, expected):
        shown = ", ".join([*map(repr, args), *(f"{{k}}={{v!r}}" for k, v in kwargs.items())])
        raise AssertionError(
            f"{{_ab_name}}({{shown[:300]}}) returned {{got!r:.300}}, "
            f"expected {{expected!r:.300}}"
        )
    return got


_ab_ns[_ab_name] = _ab_checked
exec(compile({pro!r}, "<tests>", "exec"), _ab_ns)
print("\\n{marker}" + str(_ab_calls))
"""


_TESTS_START = "_ab_ns[_ab_name] = _ab_checked\n"


def base_function_name(record: dict[str, Any]) -> str | None:
    """The function the base problem asks for: the last top-level `def` of `raw_problem`."""
    names = _DEF.findall(record["raw_problem"])
    return names[-1] if names else None


def without_definition(source: str, name: str) -> str:
    """`source` without its top-level `def name`.

    Some reference Pro solutions define the base function again; left in, that copy would
    replace the answer's and the base answer would go untested.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    kept = [
        node
        for node in tree.body
        if not (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name)
    ]
    if len(kept) == len(tree.body):
        return source
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))


def base_test_script(answer_program: str, record: dict[str, Any]) -> tuple[str, str]:
    """The script that scores `answer_program` as a solution of the record's base problem.

    Returned as (program, tests) for `agentbench.run_script`: the program part defines the
    answer and the checking wrapper, the tests part runs the Pro tests through it. Records whose
    `raw_problem` names no function fall back to running the reference self-invoking solution and
    the Pro tests after the answer.
    """
    caller = record["new_problem"] + record["new_solution"]
    name = base_function_name(record)
    if name is None:
        return answer_program + "\n" + caller, record["test_code"]
    pro = without_definition(caller, name) + "\n" + record["test_code"]
    script = _HARNESS.format(
        reference=record["raw_problem"] + record["raw_solution"],
        answer=answer_program,
        pro=pro,
        name=name,
        marker=CALLS_MARKER,
    )
    head, _, tests = script.partition(_TESTS_START)
    return head.rstrip("\n"), _TESTS_START + tests


def base_calls(stdout: str) -> int | None:
    """How many base-function calls the harness checked (None when it did not finish)."""
    index = stdout.rfind(CALLS_MARKER)
    if index == -1:
        return None
    digits = re.match(r"\d+", stdout[index + len(CALLS_MARKER) :])
    return int(digits.group()) if digits else None
