"""Code extraction as upstream's test_pipeline.py and inference_util.py do it, quirks included."""

from __future__ import annotations

from agentbench_classgen.classeval.extract import (
    add_static_statement,
    extract_code,
    extract_method_code,
    program,
)


def test_fenced_blocks_in_upstreams_order() -> None:
    assert extract_code("Here:\n```python\nclass A: pass\n```\nDone.") == "\nclass A: pass\n"
    # ```ruby comes before the bare fence; the first python block wins over later ones
    assert extract_code("```\nx = 1\n```\n```ruby\ny\n```") == "\ny\n"
    assert extract_code("```python\na\n```\n```python\nb\n```") == "\na\n"
    assert extract_code("[PYTHON]\nclass B: pass\n[/PYTHON]") == "\nclass B: pass\n"
    assert extract_code("```\nclass C: pass\n```") == "\nclass C: pass\n"


def test_an_unclosed_python_fence_yields_empty_code_as_upstream() -> None:
    # upstream's fourth pattern r"```python(.*?)" matches the empty string
    assert extract_code("```python\nclass A:\n    pass") == ""


def test_text_after_a_response_marker_up_to_the_next_one() -> None:
    text = "prompt ### Response:\n```python\nclass A: pass\n```### Response: other"
    assert extract_code(text) == "\nclass A: pass\n"
    assert extract_code("[INST] write [/INST]class D:\n    x = 1") == "class D:\n    x = 1"


def test_without_a_block_the_code_starts_at_the_class_line_dedented() -> None:
    text = "Sure, here it is.\nimport os\n    class A:\n        def f(self):\n            return 1"
    assert extract_code(text) == "import os\nclass A:\n    def f(self):\n        return 1"


def test_lines_before_the_class_are_removed_wherever_the_same_text_recurs() -> None:
    # upstream filters by line text, so a blank line before the class removes every blank line
    text = "Intro\n\nclass A:\n    x = 1\n\n    y = 2"
    assert extract_code(text) == "class A:\n    x = 1\n    y = 2"


def test_staticmethod_fix() -> None:
    code = (
        "class A:\n    @staticmethod\n    def f(x):\n        return x\n"
        "    def g(self):\n        def inner(y):\n            return y\n"
        "    def h(klass, cls_name):\n        pass"
    )
    assert add_static_statement(code) == (
        "class A:\n    @staticmethod\n    def f(x):\n        return x\n"
        "    def g(self):\n        def inner(y):\n            return y\n"
        "    def h(klass, cls_name):\n        pass"
    )
    assert add_static_statement("class A:\n    def f(x): pass") == (
        "class A:\n    @staticmethod\n    def f(x): pass"
    )


def test_program_is_imports_class_then_tests() -> None:
    task = {"import_statement": ["import os", "import re"], "test": "import unittest\n"}
    assert program("```python\nclass A: pass\n```", task) == (
        "import os\nimport re\n\nclass A: pass\n\nimport unittest\n"
    )
    assert program("", {"import_statement": [], "test": "T"}) == "\n\nT"


def test_method_extraction_reindents_and_stops_at_the_next_member() -> None:
    answer = (
        "### Response:\n```python\nclass A:\n    def f(self, x):\n        return x\n\n"
        "    def g(self):\n        pass\n```"
    )
    assert extract_method_code(answer, "f") == "    def f(self, x):\n        return x\n"
    # a def at column 0 with an 8-space body gets 4 spaces on its first line only
    assert extract_method_code("def f(self):\n        return 1\nx = 2", "f") == (
        "    def f(self):\n        return 1\n"
    )
    assert extract_method_code("def f(self):\n    return 1", "f") == (
        "    def f(self):\n        return 1\n"
    )
    assert extract_method_code("no method here", "f") == ""
    assert extract_method_code("def f(self): return 1", "f") == "    def f(self): return 1\n"


def test_method_extraction_adds_staticmethod_and_closes_a_docstring() -> None:
    assert extract_method_code("def f(x):\n    return x", "f") == (
        "    @staticmethod\n    def f(x):\n        return x\n"
    )
    open_doc = 'def f(self):\n    """\n    Doc.\n    return 1'
    assert extract_method_code(open_doc, "f") == (
        '    def f(self):\n        """\n        Doc.\n        return 1\n        """\n        pass\n'
    )
    assert extract_method_code("[PYTHON]\ndef f(self):\n    return 2\n[/PYTHON]", "f") == (
        "    def f(self):\n        return 2\n"
    )
