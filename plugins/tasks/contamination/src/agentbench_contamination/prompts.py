"""The guided and general instructions, and how an instance is cut into two pieces.

Rebuilt after Golchin & Surdeanu, "Time Travel in LLMs: Tracing Data Contamination in Large
Language Models" (ICLR 2024), repository shahriargolchin/time-travel-in-llms @ a307eef2:
`src/prompts/guided_instructions.py` and `src/prompts/general_instructions.py` (the "cls"
templates), `src/helpers/text_helper.py` (the split). The templates produce upstream's text
character for character, with one change: upstream's "cls" templates carry a `LABEL:` line;
here it is present only when the instance has a label (`-T label_field=...`), since most
agentbench tasks (code, agents) have none. Without a label the general instruction ends its
first sentence at "a single instance" (upstream: "... with the following LABEL").
"""

from __future__ import annotations

import random
import re

_GUIDED_HEAD = (
    "INSTRUCTION:\n"
    "You are provided with the FIRST PIECE of an instance from the {split} split of the "
    "{dataset} dataset.\n"
    "Finish the SECOND PIECE of the instance as EXACTLY appeared in the dataset.\n"
    "ONLY rely on the original form of the instance in the dataset to finish the SECOND PIECE.\n"
)
_GENERAL_HEAD_LABEL = (
    "INSTRUCTION:\n"
    "Finish the SECOND PIECE based on the FIRST PIECE, such that these two pieces become a single "
    "instance with the following LABEL.\n"
)
_GENERAL_HEAD = (
    "INSTRUCTION:\n"
    "Finish the SECOND PIECE based on the FIRST PIECE, such that these two pieces become a single "
    "instance.\n"
)
_TAIL = "\nFIRST PIECE:\n{first}\n\nSECOND PIECE:\n"

# Upstream cuts with nltk's punkt sentence tokenizer, which needs a model download; this
# splitter (a sentence ends at . ! or ? followed by white space) agrees on ordinary prose.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def guided_prompt(first: str, *, dataset: str, split: str, label: str | None = None) -> str:
    """The guided instruction: names the dataset and split, asks for the exact second piece."""
    head = _GUIDED_HEAD.format(split=split, dataset=dataset)
    return head + _label(label) + _TAIL.format(first=first)


def general_prompt(first: str, *, label: str | None = None) -> str:
    """The general instruction: the same completion without naming the dataset."""
    head = _GENERAL_HEAD if label is None else _GENERAL_HEAD_LABEL
    return head + _label(label) + _TAIL.format(first=first)


def _label(label: str | None) -> str:
    return "" if label is None else f"\nLABEL: {label}\n"


def split_instance(
    text: str,
    *,
    unit: str = "auto",
    min_percent: float = 40,
    max_percent: float = 70,
    seed: int = 42,
) -> tuple[str, str]:
    """Cut an instance into (first piece, second piece) at a random point between the bounds.

    As upstream: the units are sentences when there are several, else words split on single
    spaces (`unit="auto"`); the cut is round(uniform(min% x n, max% x n)) units in, drawn from
    a generator seeded with `seed` for every instance (so every instance is cut at the same
    fraction); the pieces are the units joined by one space. `unit="line"` cuts code at line
    boundaries instead and keeps the newlines.
    """
    units, joiner = _units(text, unit)
    n = len(units)
    point = round(random.Random(seed).uniform(min_percent / 100 * n, max_percent / 100 * n))
    return joiner.join(units[:point]), joiner.join(units[point:])


def _units(text: str, unit: str) -> tuple[list[str], str]:
    if unit == "line":
        return text.splitlines(), "\n"
    if unit == "word":
        return text.split(" "), " "
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    if unit == "sentence" or len(sentences) > 1:
        return sentences, " "
    return text.split(" "), " "
