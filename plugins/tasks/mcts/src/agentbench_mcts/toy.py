"""A deterministic stand-in model for tests and benchmarks of the search (no network).

`toy_output(prompt, n, logprobs)` answers the two kinds of prompts the task sends:

- a policy prompt ('QUESTION: ...\\n\\nANSWER:<steps>'): n samples alternating a right and a
  wrong continuation (right: 'Let me add the numbers step by step.' then 'The answer is G';
  wrong: 'I will guess the result.' then 'The answer is G+1'), right tokens at logprob -0.1,
  wrong ones at -0.7;
- a self-evaluation prompt: ' (B) correct' unless the proposed solution guesses, with the verdict
  token's top logprobs B 0.9 / A 0.1 (reversed for a guess).

The gold answer G comes from `answers` (question -> answer) or from a question 'What is X + Y?'.
`ToyProvider` serves it as a model provider; `toy_responder` as a fake server's responder.
"""

from __future__ import annotations

import math
import re
from typing import Any

from agentbench import (
    GenerateConfig,
    Message,
    ModelChoice,
    ModelOutput,
    ModelProvider,
    TokenLogprob,
    ToolSpec,
    TopLogprob,
    Usage,
)

RIGHT_FIRST = "Let me add the numbers step by step."
WRONG_FIRST = "I will guess the result."
_SUM = re.compile(r"What is (-?\d+) \+ (-?\d+)\?")


def _tokens(text: str, logprob: float, top: int) -> list[TokenLogprob]:
    return [
        TokenLogprob(
            token=tok,
            logprob=logprob,
            top=[TopLogprob(token=tok, logprob=logprob)][: max(top, 1)],
        )
        for tok in re.findall(r"\s*\S+", text)
    ]


def _gold(question: str, answers: dict[str, str] | None) -> int:
    if answers and question in answers:
        return int(float(answers[question]))
    m = _SUM.search(question)
    return int(m.group(1)) + int(m.group(2)) if m else 0


def _policy_choice(prefix: str, gold: int, right: bool, logprobs: bool, top: int) -> ModelChoice:
    lines = prefix.count("\n")
    if lines == 0 and not prefix.strip():
        text = (
            f"{RIGHT_FIRST}\nThe answer is {gold}"
            if right
            else f"{WRONG_FIRST}\nThe answer is {gold + 1}"
        )
    else:
        text = f"The answer is {gold}" if right else f"After a guess, the answer is {gold + 1}"
    lps = _tokens(text, -0.1 if right else -0.7, top) if logprobs else None
    return ModelChoice(message=Message.assistant(text), logprobs=lps)


def _eval_choice(prompt: str, logprobs: bool, top: int) -> ModelChoice:
    proposed = prompt.split("PROPOSED SOLUTION:")[-1].split("\n\nQUESTION: Evaluate")[0]
    good = "guess" not in proposed
    text = " (B) correct" if good else " (A) incorrect"
    if not logprobs:
        return ModelChoice(message=Message.assistant(text))
    p_b = 0.9 if good else 0.1
    verdict = "B" if good else "A"
    tokens = [
        TokenLogprob(token=" (", logprob=-0.01),
        TokenLogprob(
            token=verdict,
            logprob=math.log(p_b if good else 1 - p_b),
            top=[
                TopLogprob(token="B", logprob=math.log(p_b)),
                TopLogprob(token="A", logprob=math.log(1 - p_b)),
            ][: max(top, 2)],
        ),
        TokenLogprob(token=")", logprob=-0.01),
    ]
    return ModelChoice(message=Message.assistant(text), logprobs=tokens)


def toy_output(
    prompt: str,
    n: int = 1,
    logprobs: bool = True,
    top: int = 2,
    answers: dict[str, str] | None = None,
) -> ModelOutput:
    """The toy model's answer to one prompt (see the module docstring)."""
    if "PROPOSED SOLUTION:" in prompt:
        choices = [_eval_choice(prompt, logprobs, top) for _ in range(n)]
    else:
        question = prompt.split("QUESTION: ", 1)[-1].split("\n\nANSWER:", 1)[0]
        prefix = prompt.split("\n\nANSWER:", 1)[-1]
        gold = _gold(question, answers)
        choices = [_policy_choice(prefix, gold, i % 2 == 0, logprobs, top) for i in range(n)]
    out_tokens = sum(len(c.message.text.split()) for c in choices)
    usage = Usage(input_tokens=len(prompt.split()), output_tokens=out_tokens)
    return ModelOutput(model="toy", choices=choices, usage=usage)


class ToyProvider(ModelProvider):
    """The toy model as a provider (`logprobs=False` plays a provider that gives none)."""

    name = "toy"
    supports_n = True  # answers n choices in one call, as OpenAI does

    def __init__(
        self, model_name: str = "toy", answers: dict[str, str] | None = None, **options: Any
    ) -> None:
        super().__init__(model_name, **options)
        self.answers = answers
        self.with_logprobs = bool(options.get("logprobs", True))
        self.calls = 0

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        self.calls += 1
        logprobs = config.logprobs and self.with_logprobs
        return toy_output(
            messages[-1].text, config.n, logprobs, config.top_logprobs or 2, self.answers
        )


def toy_responder(answers: dict[str, str] | None = None) -> Any:
    """A fake server responder (`FakeOpenAIServer(toy_responder())`) playing the toy model."""

    def respond(request: Any) -> ModelOutput:
        body = request.body
        return toy_output(
            request.last_text,
            int(body.get("n") or 1),
            bool(body.get("logprobs")),
            int(body.get("top_logprobs") or 2),
            answers,
        )

    return respond
