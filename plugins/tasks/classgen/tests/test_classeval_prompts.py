"""The prompts of the three strategies, character for character (expected text written by hand
from upstream's construction in generation/inference_pipeline.py and inference_util.py)."""

from __future__ import annotations

import json
from pathlib import Path

from agentbench_classgen.classeval.prompts import (
    class_header,
    compositional_class_text,
    holistic_prompt,
    method_prompt,
    method_signature,
)
from agentbench_classgen.classeval.task import ClassEval

from agentbench.testing import run_episode, scripted

TINY = Path(__file__).parent / "fixtures" / "classeval_tiny.json"

TASK = json.loads(TINY.read_text())[0]  # TemperatureLog

ALPACA_HEAD = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n"
)
ALPACA_TAIL = "\n\n### Response:\n"

# The constructor's first line gets " \n" + the description (upstream's add_desc_to_init); the
# record's constructor line already ends in a space, hence two before the newline.
HEADER = (
    "import statistics\n"
    "class TemperatureLog:  \n"
    '    """\n'
    "    A log of temperature readings in Celsius, with their mean and a unit conversion.\n"
    '    """\n'
    "\n"
    "    def __init__(self):\n"
    '        """\n'
    "        Initialize the list of readings.\n"
    '        """\n'
    "        self.readings = []\n"
    "\n"
)
ADD_DOC = (
    "def add(self, value):\n"
    '        """\n'
    "        Record a reading.\n"
    "        :param value: float, degrees Celsius\n"
    "        :return: int, the number of readings so far\n"
    "        >>> log = TemperatureLog()\n"
    "        >>> log.add(20.5)\n"
    "        1\n"
    '        """'
)
MEAN_DOC = (
    "def mean(self):\n"
    '        """\n'
    "        The mean of the readings, 0.0 when there are none.\n"
    "        :return: float\n"
    "        >>> log = TemperatureLog()\n"
    "        >>> log.add(10)\n"
    "        >>> log.add(20)\n"
    "        >>> log.mean()\n"
    "        15.0\n"
    '        """'
)
ADD_ANSWER = (
    "Sure:\n```python\n    def add(self, value):\n        self.readings.append(value)\n"
    "        return len(self.readings)\n```"
)
ADD_EXTRACTED = (
    "    def add(self, value):\n        self.readings.append(value)\n"
    "        return len(self.readings)\n"
)


def test_holistic_prompt_in_each_format() -> None:
    instruction = "Please complete the class TemperatureLog in the following code.\n"
    skeleton = TASK["skeleton"]
    assert holistic_prompt(TASK, "instruction") == (
        ALPACA_HEAD + instruction + skeleton + ALPACA_TAIL
    )
    assert holistic_prompt(TASK, "magicoder") == (
        "You are an exceptionally intelligent coding assistant that consistently delivers "
        "accurate and reliable responses to user instructions.\n\n@@ Instruction:\n"
        + instruction
        + skeleton
        + "\n\n@@ Response:\n"
    )
    assert holistic_prompt(TASK, "plain") == instruction + skeleton
    assert holistic_prompt(TASK, "base") == skeleton


def test_incremental_first_prompt_and_header() -> None:
    assert class_header(TASK) == HEADER
    expected = (
        ALPACA_HEAD
        + "please complete add method in the following class TemperatureLog\n\n"
        + HEADER
        + "\n\n    "
        + ADD_DOC
        + ALPACA_TAIL
    )
    assert method_prompt(TASK, TASK["methods_info"][0], class_header(TASK), "instruction") == (
        expected
    )
    assert method_prompt(TASK, TASK["methods_info"][0], class_header(TASK), "base") == (
        HEADER + "\n\n    " + ADD_DOC
    )


def test_compositional_prompt_shows_the_other_methods_as_pass_stubs() -> None:
    assert method_signature(ADD_DOC, "add") == "    def add(self, value):"
    assert method_signature(ADD_DOC, "mean") == ""
    text = compositional_class_text(TASK, "mean")
    assert text == (
        HEADER
        + "    def add(self, value):\n        pass\n\n"
        + "    def to_fahrenheit(celsius):\n        pass\n\n"
    )
    assert method_prompt(TASK, TASK["methods_info"][1], text, "plain") == (
        "please complete mean method in the following class TemperatureLog\n\n"
        + text
        + "\n\n    "
        + MEAN_DOC
    )


async def test_incremental_episode_puts_each_generated_method_in_the_next_prompt() -> None:
    task = ClassEval({"data": str(TINY), "strategy": "incremental"})
    model = scripted([ADD_ANSWER, "no code at all", "def to_fahrenheit(c):\n    return 0"])
    run = await run_episode(task, sample_id="Fixture_0", model=model, sandbox="local")
    prompts = [m.text for m in run.context.messages if m.role == "user"]
    systems = [m.text for m in run.context.messages if m.role == "system"]
    assert systems == ["You are a helpful assistant."] * 3
    assert prompts[1] == (
        ALPACA_HEAD
        + "please complete mean method in the following class TemperatureLog\n\n"
        + HEADER
        + "\n\n"
        + ADD_EXTRACTED
        + "\n\n    "
        + MEAN_DOC
        + ALPACA_TAIL
    )
    # The second answer had no `def mean(`: upstream adds an empty method text.
    assert prompts[2].startswith(ALPACA_HEAD + "please complete to_fahrenheit method")
    assert HEADER + "\n\n" + ADD_EXTRACTED + "\n\n" + "\n\n    def to_fahrenheit" in prompts[2]


async def test_compositional_episode_asks_once_per_method_and_joins() -> None:
    task = ClassEval({"data": str(TINY), "strategy": "compositional", "system": ""})
    answers = [ADD_ANSWER, "def mean(self):\n    return 1.0", "nothing"]
    run = await run_episode(task, sample_id="Fixture_0", model=scripted(answers), sandbox="local")
    assert [m.role for m in run.context.messages] == ["user", "assistant"] * 3
    program = run.score.details["program"]
    constructor = TASK["class_constructor"]
    assert program.startswith(
        "import statistics\n"  # imports prepended by the evaluation
        + "import statistics\n"
        + constructor
        + "\n\n"
        + ADD_EXTRACTED
        + "\n\n    def mean(self):\n        return 1.0\n"  # upstream rstrips the answer
        + "import unittest\n"
    )
