"""The `realcritic` task: RealCritic's direct, self, cross and iterative critique protocols.

Each sample is one record of one of the eight tasks. The protocols (`-T protocol=`):

- `direct`: the solver (role "default") answers; its answer is scored;
- `cross`: the critic (role "critic") critiques the record's own solution; the corrected answer
  is scored against the record's `previous_score` (the prior);
- `self`: the solver answers, then critiques its own answer in the same episode; both answers
  are scored, the first being the prior;
- `iterative`: as `cross`, over `rounds` rounds (default 2): after each round the critique stays
  as the assistant turn and the critic is asked to re-examine; every round is scored and kept.

`rounds` also applies to `cross` and `self`. Python blocks in responses run in the sandbox.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field

from agentbench import (
    ConfigError,
    DataError,
    EpisodeContext,
    RoleSpec,
    Sample,
    SandboxSpec,
    Score,
    Task,
    TaskOptions,
)

from .answers import CHOICES, parse_ground_truth
from .codeexec import RUNNER_FILE, RUNNER_SOURCE
from .data import TaskData, load_task, parse_tasks, prior_correct, task_file
from .grading import COMPARE_TIMEOUT, shared_grader
from .metrics import realcritic_figures
from .prompts import as_reasoning, critique_messages, direct_messages
from .protocols import Round, critique_rounds, solve_direct
from .references import critique_reference, direct_reference

log = logging.getLogger(__name__)

Protocol = Literal["direct", "cross", "self", "iterative"]
_DEFAULT_ROUNDS = {"direct": 1, "cross": 1, "self": 1, "iterative": 2}


class RealCriticOptions(TaskOptions):
    """Options of `realcritic` (`-T key=value`)."""

    data: str | None = Field(
        default=None,
        description="folder in upstream's layout (<task>/test.jsonl); unset: download the "
        "pinned upstream files into the cache",
    )
    data_url: str | None = Field(
        default=None, description="base URL of a mirror of upstream's data/mix_data/"
    )
    tasks: str | None = Field(
        default=None, description="comma-separated tasks (default: all eight), e.g. gsm8k,math"
    )
    protocol: Protocol = Field(default="cross", description="direct, cross, self or iterative")
    rounds: int | None = Field(
        default=None, ge=1, description="critique rounds (default 1; iterative: 2)"
    )
    critic_role: Literal["critic", "default"] = Field(
        default="critic", description="model role that writes the critiques of cross/iterative"
    )
    compare_timeout: float = Field(
        default=COMPARE_TIMEOUT, gt=0, description="seconds per answer comparison (upstream: 3)"
    )
    on_bad_record: Literal["fail", "skip"] = Field(
        default="fail", description="fail or skip bad records"
    )


class RealCritic(Task):
    """RealCritic (Tang et al., 2025): critiques judged by the answers they lead to."""

    name = "realcritic"
    Options: ClassVar[type[TaskOptions]] = RealCriticOptions
    roles: ClassVar[dict[str, Any]] = {
        "critic": RoleSpec(
            fallback="default",
            description="writes the critiques of cross and iterative (default: the solver)",
        )
    }

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.opts: RealCriticOptions = self.options  # type: ignore[assignment]
        self.task_names = parse_tasks(self.opts.tasks)
        self.rounds = self.opts.rounds or _DEFAULT_ROUNDS[self.opts.protocol]
        if self.opts.protocol == "direct" and self.rounds != 1:
            raise ConfigError(
                "the direct protocol has one round (upstream forces multi_turn=1 without a "
                "critique)",
                "drop -T rounds, or use -T protocol=iterative",
            )
        self._loaded: list[TaskData] | None = None

    # data -------------------------------------------------------------------------------------

    def load(self) -> list[TaskData]:
        """Every chosen task's records (loaded once)."""
        if self._loaded is None:
            self._loaded = [
                load_task(
                    name,
                    task_file(name, self.opts.data, self.opts.data_url),
                    on_bad_record=self.opts.on_bad_record,
                )
                for name in self.task_names
            ]
        return self._loaded

    def samples(self) -> Iterator[Sample]:
        """One sample per record, task by task, in `idx` order."""
        needs_reasoning = self.opts.protocol in ("cross", "iterative")
        for data in self.load():
            for record in data.records:
                yield self._sample(data.task, record, needs_reasoning)

    def _sample(self, task: str, record: dict[str, Any], needs_reasoning: bool) -> Sample:
        question = record["question"]
        reasoning = None
        if needs_reasoning or "reasoning" in record:
            try:
                reasoning = as_reasoning(record["reasoning"])
            except (KeyError, ValueError) as exc:
                if needs_reasoning:
                    raise DataError(
                        f"{task} record {record['idx']}: no usable 'reasoning' ({exc})",
                        "a cross or iterative critique needs the solution to critique",
                    ) from None
        messages = (
            critique_messages(question, reasoning or "")
            if needs_reasoning
            else direct_messages(question)
        )
        return Sample(
            id=f"{task}/{record['idx']}",
            input=messages,
            target=parse_ground_truth(record, task),
            subset=task,
            metadata={
                "task": task,
                "idx": record["idx"],
                "question": question,
                "reasoning": reasoning,
                "raw_gt": str(record["gt"]),
                "prior": prior_correct(record),
            },
        )

    # episode ----------------------------------------------------------------------------------

    def sandbox_spec(self, sample: Sample) -> SandboxSpec:
        """The `python` image (for python blocks in responses), no network."""
        return SandboxSpec(image="python", network=False, files={RUNNER_FILE: RUNNER_SOURCE})

    async def solve(self, ctx: EpisodeContext) -> None:
        """Run the chosen protocol; finished rounds are kept in `ctx.state` as they end."""
        meta = ctx.sample.metadata
        protocol = self.opts.protocol
        critiques: list[Round] = ctx.state.setdefault("critiques", [])
        if protocol in ("direct", "self"):
            ctx.state["solver"] = await solve_direct(ctx, meta["question"])
            if protocol == "direct":
                return
            reasoning, role = ctx.state["solver"].text, "default"
        else:
            reasoning, role = meta["reasoning"], self.opts.critic_role
        await critique_rounds(ctx, meta["question"], reasoning, role, self.rounds, critiques)

    async def check(self, ctx: EpisodeContext) -> Score:
        """Score every answer of the episode; the last one is the episode's score."""
        meta = ctx.sample.metadata
        solver: Round | None = ctx.state.get("solver")
        critiques: list[Round] = ctx.state.get("critiques", [])
        graded = [await self._grade(ctx, r.text) for r in critiques]
        solver_graded = await self._grade(ctx, solver.text) if solver is not None else None
        if self.opts.protocol == "direct":
            prior = None
            rounds = [solver_graded["correct"]] if solver_graded else []
        elif self.opts.protocol == "self":
            prior = bool(solver_graded and solver_graded["correct"])
            rounds = [g["correct"] for g in graded]
        else:
            prior = bool(meta["prior"])  # upstream: a missing previous_score counts as wrong
            rounds = [g["correct"] for g in graded]
        post = bool(rounds[-1]) if rounds else False
        details: dict[str, Any] = {
            "task": meta["task"],
            "idx": meta["idx"],
            "protocol": self.opts.protocol,
            "gt": ctx.sample.target,
            "prior": prior,
            "post": post,
            "rounds": rounds,
            "answers": [g["answer"] for g in graded] if graded else [],
        }
        if solver_graded is not None:
            details["solver"] = solver_graded
        if prior is not None:
            details["transition"] = f"{'C' if prior else 'I'}->{'C' if post else 'I'}"
        problems = [g["problem"] for g in [*graded, solver_graded] if g and g["problem"]]
        if problems:
            details["grading_problems"] = problems
        return Score.of(post, _explain(details), **details)

    async def _grade(self, ctx: EpisodeContext, text: str) -> dict[str, Any]:
        meta, grader = ctx.sample.metadata, shared_grader()
        extracted = await grader.aextract(text, meta["task"], meta["raw_gt"])
        answer = extracted.value if extracted.problem is None else None
        verdict = await grader.aequal(answer, ctx.sample.target, self.opts.compare_timeout)
        problem = extracted.problem or verdict.problem
        return {"answer": answer, "correct": verdict.equal, "problem": problem}

    def reference(self, sample: Sample, role: str = "default") -> list[str]:
        """A correct run in upstream's format: one response per model call (of either role:
        each protocol calls one role only)."""
        meta = sample.metadata
        answer = meta["raw_gt"] if meta["raw_gt"] in CHOICES else str(sample.target)
        if self.opts.protocol == "direct":
            return [direct_reference(answer)]
        if self.opts.protocol == "self":
            return [direct_reference(answer)] + [critique_reference(answer, True)] * self.rounds
        return [critique_reference(answer, bool(meta["prior"]))] * self.rounds

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """Accuracy, prior accuracy and its change, transitions, per task and per round."""
        figures = realcritic_figures(results)
        figures["protocol"] = self.opts.protocol
        figures["rounds"] = self.rounds
        skipped = [
            {"task": data.task, "where": where, "reason": why}
            for data in self._loaded or []
            for where, why in data.bad
        ]
        if skipped:
            figures["skipped_records"] = skipped
        return figures


def _explain(details: dict[str, Any]) -> str:
    answers = details["answers"] or [details.get("solver", {}).get("answer")]
    verdict = "correct" if details["post"] else "incorrect"
    text = f"{verdict}: answer {answers[-1]!r}, reference {details['gt']!r}"
    if "transition" in details:
        text += f" ({details['transition']})"
    return text


__all__ = ["RealCritic", "RealCriticOptions"]
