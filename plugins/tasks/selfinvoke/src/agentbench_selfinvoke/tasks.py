"""The self-invoking code tasks: HumanEval Pro, MBPP Pro and BigCodeBench-Lite Pro.

Each record gives a base problem and a harder problem whose solution must call the base one. The
model writes both; the program runs with the record's test code in the `python` sandbox (upstream
limits: 3 s for HumanEval Pro and MBPP Pro, 30 s for BigCodeBench-Lite Pro).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from agentbench import (
    ConfigError,
    EpisodeContext,
    EpisodeResult,
    GenerateConfig,
    Message,
    Sample,
    SandboxSpec,
    Score,
    Task,
    TaskOptions,
)

from .basecheck import base_calls, base_test_script
from .data import DEMO, LoadedData, load_records, record_id, resolve_data
from .execution import ProgramRun, run_program, test_script
from .figures import task_figures
from .programs import parse_answer, reference_answer
from .prompts import (
    SYSTEM_PROMPT,
    Mode,
    PromptParts,
    Variant,
    base_prompt_parts,
    chat_prompt,
    completion_prompt,
    pro_prompt_parts,
)

log = logging.getLogger(__name__)

BASE_SUFFIX = ":base"
# Upstream sampling defaults: greedy with 4096 new tokens (eval/inference.py, README) in completion
# mode, temperature 0.2 in chat mode (eval/run_api.py). Used only where the user set nothing.
_COMPLETION_MAX_TOKENS = 4096
_DEFAULT_TEMPERATURE: dict[str, float] = {"completion": 0.0, "chat": 0.2}


class SelfInvokeOptions(TaskOptions):
    """Options of the self-invoking tasks (`-T key=value`)."""

    data: str | None = Field(
        default=None,
        description="path of an upstream JSON file; 'demo' for the bundled demo problems; "
        "unset: download the pinned upstream file into the cache",
    )
    data_url: str | None = Field(
        default=None, description="download from this URL (a mirror) instead"
    )
    data_sha256: str | None = Field(default=None, description="expected SHA-256 of the download")
    mode: Mode = Field(default="chat", description="chat (answer in a fenced block) or completion")
    variant: Variant = Field(
        default="none", description="none, cot or 1shot (upstream's prompt variants)"
    )
    base: bool = Field(
        default=False, description="also solve and score the base problems (subset 'base')"
    )
    timeout: float | None = Field(default=None, gt=0, description="seconds per program run")
    on_bad_record: Literal["fail", "skip"] = Field(
        default="fail", description="fail or skip bad records"
    )
    timezone: str | None = Field(
        default=None,
        description="the sandbox's local time zone (TZ), an IANA name such as UTC or "
        "Asia/Shanghai; unset: the task's default (Asia/Shanghai for bigcodebench-lite-pro, "
        "whose expected values assume UTC+8; the image's UTC for the others)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class SelfInvokeTask(Task):
    """Base of the three tasks; subclasses name their data file, family and time limit."""

    Options: ClassVar[type[TaskOptions]] = SelfInvokeOptions
    family: ClassVar[str] = ""
    filename: ClassVar[str] = ""
    default_timeout: ClassVar[float] = 3.0
    #: The sandbox time zone when `-T timezone` is not given (None: the image's, UTC).
    default_timezone: ClassVar[str | None] = None
    #: Prompt variants upstream defines for this family.
    variants: ClassVar[tuple[str, ...]] = ("none", "cot", "1shot")

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.opts: SelfInvokeOptions = self.options  # type: ignore[assignment]
        if self.opts.variant not in self.variants:
            raise ConfigError(
                f"{self.name} has no {self.opts.variant!r} prompt variant upstream",
                f"use -T variant={' or '.join(self.variants)}",
            )
        self._loaded: LoadedData | None = None

    # data -------------------------------------------------------------------------------------

    def load(self) -> LoadedData:
        """The task's records (loaded once)."""
        if self._loaded is None:
            path = resolve_data(
                self.opts.data,
                filename=self.filename,
                url=self.opts.data_url,
                sha256=self.opts.data_sha256,
            )
            self._loaded = load_records(path, on_bad_record=self.opts.on_bad_record)
        return self._loaded

    def samples(self) -> Iterator[Sample]:
        """One "pro" sample per record, each followed by its "base" sample when `base=true`."""
        for index, record in enumerate(self.load().records):
            rid = record_id(record, index)
            yield self._sample(rid, record, base=False)
            if self.opts.base:
                yield self._sample(rid + BASE_SUFFIX, record, base=True)

    def _sample(self, sample_id: str, record: dict[str, Any], *, base: bool) -> Sample:
        parts = base_prompt_parts(record) if base else self.prompt_parts(record)
        return Sample(
            id=sample_id,
            input=self._prompt(parts),
            subset="base" if base else "pro",
            metadata={"record": record, "base": base, "record_id": str(record["id"])},
        )

    def prompt_parts(self, record: dict[str, Any]) -> PromptParts:
        """Instruction and response prefix of a Pro problem, as upstream builds them."""
        return pro_prompt_parts(record, family=self.family, variant=self.opts.variant)

    def _prompt(self, parts: PromptParts) -> str | list[Message]:
        if self.opts.mode == "completion":
            # The exact text upstream's model continues, as one message.
            return completion_prompt(parts)
        return [Message.system(SYSTEM_PROMPT), Message.user(chat_prompt(parts))]

    # episode ----------------------------------------------------------------------------------

    def sandbox_spec(self, sample: Sample) -> SandboxSpec:
        """The `python` image, no network, reusable after a reset, in the task's time zone."""
        # code_eval sets OMP_NUM_THREADS=1; matplotlib needs a writable config dir, no display.
        env = {"OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib"}
        zone = self.opts.timezone or self.default_timezone
        if zone is not None:
            env["TZ"] = zone  # the image ships tzdata (/usr/share/zoneinfo)
        return SandboxSpec(image="python", network=False, resettable=True, env=env)

    async def solve(self, ctx: EpisodeContext) -> None:
        """Ask the model once, with upstream's sampling defaults where the user set none."""
        sample_input = ctx.sample.input
        ctx.messages = (
            [Message.user(sample_input)] if isinstance(sample_input, str) else list(sample_input)
        )
        output = await ctx.generate(config=self._generate_defaults(ctx.generate_config))
        ctx.messages.append(output.message)
        ctx.state["output"] = output

    def _generate_defaults(self, current: GenerateConfig) -> GenerateConfig | None:
        defaults: dict[str, Any] = {}
        if current.temperature is None:
            defaults["temperature"] = _DEFAULT_TEMPERATURE[self.opts.mode]
        if self.opts.mode == "completion" and current.max_tokens is None:
            defaults["max_tokens"] = _COMPLETION_MAX_TOKENS
        return GenerateConfig(**defaults) if defaults else None

    async def check(self, ctx: EpisodeContext) -> Score:
        """Run the raw and the sanitised program with the test code; the better one counts."""
        record, base = ctx.sample.metadata["record"], bool(ctx.sample.metadata["base"])
        output = ctx.state.get("output")
        text = output.text if output is not None else ""
        replay_field = output.metadata.get("replay_field") if output is not None else None
        answer = parse_answer(text, mode=self.opts.mode, replay_field=replay_field)
        raw = answer.program(record)
        sanitized = answer.program(record, sanitized=True)
        timeout = self.opts.timeout or self.default_timeout
        if base:  # the answer and the reference base function both run on every call
            timeout *= 2

        raw_run = await self._run(ctx, raw, record, "raw", timeout, base)
        san_run = (
            raw_run
            if sanitized == raw
            else await self._run(ctx, sanitized, record, "sanitized", timeout, base)
        )
        counted = "raw" if raw_run.passed or not san_run.passed else "sanitized"
        best = raw_run if counted == "raw" else san_run
        extra = {"base_calls": base_calls(best.stdout_tail)} if base else {}
        return Score.of(
            best.passed,
            _explain(raw_run, san_run, counted),
            counted=counted,
            failure=best.failure,
            answer_kind=answer.kind,
            raw=raw_run.as_details(raw),
            sanitized=san_run.as_details(sanitized),
            **extra,
        )

    async def _run(
        self,
        ctx: EpisodeContext,
        program: str,
        record: dict[str, Any],
        which: str,
        timeout: float,
        base: bool,
    ) -> ProgramRun:
        if base:
            code, tests = base_test_script(program, record)
        else:
            code, tests = test_script(program, record["test_code"])
        ctx.log.artifact(f"program_{which}.py", code + "\n" + tests)
        return await run_program(ctx, code, tests, name=f"selfinvoke_{which}.py", timeout=timeout)

    def reference(self, sample: Sample) -> str:
        """upstream's ground truth, shaped as an answer in the run's prompt mode."""
        return reference_answer(
            sample.metadata["record"], mode=self.opts.mode, base=bool(sample.metadata["base"])
        )

    def baseline(self, sample: Sample) -> str:
        """The null baseline: a program that only prints (it defines nothing the tests call)."""
        program = "print('all tests passed')\n"
        return program + "```\n" if self.opts.mode == "completion" else f"```python\n{program}```\n"

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """Failure classes, upstream-style pass@k per subset, and records left out."""
        figures = task_figures([r for r in results if isinstance(r, EpisodeResult)])
        loaded = self._loaded
        if loaded is not None and loaded.bad:
            figures["skipped_records"] = [{"id": rid, "reason": why} for rid, why in loaded.bad]
        return figures


