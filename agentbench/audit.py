"""The checker-strength audit: how many wrong programs does a benchmark's checker pass?

`agentbench audit TASK [-T ...]` takes every sample whose reference solution (`Task.reference`)
is Python, makes mutants of it (`agentbench._audit.mutants`: swapped comparisons and
arithmetic, off-by-one constants, negated conditions, removed statements, changed returns) and
runs each through the task's own `check`, in the task's own sandbox: each mutant is one episode
of an ordinary run of a wrapper task (`audit-<task>`) answered by the `oracle` model, whose
reference for the mutant's sample is the mutated solution. So the audit has a run directory of
its own, the runner's store, and `--resume` for free.

Per sample the first episode (`<id>~m000`) is the control: the unmutated (re-printed)
reference. A sample whose control fails has a broken reference or checker: it is listed as a
benchmark defect (the oracle gold check) and left out of the rates. A mutant that still passes
"survives": the share of surviving mutants is the false-positive rate of the sample's tests
(an upper bound: some survivors are equivalent mutants, read their diffs).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from agentbench.errors import ConfigError
from agentbench.hookspecs import hookimpl
from agentbench.sandbox import SandboxSpec
from agentbench.task import EpisodeContext, Task, TaskOptions
from agentbench.types import EpisodeResult, RunConfig, Sample, Score

MUTANT_SEPARATOR = "~m"
WEAK_THRESHOLD = 0.25
_FENCED = re.compile(r"```python[^\n]*\n(.*?)```", re.DOTALL)
_LEFT_OUT = frozenset({"infra_error", "provider_error", "cancelled"})


class AuditOptions(TaskOptions):
    """Options of an audit wrapper task (set by `run_audit`, not usually by hand)."""

    task_options: dict[str, Any] = Field(default_factory=dict, description="the task's -T options")
    max_mutants: int = Field(default=30, ge=1, description="mutants per sample")
    sample_limit: int | None = Field(default=None, ge=1, description="only the first N samples")


class NotAuditable(ValueError):
    """A reference the audit cannot mutate (not Python source)."""


def split_reference(reference: Any) -> tuple[str, Callable[[str], Any]]:
    """The Python code of a reference answer, and how to put mutated code back in its place.

    A string reference is mutated in its first ```python fenced block, or as a whole when it
    has none; a list of identical strings (one answer per model call) is mutated once.

    Raises:
        NotAuditable: Anything else (no reference, messages, different answers per call).
    """
    if isinstance(reference, list) and reference and all(r == reference[0] for r in reference):
        code, rebuild = split_reference(reference[0])
        return code, lambda new: [rebuild(new)] * len(reference)
    if not isinstance(reference, str):
        kind = "no reference" if reference is None else f"a {type(reference).__name__} reference"
        raise NotAuditable(f"{kind}, not Python source")
    match = _FENCED.search(reference)
    if match is None:
        return reference, lambda new: new
    start, end = match.span(1)
    return match.group(1), lambda new: reference[:start] + new + reference[end:]


class AuditTask(Task):
    """Wraps a task: every sample becomes its control and its mutants; the rest delegates."""

    Options: ClassVar[type[TaskOptions]] = AuditOptions
    inner_class: ClassVar[type[Task]] = Task

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.opts: AuditOptions = self.options  # type: ignore[assignment]
        self.inner = self.inner_class(self.opts.task_options)
        #: Samples left out, with the reason (filled while `samples()` runs).
        self.skipped: dict[str, str] = {}

    def samples(self) -> Iterator[Sample]:
        """Per auditable sample: the control (`~m000`), then one sample per mutant."""
        from agentbench._audit.mutants import mutants, normalise

        for count, sample in enumerate(self.inner.samples()):
            if self.opts.sample_limit is not None and count >= self.opts.sample_limit:
                break
            try:
                code, rebuild = split_reference(self.inner.reference(sample))
                control = normalise(code)
            except NotAuditable as exc:
                self.skipped[sample.id] = str(exc)
                continue
            except SyntaxError as exc:
                self.skipped[sample.id] = f"reference is not valid Python ({exc.msg})"
                continue
            yield _mutant_sample(sample, 0, "control", "unmutated reference", "", rebuild(control))
            for k, m in enumerate(mutants(code, limit=self.opts.max_mutants), 1):
                yield _mutant_sample(
                    sample, k, m.operator, m.description, m.diff, rebuild(m.source)
                )

    def sandbox_spec(self, sample: Sample) -> SandboxSpec | None:
        """The wrapped task's sandbox."""
        return self.inner.sandbox_spec(sample)

    async def setup(self, ctx: EpisodeContext) -> None:
        """The wrapped task's setup."""
        await self.inner.setup(ctx)

    async def solve(self, ctx: EpisodeContext) -> None:
        """The wrapped task's agent loop (the oracle answers with the mutant)."""
        await self.inner.solve(ctx)

    async def check(self, ctx: EpisodeContext) -> Score:
        """The wrapped task's checker; the mutant's identity goes into `details["audit"]`."""
        score = await self.inner.check(ctx)
        info = {k: v for k, v in ctx.sample.metadata["audit"].items() if k != "answer"}
        return score.model_copy(update={"details": {**score.details, "audit": info}})

    def reference(self, sample: Sample) -> Any:
        """The mutated reference of a mutant sample (what the oracle answers)."""
        return sample.metadata["audit"]["answer"]

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """The audit's figures (see `audit_figures`)."""
        figures = audit_figures(results)
        if self.skipped:
            figures["skipped_samples"] = dict(self.skipped)
        return figures


def _mutant_sample(
    sample: Sample, k: int, operator: str, description: str, diff: str, answer: Any
) -> Sample:
    audit = {
        "sample_id": sample.id,
        "mutant": k,
        "operator": operator,
        "description": description,
        "diff": diff,
        "answer": answer,
    }
    return sample.model_copy(
        update={
            "id": f"{sample.id}{MUTANT_SEPARATOR}{k:03d}",
            "metadata": {**sample.metadata, "audit": audit},
        }
    )


def audit_task_class(inner: type[Task]) -> type[AuditTask]:
    """The wrapper task class of `inner`, registered as `audit-<name>`."""
    return type(
        f"Audit{inner.__name__}",
        (AuditTask,),
        {
            "name": f"audit-{inner.name}",
            "inner_class": inner,
            "roles": dict(inner.roles),
            "record_types": dict(inner.record_types),
        },
    )


class _AuditPlugin:
    """Registers one audit wrapper task for the run."""

    def __init__(self, task_class: type[AuditTask]) -> None:
        self.task_class = task_class

    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register(self.task_class.name, self.task_class)


async def run_audit(
    task: str | type[Task],
    *,
    task_options: dict[str, Any] | None = None,
    sandbox: str | None = None,
    limit: int | None = None,
    max_mutants: int = 30,
    max_episodes: int | None = None,
    resume: str | None = None,
    run_dir: str | Path = "runs",
    run_name: str | None = None,
    plugins: list[Any] | None = None,
) -> dict[str, Any]:
    """Audit a task's checker (see the module docstring) and return the audit's figures.

    Args:
        task: A registered task name, or a Task class.
        task_options: The task's options (`-T`).
        sandbox: The sandbox backend (default: docker if reachable, else local).
        limit: Only the first N samples of the task.
        max_mutants: Mutants per sample.
        max_episodes: Episodes in flight at once.
        resume: An earlier audit's run id or directory to continue.
        run_dir: Where runs live.
        run_name: A name for the audit's run directory.
        plugins: Extra plugin objects (e.g. one registering a task defined in a test).

    Returns:
        `audit_figures` of the audit's episodes plus `run_id`, `run_dir`, `task` and
        `skipped_samples`.
    """
    from agentbench.api import run_async
    from agentbench.plugins import get_registry

    if isinstance(task, str):
        inner = get_registry().task(task)
    else:
        inner = task
    wrapper = audit_task_class(inner)
    options = {"task_options": dict(task_options or {}), "max_mutants": max_mutants}
    if limit is not None:
        options["sample_limit"] = limit
    fields: dict[str, Any] = {
        "task": wrapper.name,
        "model": "oracle",
        "task_options": options,
        "run_dir": str(run_dir),
        "progress": "none",
    }
    for key, value in (
        ("sandbox", sandbox),
        ("max_episodes", max_episodes),
        ("resume", resume),
        ("run_name", run_name),
    ):
        if value is not None:
            fields[key] = value
    summary = await run_async(
        RunConfig(**fields), plugins=[*(plugins or []), _AuditPlugin(wrapper)]
    )
    report = load_audit(summary.run_dir)
    report["skipped_samples"] = summary.metrics.get("skipped_samples", {})
    report["task"] = inner.name
    return report


def load_audit(ref: str | Path, runs_root: str | Path = "runs") -> dict[str, Any]:
    """The figures of a stored audit (its run id or directory)."""
    from agentbench._runner.store import Store, find_run_dir

    directory = find_run_dir(str(ref), Path(runs_root))
    with Store(directory, create=False) as store:
        ids = store.run_ids()
        if not ids:
            raise ConfigError(f"{directory} holds no audit", "run `agentbench audit TASK` first")
        run_id = directory.name if directory.name in ids else ids[-1]
        figures = audit_figures(store.iter_results(run_id))
    return {"run_id": run_id, "run_dir": str(directory), **figures}


def audit_figures(
    results: Iterable[EpisodeResult], *, weak_threshold: float = WEAK_THRESHOLD
) -> dict[str, Any]:
    """Per sample and overall: mutants, survivors (with diffs), the false-positive rate.

    Args:
        results: The audit run's episodes.
        weak_threshold: A sample whose survival rate is at least this is flagged as weak.

    Returns:
        `samples` (sample id -> `{mutants, survived, rate, control, survivors}`), `mutants`,
        `survived`, `false_positive_rate` (survivors / mutants over samples whose control
        passed), `by_operator` (operator -> `{mutants, survived, rate}`), `weak_samples` (ids
        flagged, worst first), `weakest` (up to five ids, worst first), `broken_references`
        (samples whose control failed: benchmark defects, with the checker's reason) and
        `left_out` (episodes with an infrastructure status).
    """
    per_sample: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"mutants": 0, "survived": 0, "control": None, "survivors": []}
    )
    ops: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    broken: dict[str, str] = {}
    left_out = 0
    for r in results:
        info = (r.score.details.get("audit") if r.score is not None else None) or _parse_id(r)
        if r.status in _LEFT_OUT or info is None:
            left_out += 1
            continue
        entry = per_sample[info["sample_id"]]
        passed = r.status != "error" and r.passed
        if info["mutant"] == 0:
            entry["control"] = passed
            if not passed:
                broken[info["sample_id"]] = _reason(r)
            continue
        entry["mutants"] += 1
        ops[info.get("operator", "?")][0] += 1
        if passed:
            entry["survived"] += 1
            ops[info.get("operator", "?")][1] += 1
            entry["survivors"].append(
                {k: info.get(k) for k in ("mutant", "operator", "description", "diff")}
            )
    for entry in per_sample.values():
        entry["survivors"].sort(key=lambda s: s["mutant"])
        entry["rate"] = entry["survived"] / entry["mutants"] if entry["mutants"] else None
    counted = {s: e for s, e in per_sample.items() if e["control"] and e["mutants"]}
    total = sum(e["mutants"] for e in counted.values())
    survived = sum(e["survived"] for e in counted.values())
    ranked = sorted(counted, key=lambda s: (-counted[s]["rate"], -counted[s]["survived"], s))
    return {
        "samples": dict(sorted(per_sample.items())),
        "mutants": total,
        "survived": survived,
        "false_positive_rate": survived / total if total else None,
        "by_operator": {
            op: {"mutants": n, "survived": k, "rate": k / n if n else None}
            for op, (n, k) in sorted(ops.items())
        },
        "weak_samples": [s for s in ranked if counted[s]["rate"] >= weak_threshold],
        "weakest": [s for s in ranked if counted[s]["survived"]][:5],
        "broken_references": broken,
        "left_out": left_out,
    }


def _parse_id(r: EpisodeResult) -> dict[str, Any] | None:
    """Mutant identity from the sample id, for episodes that have no score (errors)."""
    sid, sep, k = r.sample_id.rpartition(MUTANT_SEPARATOR)
    if not sep or not k.isdigit():
        return None
    return {"sample_id": sid, "mutant": int(k), "operator": "?"}


def _reason(r: EpisodeResult) -> str:
    if r.score is not None:
        return r.score.explanation or "failed"
    return r.error or r.status


def format_audit(report: dict[str, Any], *, show: int = 5) -> str:
    """The audit as text: overall rate, per operator, weakest samples, surviving diffs."""
    rate = report["false_positive_rate"]
    lines = [
        f"audit of {report.get('task', '?')}: {report['survived']}/{report['mutants']} mutants "
        f"pass the checker" + (f" (false-positive rate {rate:.1%})" if rate is not None else ""),
        f"run: {report.get('run_dir', '')}",
    ]
    for op, f in report["by_operator"].items():
        lines.append(f"  {op:<9} {f['survived']:>4}/{f['mutants']:<4} survive")
    for sid, why in report["broken_references"].items():
        lines.append(f"  defect: the reference of {sid} fails its own checker: {why}")
    for sid, why in report.get("skipped_samples", {}).items():
        lines.append(f"  skipped {sid}: {why}")
    if report["weak_samples"]:
        lines.append("weak samples: " + ", ".join(report["weak_samples"]))
    shown = 0
    for sid in report["weakest"]:
        entry = report["samples"][sid]
        lines.append(f"{sid}: {entry['survived']}/{entry['mutants']} mutants survive")
        for s in entry["survivors"]:
            if shown >= show:
                break
            shown += 1
            lines.append(f"  mutant {s['mutant']} ({s['operator']}: {s['description']})")
            lines.extend("    " + line for line in s["diff"].rstrip("\n").splitlines())
    return "\n".join(lines)
