"""The `classeval` task: ClassEval's 100 classes, in upstream's three generation strategies.

    agentbench run classeval -T data=ClassEval_data.json -T strategy=incremental --model ...

holistic asks once for the whole class; incremental asks for one method at a time with every
method generated so far in the class; compositional asks for each method alone, the other methods
shown as signatures with `pass` bodies, and joins the answers. The program (imports, class, then
the task's unittest module) runs in the `python` sandbox, each test class under its own limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from agentbench import (
    EpisodeContext,
    GenerateConfig,
    Message,
    ModelOutput,
    Sample,
    SandboxSpec,
    Score,
    Task,
    TaskOptions,
    run_unittest,
)

from .data import load_tasks, resolve_data
from .extract import compositional_class, extract_method_code, program
from .prompts import (
    SYSTEM_PROMPT,
    PromptFormat,
    Strategy,
    class_header,
    compositional_class_text,
    holistic_prompt,
    method_prompt,
)
from .scoring import (
    MODULE_NAME,
    ClassResult,
    class_results,
    class_verdict,
    classeval_metrics,
)


class ClassEvalOptions(TaskOptions):
    """Options of `classeval` (`-T key=value`)."""

    data: str | None = Field(
        default=None,
        description="path of upstream's ClassEval_data.json; unset: download it (pinned) "
        "into the cache",
    )
    data_url: str | None = Field(default=None, description="download from this URL instead")
    data_sha256: str | None = Field(default=None, description="expected SHA-256 of the download")
    strategy: Strategy = Field(
        default="holistic", description="holistic, incremental, compositional"
    )
    prompt_format: PromptFormat = Field(
        default="instruction",
        description="instruction (Alpaca wrapper), magicoder, plain (no wrapper) or base "
        "(the code alone)",
    )
    system: str = Field(
        default=SYSTEM_PROMPT, description="system message ('' for none); upstream's for GPT"
    )
    timeout: float = Field(default=5.0, gt=0, description="seconds per test class (upstream: 5)")
    import_timeout: float = Field(
        default=30.0, gt=0, description="seconds to import the program and its libraries"
    )


class ClassEval(Task):
    """ClassEval (FudanSELab/ClassEval): 100 Python classes to complete from their skeletons."""

    name: ClassVar[str] = "classeval"
    Options: ClassVar[type[TaskOptions]] = ClassEvalOptions

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.opts: ClassEvalOptions = self.options  # type: ignore[assignment]
        self._tasks: list[dict[str, Any]] | None = None

    # data -------------------------------------------------------------------------------------

    def load(self) -> list[dict[str, Any]]:
        """The task records (loaded once)."""
        if self._tasks is None:
            path = resolve_data(
                self.opts.data, url=self.opts.data_url, sha256=self.opts.data_sha256
            )
            self._tasks = load_tasks(path)
        return self._tasks

    def samples(self) -> Iterator[Sample]:
        """One sample per ClassEval task; its input is the first prompt of the strategy."""
        for task in self.load():
            yield Sample(
                id=task["task_id"],
                input=self.messages(self.first_prompt(task)),
                metadata={"task": task},
            )

    def first_prompt(self, task: dict[str, Any]) -> str:
        """The strategy's first (for holistic: only) prompt."""
        fmt = self.opts.prompt_format
        if self.opts.strategy == "holistic" or not task["methods_info"]:
            return holistic_prompt(task, fmt)
        first = task["methods_info"][0]
        if self.opts.strategy == "incremental":
            return method_prompt(task, first, class_header(task), fmt)
        return method_prompt(task, first, compositional_class_text(task, first["method_name"]), fmt)

    def messages(self, prompt: str) -> list[Message]:
        """The chat messages of one prompt: the system message (if any), then the prompt."""
        system = [Message.system(self.opts.system)] if self.opts.system else []
        return [*system, Message.user(prompt)]

    # episode ----------------------------------------------------------------------------------

    def sandbox_spec(self, sample: Sample) -> SandboxSpec:
        """The `python` image, no network, reusable after a reset."""
        return SandboxSpec(
            image="python",
            network=False,
            resettable=True,
            env={"OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib"},
        )

    async def solve(self, ctx: EpisodeContext) -> None:
        """Ask the model as the strategy does: once, or once per method."""
        task = ctx.sample.metadata["task"]
        methods = task["methods_info"]
        if self.opts.strategy == "holistic" or not methods:
            ctx.state["answer"] = await self._ask(
                ctx, holistic_prompt(task, self.opts.prompt_format)
            )
        elif self.opts.strategy == "incremental":
            class_text = class_header(task)
            for method in methods:
                prompt = method_prompt(task, method, class_text, self.opts.prompt_format)
                answer = await self._ask(ctx, prompt)
                class_text += "\n\n" + extract_method_code(answer, method["method_name"])
            ctx.state["answer"] = class_text
        else:
            answers = []
            for method in methods:
                text = compositional_class_text(task, method["method_name"])
                answers.append(
                    await self._ask(ctx, method_prompt(task, method, text, self.opts.prompt_format))
                )
            ctx.state["answers"] = answers
            ctx.state["answer"] = compositional_class(task, answers)

    async def _ask(self, ctx: EpisodeContext, prompt: str) -> str:
        messages = self.messages(prompt)
        output = await _generate(ctx, messages, config=_greedy_default(ctx.generate_config))
        ctx.messages.extend([*messages, output.message])
        return output.text

    async def check(self, ctx: EpisodeContext) -> Score:
        """Run every test class of the task on the program; score upstream's class_success."""
        task = ctx.sample.metadata["task"]
        source = program(ctx.state.get("answer", ""), task)
        ctx.log.artifact("program.py", source)
        results = await self._run(ctx, source, list(task["test_classes"]))
        verdicts = {r.test_class: r.verdict for r in results}
        whole = class_verdict(verdicts.values())
        counts = {v: list(verdicts.values()).count(v) for v in sorted(set(verdicts.values()))}
        return Score.of(
            whole == "class_success",
            f"{whole}: " + ", ".join(f"{n} {v}" for v, n in counts.items()),
            class_verdict=whole,
            test_classes={r.test_class: r.as_details() for r in results},
            program=source,
        )

    async def _run(
        self, ctx: EpisodeContext, source: str, test_classes: list[str]
    ) -> list[ClassResult]:
        budget = self.opts.import_timeout + self.opts.timeout * len(test_classes) + 15
        report = await run_unittest(
            ctx,
            source,
            module_name=MODULE_NAME,
            timeout=budget,
            groups=test_classes,
            group_timeout=self.opts.timeout,
            import_timeout=self.opts.import_timeout,
        )
        return class_results(report, test_classes)

    def reference(self, sample: Sample) -> str | list[str]:
        """The ground truth as the model would answer: the class, or one method per call."""
        task = sample.metadata["task"]
        if self.opts.strategy == "holistic" or not task["methods_info"]:
            return _fenced(task["solution_code"])
        return [_fenced(m["solution_code"]) for m in task["methods_info"]]

    def baseline(self, sample: Sample) -> str | list[str]:
        """The null baseline: the class with nothing in it (as many answers as calls)."""
        task = sample.metadata["task"]
        empty = _fenced(f"class {task['class_name']}:\n    pass")
        if self.opts.strategy == "holistic" or not task["methods_info"]:
            return empty
        return [empty for _ in task["methods_info"]]

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """Upstream's fun_success, fun_partial_success, class_success, class_partial_success as
        pass@k for every k up to the epochs, and the verdict counts."""
        classes = {t["task_id"]: t["test_classes"] for t in self._tasks or []}
        per_sample: dict[str, list[dict[str, str]]] = {}
        for result in results:
            verdicts = _verdicts_of(result, classes.get(getattr(result, "sample_id", "")))
            if verdicts is not None:
                per_sample.setdefault(result.sample_id, []).append(verdicts)
        return classeval_metrics(per_sample)


def _verdicts_of(result: Any, test_classes: list[str] | None) -> dict[str, str] | None:
    """The per-class verdicts of an episode; a failed episode counts every class as error."""
    status = getattr(result, "status", "ok")
    if status not in ("ok", "error", "limit"):
        return None  # infrastructure errors and cancellations are not the model's doing
    score = getattr(result, "score", None)
    if score is not None and "test_classes" in score.details:
        return {name: d["verdict"] for name, d in score.details["test_classes"].items()}
    if test_classes is None:
        return None
    return dict.fromkeys(test_classes, "error")


def _fenced(code: str) -> str:
    return "```python\n" + code + "\n```"


def _greedy_default(current: GenerateConfig) -> GenerateConfig | None:
    # Upstream's default is greedy decoding (temperature 0); only where the user set nothing.
    return GenerateConfig(temperature=0.0) if current.temperature is None else None


async def _generate(
    ctx: EpisodeContext,
    messages: list[Message],
    *,
    config: GenerateConfig | None = None,
    role: str = "default",
) -> ModelOutput:
    """One call to the run's model of `role`."""
    return await ctx.generate(messages, config=config, role=role)
