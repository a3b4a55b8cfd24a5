"""Prompts of the RepoClassBench strategies.

Upstream publishes no Python agent prompts (its `agents/rrr_prompts/python_rrr_prompts.py`
returns empty strings), so these are this project's own wording of the strategies the paper
describes: a one-shot generation from the description, retrieval-augmented variants, and RRR
(retrieve with tools, write, run the tests, reflect on lint and test feedback).
"""

from __future__ import annotations

import re

from agentbench import ToolSpec

SYSTEM_PROMPT = (
    "You are an expert Python developer working inside an existing repository. You write one "
    "complete class that fits the repository and passes its tests."
)


def task_prompt(class_name: str, file_path: str, description: str, context: str = "") -> str:
    """The request to write the class, with retrieved context when there is some."""
    parts = [
        f"Write the class `{class_name}` for the file `{file_path}` of this repository.",
        f"Description of the class:\n{description}",
    ]
    if context:
        parts.append(f"Code from the repository that may help:\n{context}")
    parts.append(
        "Answer with the complete class in one ```python block. Put any import statements the "
        "class needs at the top of the block; the block replaces the class in the file."
    )
    return "\n\n".join(parts)


def feedback_prompt(feedback: str, *, with_lint: bool = True) -> str:
    """Ask for a corrected class after a failed evaluation."""
    what = "the linter and the tests" if with_lint else "the tests"
    return (
        f"Your class was placed in the file and checked. Feedback from {what}:\n{feedback}\n\n"
        "Reflect on what went wrong, then answer with the corrected complete class in one "
        "```python block."
    )


def rrr_tools_prompt() -> str:
    """The instruction that comes with the tools in the RRR strategy."""
    return (
        "Before writing, use the tools to look up the repository: the imports, classes, method "
        "signatures and bodies, and code related to the description. When you know enough, "
        "answer with the class (no tool call)."
    )


def extract_class(text: str) -> str:
    """The code of an answer: the first ```python block, else the first fenced block, else the
    whole text."""
    for pattern in (r"```python\n(.*?)```", r"```\n?(.*?)```"):
        found = re.search(pattern, text, re.S)
        if found:
            return found.group(1).rstrip() + "\n"
    return text


def _string_params(*names: str, optional: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "properties": {n: {"type": "string"} for n in (*names, *optional)},
        "required": list(names),
    }


TOOLS = [
    ToolSpec(
        name="get_imports",
        description="Import statements for a symbol defined in the repository.",
        parameters=_string_params("symbol"),
    ),
    ToolSpec(
        name="get_class_info",
        description="A class's signature, docstring, bases and member signatures.",
        parameters=_string_params("class_name"),
    ),
    ToolSpec(
        name="get_signature",
        description="The signature of a method of a class (or of a top-level function when "
        "class_name is left out).",
        parameters=_string_params("method_name", optional=("class_name",)),
    ),
    ToolSpec(
        name="get_method_body",
        description="The signature and source of a method (or top-level function).",
        parameters=_string_params("method_name", optional=("class_name",)),
    ),
    ToolSpec(
        name="get_related_snippets",
        description="Windows of repository code (20 lines) most similar to a text.",
        parameters=_string_params("query"),
    ),
    ToolSpec(
        name="get_relevant_code",
        description="Repository functions and classes most relevant to a description.",
        parameters=_string_params("query"),
    ),
]


def tool_arguments(name: str, arguments: dict) -> list[str] | str:
    """The script arguments of a tool call, or an error text for a bad call."""
    try:
        if name == "get_imports":
            return [str(arguments["symbol"])]
        if name == "get_class_info":
            return [str(arguments["class_name"])]
        if name in ("get_signature", "get_method_body"):
            method = str(arguments["method_name"])
            cls = arguments.get("class_name")
            return [str(cls), method] if cls else [method]
        if name in ("get_related_snippets", "get_relevant_code"):
            return [str(arguments["query"])]
    except KeyError as exc:
        return f"Error: {name} needs the argument {exc.args[0]!r}"
    return f"Error: unknown tool {name!r}; tools: {', '.join(t.name for t in TOOLS)}"
