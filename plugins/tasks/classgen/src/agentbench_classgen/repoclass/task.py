"""The `repoclassbench` task (Python): write a class inside a real repository.

    agentbench run repoclassbench -T data=python_data.json -T repos=DIR -T strategy=rrr ...

The ground-truth class is replaced by a placeholder (imports only it used are dropped, as
upstream does); the model's class goes there; the record's test directives run with pytest and
a JSON report. Each repository's environment is an image derived from its checkout and install
spec (`image.build_context`, `-T image=derived`, the default): built once per repository and
commit by the docker backend, reused by later episodes and runs. The checkout the model edits is
placed in the work dir (`repo/`); the image holds the repository's dependencies and tools.
`-T image=NAME` uses a ready image instead (e.g. with `--sandbox local`, where the repository's
requirements must be installed by hand).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from agentbench import (
    DataError,
    EpisodeContext,
    ImageBuild,
    Message,
    ModelOutput,
    Sample,
    SandboxSpec,
    Score,
    Task,
    TaskOptions,
)

from . import prompts
from .data import description, load_records, relative_file, repository_dir, resolve_data
from .image import build_context, install_spec, repository_files, tools_source
from .placement import prepared_file, reference_answer
from .sandbox_ops import REPO, TOOLS_FILE, EpisodeFiles, evaluate_answer, lint, run_tool
from .scoring import Outcome

Strategy = Literal["basic", "reflexion", "naive-rag", "repocoder", "rrr"]
BASE = "agentbench/python:latest"  # derived images build on the python image


class RepoClassOptions(TaskOptions):
    """Options of `repoclassbench` (`-T key=value`)."""

    data: str | None = Field(
        default=None,
        description="upstream's data/input/python_data.json; unset: downloaded (pinned) and cached",
    )
    data_sha256: str | None = Field(default=None, description="expected SHA-256 of the download")
    data_url: str | None = Field(default=None, description="download from here instead")
    repos: str = Field(description="the folder of repositories, one per repo_metadata.issue_id")
    strategy: Strategy = Field(default="basic", description="basic, reflexion, naive-rag, "
                               "repocoder or rrr")  # fmt: skip
    description: Literal["detailed", "sketchy"] = "detailed"
    rounds: int = Field(default=3, ge=1, description="rounds of reflexion and rrr")
    tool_steps: int = Field(default=10, ge=0, description="tool calls per rrr round")
    timeout: float = Field(default=600.0, gt=0, description="seconds for one test run")
    image: str = Field(
        default="derived",
        description="'derived': an image per repository and commit, built from its install spec; "
        "else a ready image's name",
    )


class RepoClassBench(Task):
    """RepoClassBench (microsoft/repoclassbench), Python: a class to write inside a repository."""

    name: ClassVar[str] = "repoclassbench"
    Options: ClassVar[type[TaskOptions]] = RepoClassOptions

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.opts: RepoClassOptions = self.options  # type: ignore[assignment]
        self._records: list[dict[str, Any]] | None = None

    def records(self) -> list[dict[str, Any]]:
        """The task records (loaded once)."""
        if self._records is None:
            path = resolve_data(
                self.opts.data, sha256=self.opts.data_sha256, url=self.opts.data_url
            )
            self._records = load_records(path)
        return self._records

    def samples(self) -> Iterator[Sample]:
        """One sample per record; a missing repository fails only its own episodes."""
        for record in self.records():
            yield Sample(
                id=record["task_id"],
                input=[
                    Message.system(prompts.SYSTEM_PROMPT),
                    Message.user(self._task_prompt(record)),
                ],
                metadata={"record": record},
            )

    def _task_prompt(self, record: dict[str, Any], context: str = "") -> str:
        return prompts.task_prompt(
            record["class_name"],
            relative_file(record),
            description(record, self.opts.description),
            context,
        )

    # episode ----------------------------------------------------------------------------------

    def sandbox_spec(self, sample: Sample) -> SandboxSpec:
        """The image, the repository checkout under `repo/` and the tools script."""
        record = sample.metadata["record"]
        files: dict[str, str | bytes] = {TOOLS_FILE: tools_source()}
        try:
            repo = repository_dir(Path(self.opts.repos).expanduser(), record)
        except DataError:
            repo = None  # setup() reports it, failing only this sample
        if repo is not None:
            files.update({f"{REPO}/{k}": v for k, v in repository_files(repo).items()})
        build = None
        if self.opts.image == "derived" and repo is not None:
            context = build_context(record, repo, install_spec(record, repo), base_image=BASE)
            issue = record["repo_metadata"]["issue_id"]
            build = ImageBuild(
                name=f"repoclass-{issue}",
                dockerfile=context.dockerfile,
                files=context.files,
                base="python",
            )
        image = "python" if self.opts.image == "derived" else self.opts.image
        return SandboxSpec(
            image=image,
            network=False,
            resettable=False,
            disk_mb=None,
            memory_mb=2048,
            files=files,
            build=build,
        )

    async def setup(self, ctx: EpisodeContext) -> None:
        """Lint the ground-truth file, then put the placeholder in place of the class."""
        record = ctx.sample.metadata["record"]
        repo = repository_dir(Path(self.opts.repos).expanduser(), record)
        rel = relative_file(record)
        original = (repo / rel).read_text(encoding="utf-8")
        prepared = prepared_file(
            original, record["ground_truth_class_body"], filename=Path(rel).name
        )
        directives = record["evaluation_metadata"]["test_directives"]
        run_all = "litestar" in record["task_id"]
        files = EpisodeFiles(rel, prepared, record["class_name"], directives, run_all)
        gt_errors, _ = await lint(ctx, files, original)
        assert ctx.sandbox is not None
        await ctx.write_file(f"{REPO}/{rel}", prepared)
        ctx.state.update(files=files, gt_lint=bool(gt_errors), original=original)

    async def solve(self, ctx: EpisodeContext) -> None:
        """Run the strategy; the last class written is the answer."""
        strategy = self.opts.strategy
        if strategy == "rrr":
            await self._rrr(ctx)
        elif strategy == "reflexion":
            await self._reflexion(ctx)
        else:
            record, files = ctx.sample.metadata["record"], ctx.state["files"]
            context = ""
            if strategy == "naive-rag":
                context = await run_tool(ctx, files, "get_relevant_code", [self._query(record)])
            elif strategy == "repocoder":
                query = self._query(record)
                context = await run_tool(ctx, files, "get_related_snippets", [query])
                draft = await self._write(ctx, [self._user(record, context)])
                # RepoCoder's second iteration retrieves with the generated code
                context = await run_tool(ctx, files, "get_related_snippets", [draft or query])
            ctx.state["answer"] = await self._write(ctx, [self._user(record, context)])

    def _query(self, record: dict[str, Any]) -> str:
        return description(record, self.opts.description)

    def _user(self, record: dict[str, Any], context: str = "") -> Message:
        return Message.user(self._task_prompt(record, context))

    async def _write(self, ctx: EpisodeContext, messages: list[Message]) -> str:
        conversation = [Message.system(prompts.SYSTEM_PROMPT), *messages]
        output = await _generate(ctx, conversation)
        ctx.messages = [*conversation, output.message]
        return prompts.extract_class(output.text)

    async def _reflexion(self, ctx: EpisodeContext) -> None:
        record = ctx.sample.metadata["record"]
        messages = [Message.system(prompts.SYSTEM_PROMPT), self._user(record)]
        for round_no in range(self.opts.rounds):
            output = await _generate(ctx, messages)
            messages.append(output.message)
            ctx.state["answer"] = prompts.extract_class(output.text)
            outcome = await self._check_round(ctx, with_lint=False)
            if outcome.all_passed or round_no == self.opts.rounds - 1:
                break
            messages.append(
                Message.user(prompts.feedback_prompt(outcome.feedback, with_lint=False))
            )
        ctx.messages = messages

    async def _rrr(self, ctx: EpisodeContext) -> None:
        record = ctx.sample.metadata["record"]
        first = self._task_prompt(record) + "\n\n" + prompts.rrr_tools_prompt()
        messages = [Message.system(prompts.SYSTEM_PROMPT), Message.user(first)]
        for round_no in range(self.opts.rounds):
            output = await self._tool_loop(ctx, messages)
            ctx.state["answer"] = prompts.extract_class(output.text)
            outcome = await self._check_round(ctx, with_lint=True)
            if outcome.all_passed or round_no == self.opts.rounds - 1:
                break
            messages.append(Message.user(prompts.feedback_prompt(outcome.feedback)))
        ctx.messages = messages

    async def _tool_loop(self, ctx: EpisodeContext, messages: list[Message]) -> ModelOutput:
        files = ctx.state["files"]
        for _ in range(self.opts.tool_steps + 1):
            output = await _generate(ctx, messages, tools=prompts.TOOLS)
            messages.append(output.message)
            if not output.tool_calls:
                return output
            for call in output.tool_calls:
                args = prompts.tool_arguments(call.name, call.arguments)
                text = (
                    args if isinstance(args, str) else await run_tool(ctx, files, call.name, args)
                )
                messages.append(Message.tool(call.id, text, name=call.name))
        messages.append(Message.user("No more tool calls: answer with the class now."))
        output = await _generate(ctx, messages)
        messages.append(output.message)
        return output

    async def _check_round(self, ctx: EpisodeContext, *, with_lint: bool) -> Outcome:
        outcome = await evaluate_answer(
            ctx,
            ctx.state["files"],
            ctx.state["answer"],
            timeout=self.opts.timeout,
            gt_lint=ctx.state["gt_lint"],
            with_lint=with_lint,
        )
        ctx.state.setdefault("rounds", []).append(
            {"passed": len(outcome.passed), "expected": len(outcome.expected)}
        )
        return outcome

    async def check(self, ctx: EpisodeContext) -> Score:
        """Pass: every expected test passed; the details carry the test rate and the feedback."""
        outcome = await evaluate_answer(
            ctx,
            ctx.state["files"],
            ctx.state.get("answer", ""),
            timeout=self.opts.timeout,
            gt_lint=ctx.state["gt_lint"],
        )
        return Score(
            value=1.0 if outcome.all_passed else 0.0,
            passed=outcome.all_passed,
            explanation=f"{len(outcome.passed)}/{len(outcome.expected)} expected tests passed",
            details={
                "test_rate": outcome.test_rate,
                "passed_tests": outcome.passed,
                "failed_tests": outcome.failed,
                "not_run_tests": outcome.missing,
                "feedback": outcome.feedback,
                "rounds": ctx.state.get("rounds", []),
                "answer": ctx.state.get("answer", ""),
            },
        )

    def reference(self, sample: Sample) -> list[str]:
        """The ground-truth class with the file's imports, once per possible model call."""
        record = sample.metadata["record"]
        repo = repository_dir(Path(self.opts.repos).expanduser(), record)
        original = (repo / relative_file(record)).read_text(encoding="utf-8")
        answer = "```python\n" + reference_answer(original, record["ground_truth_class_body"])
        return [answer + "\n```"] * (2 + self.opts.rounds * (self.opts.tool_steps + 2))

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """The mean test rate over scored episodes."""
        rates = [
            r.score.details["test_rate"]
            for r in results
            if getattr(r, "score", None) is not None and "test_rate" in r.score.details
        ]
        return {"test_rate": sum(rates) / len(rates)} if rates else {}


async def _generate(
    ctx: EpisodeContext,
    messages: list[Message],
    *,
    tools: list | None = None,
    role: str = "default",
) -> ModelOutput:
    """One call to the run's model of `role`."""
    return await ctx.generate(messages, tools=tools, role=role)