def check_timezone(zone: str) -> str:
    """An IANA time zone name, checked against this machine's tz database when it has one.

    Raises:
        ValueError: The name is not a time zone (pydantic turns it into a ConfigError).
    """
    import zoneinfo

    zone = zone.strip()
    if not zone or zone.startswith(("/", ".")) or ".." in zone:
        raise ValueError(f"{zone!r} is not an IANA time zone name (e.g. UTC, Asia/Shanghai)")
    if zoneinfo.available_timezones() and zone not in zoneinfo.available_timezones():
        raise ValueError(f"unknown time zone {zone!r} (e.g. UTC, Asia/Shanghai)")
    return zone


def _explain(raw: ProgramRun, sanitized: ProgramRun, counted: str) -> str:
    if raw.passed or sanitized.passed:
        return f"passed ({counted} program)"
    if raw is sanitized:
        return f"failed: {raw.failure}"
    return f"failed: {raw.failure} (raw), {sanitized.failure} (sanitized)"


class HumanEvalPro(SelfInvokeTask):
    """HumanEval Pro: 164 self-invoking problems built on HumanEval (3 s per program)."""

    name = "humaneval-pro"
    family = "humaneval"
    filename = "humaneval_pro.json"


class MbppPro(SelfInvokeTask):
    """MBPP Pro: 378 self-invoking problems built on MBPP (3 s per program)."""

    name = "mbpp-pro"
    family = "mbpp"
    filename = "mbpp_pro.json"


class BigCodeBenchLitePro(SelfInvokeTask):
    """BigCodeBench-Lite Pro: 57 self-invoking library-heavy problems (30 s per program).

    Upstream defines only the plain prompt for this set (no cot or 1shot variant). The sandbox
    runs in Asia/Shanghai time (UTC+8) by default, the zone upstream's expected values need.
    """

    name = "bigcodebench-lite-pro"
    family = "bigcodebench"
    filename = "bigcodebench_lite_pro.json"
    default_timeout = 30.0
    # Upstream's expected values were computed on a machine in UTC+8: over the full file one
    # problem's reference fails in a UTC sandbox. `-T timezone=UTC` turns this off.
    default_timezone = "Asia/Shanghai"
    variants = ("none",)


__all__ = [
    "DEMO",
    "BigCodeBenchLitePro",
    "HumanEvalPro",
    "MbppPro",
    "SelfInvokeOptions",
    "SelfInvokeTask",
]
