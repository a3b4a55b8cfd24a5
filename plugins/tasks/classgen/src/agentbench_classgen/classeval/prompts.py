"""ClassEval prompts, rebuilt to match upstream character for character.

Upstream: FudanSELab/ClassEval, `generation/inference_pipeline.py` (`construct_prompt`,
`pipeline`) and `generation/inference_util.py` (`generate_prompt`, `get_method_signature`,
`add_desc_to_init`), as of the pinned data commit (the generation code read at 87c58832).

Prompt formats (`-T prompt_format=`), after upstream's per-model branches:

- `instruction`: the Alpaca wrapper upstream uses for every model not named below (GPT-3.5 and
  GPT-4 included, which also get the system message "You are a helpful assistant.");
- `magicoder`: Magicoder's "@@ Instruction" wrapper;
- `plain`: the instruction unwrapped (upstream's DeepSeek-Coder-instruct and Gemini Pro path);
- `base`: the code alone, no instruction (upstream's PolyCoder and SantaCoder path).
"""

from __future__ import annotations

from typing import Any, Literal

PromptFormat = Literal["instruction", "magicoder", "plain", "base"]
Strategy = Literal["holistic", "incremental", "compositional"]

#: The system message of upstream's OpenAI calls.
SYSTEM_PROMPT = "You are a helpful assistant."

_ALPACA = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)
_MAGICODER = (
    "You are an exceptionally intelligent coding assistant that consistently delivers accurate "
    "and reliable responses to user instructions.\n\n@@ Instruction:\n{instruction}\n\n"
    "@@ Response:\n"
)


def wrap(instruction: str, prompt_format: PromptFormat) -> str:
    """Upstream's `generate_prompt`: the instruction in the model family's template."""
    if prompt_format == "magicoder":
        return _MAGICODER.format(instruction=instruction)
    if prompt_format == "instruction":
        return _ALPACA.format(instruction=instruction)
    return instruction


def holistic_prompt(task: dict[str, Any], prompt_format: PromptFormat) -> str:
    """The one prompt of the holistic strategy: complete the whole skeleton."""
    if prompt_format == "base":
        return str(task["skeleton"])
    instruction = f"Please complete the class {task['class_name']} in the following code."
    return wrap(instruction + "\n" + task["skeleton"], prompt_format)


def method_prompt(
    task: dict[str, Any], method: dict[str, Any], class_text: str, prompt_format: PromptFormat
) -> str:
    """The prompt for one method: the class so far, then the method's signature and docstring."""
    skeleton = class_text + "\n\n    " + method["method_description"]
    if prompt_format == "base":
        return skeleton
    instruction = (
        f"please complete {method['method_name']} method in the following class "
        f"{task['class_name']}\n\n"
    )
    return wrap(instruction + skeleton, prompt_format)


def class_init_with_description(task: dict[str, Any]) -> str:
    """Upstream's `add_desc_to_init`: the class description after the constructor's first line."""
    lines = task["class_constructor"].split("\n")
    lines[0] += " \n" + task["class_description"]
    return "\n".join(lines)


def class_header(task: dict[str, Any]) -> str:
    """The imports and the constructor with the description: where both per-method strategies
    start."""
    return "\n".join(task["import_statement"]) + "\n" + class_init_with_description(task)


def method_signature(description: str, method_name: str) -> str:
    """Upstream's `get_method_signature`: the `def` line(s) of a method description, indented."""
    prefix = "def " + method_name + "("
    for segment in description.split("):"):
        if prefix in segment:
            return "    " + segment + "):"
    return ""


def compositional_class_text(task: dict[str, Any], method_name: str) -> str:
    """The class text of a compositional prompt: every other method as a signature with `pass`."""
    text = class_header(task)
    for other in task["methods_info"]:
        if other["method_name"] == method_name:
            continue
        text += method_signature(other["method_description"], other["method_name"])
        text += "\n        pass\n\n"
    return text
