"""The search's policy over any chat model: step proposals and self-evaluation.

A proposal sends the upstream prompt ('QUESTION: ...\\n\\nANSWER:' and the steps so far) as one
user message, with `n` samples, and keeps each sample's first line as the step (steps are cut at
newlines, as upstream); a step is terminal when it says ' answer is ...' or when the model's whole
answer was that one line. The self-evaluation sends upstream's hinted prompt and reads the
probability of "B"/"correct" from the first verdict token's top logprobs; when the provider
gives no logprobs it samples `eval_samples` verdicts and takes the share that say correct.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from agentbench import GenerateConfig, Message, ModelChoice, ModelOutput
from agentbench_mcts.answers import Question
from agentbench_mcts.prompts import hinted_eval_prompt, path_prompt
from agentbench_mcts.search import ANSWER_INDICATOR, Candidate

Generate = Callable[[list[Message], GenerateConfig], Awaitable[ModelOutput]]
EvalMode = Literal["auto", "logprobs", "sampled"]

# Upstream's correct_token_ids: 'B', 'correct', 'Correct', '(B', ' B', ' correct', ' Correct'.
CORRECT_TOKENS = frozenset({"B", "correct", "Correct", " B", " correct", " Correct", "(B"})
VERDICT_TOKENS = ("A", "B", "correct", "wrong", "incorrect")
VERDICT_TOKENS_2 = ("Cor", "In", "A", "B", "correct", "wrong", "incorrect")
_VERDICT_RE = re.compile(r"\(?\b(A|B|correct|incorrect|wrong|Correct|Incorrect|Wrong)\b")


@dataclass
class Counters:
    """Calls and tokens an episode's search spent."""

    calls: int = 0
    propose_calls: int = 0
    eval_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    eval_modes: dict[str, int] = field(default_factory=dict)


def cut_step(text: str, *, first: bool, to_end: bool, finished: bool) -> tuple[str, bool, int]:
    """The step in a sample, whether it ends the solution, and how many characters it used.

    Args:
        text: The sample's text.
        first: The step opens the answer (it gets upstream's leading space).
        to_end: Keep the whole sample as one final step (forced termination).
        finished: The model stopped by itself (not at the token limit).
    """
    body = text.lstrip("\n")
    skipped = len(text) - len(body)
    lines = [x for x in re.split(r"[\n]+", body) if x.strip()]
    if not lines:
        return "", True, len(text)
    for i, line in enumerate(lines):
        if ANSWER_INDICATOR in line and not line.rstrip().endswith(ANSWER_INDICATOR):
            if to_end or i == 0:
                step = "\n".join(lines[: i + 1]) if to_end else line
                return _lead(step, first), True, skipped + body.find(line) + len(line)
            break
    if to_end:
        return _lead("\n".join(lines), first), True, len(text)
    step = lines[0]
    used = skipped + body.find(step) + len(step)
    terminal = finished and len(lines) == 1
    return _lead(step if terminal else step + "\n", first), terminal, used


def _lead(step: str, first: bool) -> str:
    return " " + step if first and not step[:1].isspace() else step


def step_logprobs(choice: ModelChoice, used: int) -> tuple[float, ...] | None:
    """The logprobs of the tokens that make up the first `used` characters of the sample."""
    if choice.logprobs is None:
        return None
    out: list[float] = []
    seen = 0
    for tok in choice.logprobs:
        if seen >= used:
            break
        out.append(tok.logprob)
        seen += len(tok.token)
    return tuple(out)


def verdict_confidence(choice: ModelChoice) -> float | None:
    """P(correct) at the first verdict token (two passes, as upstream), None without logprobs."""
    if not choice.logprobs:
        return None
    for names in (VERDICT_TOKENS, VERDICT_TOKENS_2):
        for tok in choice.logprobs:
            if tok.token.strip() in names:
                probs = {t.token: t.logprob for t in tok.top}
                probs.setdefault(tok.token, tok.logprob)
                return sum(math.exp(lp) for t, lp in probs.items() if t in CORRECT_TOKENS)
    return 0.0


def sampled_verdict(text: str) -> bool:
    """Whether a sampled verdict says (B) correct."""
    m = _VERDICT_RE.search(text)
    return m is not None and m.group(1) in {"B", "correct", "Correct"}


class ChatPolicy:
    """`search.Policy` over a chat model reached through `generate(messages, config)`."""

    def __init__(
        self,
        generate: Generate,
        question: Question,
        *,
        max_step_tokens: int = 256,
        max_tokens: int = 1024,
        logprobs: bool = True,
        top_logprobs: int = 20,
        eval_mode: EvalMode = "auto",
        eval_samples: int = 5,
    ) -> None:
        self._generate = generate
        self.question = question
        self.max_step_tokens, self.max_tokens = max_step_tokens, max_tokens
        self.logprobs, self.top_logprobs = logprobs, top_logprobs
        self.eval_mode: EvalMode = eval_mode
        self.eval_samples = eval_samples
        self.counters = Counters()

    async def _call(self, messages: list[Message], config: GenerateConfig) -> ModelOutput:
        self.counters.calls += 1
        output = await self._generate(messages, config)
        self.counters.input_tokens += output.usage.input_tokens
        self.counters.output_tokens += output.usage.output_tokens
        return output

    async def propose(
        self, prefix: Sequence[str], n: int, temperature: float, to_end: bool = False
    ) -> list[Candidate]:
        """n samples of the next step, each cut at its first newline."""
        q = self.question
        messages = [Message.user(path_prompt(q.question, prefix, q.multiple_choice))]
        config = GenerateConfig(
            n=n,
            temperature=temperature,
            max_tokens=self.max_tokens if to_end else self.max_step_tokens,
            logprobs=self.logprobs,
        )
        self.counters.propose_calls += 1
        output = await self._call(messages, config)
        out = []
        for choice in output.choices[:n]:
            text = choice.message.text or ""
            step, terminal, used = cut_step(
                text, first=not prefix, to_end=to_end, finished=choice.stop_reason == "stop"
            )
            lps = step_logprobs(choice, used) if self.logprobs else None
            out.append(Candidate(text=step, logprobs=lps, terminal=terminal))
        return out

    async def evaluate(self, prefix: Sequence[str], step: str) -> float:
        """P(correct) from the verdict's logprobs, or the share of sampled verdicts."""
        q = self.question
        prompt = hinted_eval_prompt(q.question, q.solution, prefix, step)
        messages = [Message.user(prompt)]
        self.counters.eval_calls += 1
        if self.eval_mode in ("auto", "logprobs"):
            config = GenerateConfig(
                max_tokens=4, temperature=0.0, logprobs=True, top_logprobs=self.top_logprobs
            )
            output = await self._call(messages, config)
            conf = verdict_confidence(output.choices[0])
            if conf is not None:
                self._mode("logprobs")
                return conf
            if self.eval_mode == "logprobs":
                raise ValueError("the model gave no logprobs; use -T eval_mode=sampled")
            self.eval_mode = "sampled"  # this provider gives none: do not ask again
        config = GenerateConfig(n=self.eval_samples, temperature=1.0, max_tokens=4)
        output = await self._call(messages, config)
        votes = [sampled_verdict(c.message.text or "") for c in output.choices]
        self._mode("sampled")
        return sum(votes) / len(votes) if votes else 0.0

    def _mode(self, mode: str) -> None:
        self.counters.eval_modes[mode] = self.counters.eval_modes.get(mode, 0) + 1
