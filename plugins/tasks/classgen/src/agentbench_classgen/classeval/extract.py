"""Code extraction as upstream does it, and the program that is tested.

Upstream: FudanSELab/ClassEval, `classeval_evaluation/test_pipeline.py` (`extract_code`,
`add_static_statement`, `gen_code_list`, `gen_py_file`; read at 6934e932) and
`generation/inference_util.py` (`extract_method_code`; read at 87c58832). The quirks are kept on
purpose: e.g. an opening ```python fence without a closing one yields empty code (upstream's
fourth pattern matches the empty string), and lines before the class that are not imports are
removed wherever the same line text occurs again.
"""

from __future__ import annotations

import re
from typing import Any

RESPONSE_MARKERS = ("### Response:", "@@ Response:", "[/INST]")
CODE_PATTERNS = (
    r"```python(.*?)```",
    r"```ruby(.*?)```",
    r"```scss(.*?)```",
    r"```python(.*?)",
    r"```(.*?)```",
    r"\[PYTHON\](.*?)\[/PYTHON\]",
)
METHOD_PATTERNS = (r"```python(.*?)```", r"\[PYTHON\](.*?)\[/PYTHON\]")


def leading_spaces(line: str) -> int:
    """Upstream's `get_leading_spaces`: the length of the leading whitespace."""
    return len(line) - len(line.lstrip())


def _after_marker(text: str) -> str:
    for marker in RESPONSE_MARKERS:
        if marker in text:
            return text.split(marker)[1]
    return text


def extract_code(text: str) -> str:
    """The class code in a model's answer (upstream's `extract_code` for non-InCoder models)."""
    text = _after_marker(text.rstrip())
    for pattern in CODE_PATTERNS:
        found = re.findall(pattern, text, re.S)
        if found:
            return str(found[0])
    lines = text.split("\n")
    removed = []
    for line in lines:
        if line.strip().startswith("class"):
            break
        if not line.strip().startswith("import") and not line.strip().startswith("from"):
            removed.append(line)
    text = "\n".join(line for line in lines if line not in removed)
    return _dedent_to_class(text)


def _dedent_to_class(text: str) -> str:
    class_indent = 0
    for line in text.split("\n"):
        if line.strip().startswith("class"):
            class_indent = leading_spaces(line)
            break
    if class_indent == 0:
        return text
    return "\n".join(
        " " * (leading_spaces(line) - class_indent) + line.lstrip() for line in text.split("\n")
    )


def add_static_statement(code: str) -> str:
    """Upstream's staticmethod fix: drop every `@staticmethod` line, then put one before each
    method `def` (indented 4) that names neither `self` nor `cls`."""
    kept = [line for line in code.split("\n") if "@staticmethod" not in line]
    out = []
    for line in kept:
        if (
            line.strip().startswith("def ")
            and "self" not in line
            and "cls" not in line
            and leading_spaces(line) == 4
        ):
            out.append("    @staticmethod")
        out.append(line)
    return "\n".join(out)


def program(answer: str, task: dict[str, Any]) -> str:
    """The module upstream tests: the imports, the extracted class, a newline, the tests."""
    code = add_static_statement(extract_code(answer))
    return "\n".join(task["import_statement"]) + "\n" + code + "\n" + task["test"]


def extract_method_code(code: str, method_name: str) -> str:
    """One method from a model's answer, indented as a class member (upstream's
    `InferenceUtil.extract_method_code`); "" when the answer has no `def method_name(`.

    Upstream indexes the line after the `def` unguarded (an answer ending at the `def` line
    crashes upstream's generation of that sample); here that check is skipped instead.
    """
    code = _after_marker(code)
    for pattern in METHOD_PATTERNS:
        found = re.findall(pattern, code, re.S)
        if found:
            code = found[0]
            break
    lines = code.split("\n")
    prefix = "def " + method_name + "("
    start = next((i for i, line in enumerate(lines) if prefix in line), None)
    if start is None:
        return ""
    method = ["" if line in ("```", "\r") else line for line in lines[start:]]
    if len(method) > 1 and leading_spaces(method[1]) - leading_spaces(method[0]) > 4:
        method[0] = " " * 4 + method[0]
    first = leading_spaces(method[0])
    for i, line in enumerate(method[1:]):
        if leading_spaces(line) <= first and len(line) > 0:
            method = method[: i + 1]
            break
    method = [" " * (4 - first) + line for line in method]
    if "self" not in method[0] and "cls" not in method[0]:
        method.insert(0, " " * 4 + "@staticmethod")
    quotes = sum(line in (" " * 8 + '"""', " " * 4 + '"""') for line in method)
    if quotes % 2 == 1:
        method += [" " * 8 + '"""', " " * 8 + "pass"]
    return "\n".join(method).rstrip() + "\n"


def compositional_class(task: dict[str, Any], outputs: list[str]) -> str:
    """Upstream's compositional post-processing: the imports, the constructor (without the
    description), then each method extracted from its own answer."""
    text = "\n".join(task["import_statement"]) + "\n" + task["class_constructor"]
    for method, output in zip(task["methods_info"], outputs, strict=False):
        text += "\n\n" + extract_method_code(output, method["method_name"])
    return text
