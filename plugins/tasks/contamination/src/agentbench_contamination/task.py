"""The `contamination` task: guided vs general completion of another task's instances.

For each sample of the probed task (`-T task=humaneval-pro -T task_options={...}`), the
instance text is cut in two; the model completes the first piece twice, under the guided
instruction (which names the dataset and split) and under the general one (which does not),
as two calls tagged "guided" and "general". Each completion is scored against the true second
piece (ROUGE-L, exact and near-exact matches, in `Score.details`). The run's task metrics hold
the verdict: the dataset is flagged as likely contaminated when the guided overlap is
significantly higher than the general one (one-sided paired bootstrap, `stats.py`), or, as
upstream's second criterion, when a guided completion matches exactly once or near-exactly
twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field

from agentbench import (
    ConfigError,
    EpisodeContext,
    EpisodeResult,
    Message,
    ModelOutput,
    Sample,
    Score,
    Task,
    TaskOptions,
    get_registry,
)

from .overlap import match_kind, rouge_l
from .prompts import general_prompt, guided_prompt, split_instance
from .stats import paired_bootstrap

_KEEP_CHARS = 4000  # of each text kept in Score.details


class ContaminationOptions(TaskOptions):
    """Options of the contamination probe (`-T key=value`)."""

    task: str = Field(description="the task whose samples are probed, e.g. humaneval-pro")
    task_options: dict[str, Any] = Field(
        default_factory=dict, description="that task's options, e.g. {data: demo}"
    )
    dataset: str | None = Field(
        default=None, description="the dataset name the guided instruction gives (default: task)"
    )
    split: str = Field(default="test", description="the split the guided instruction names")
    field: str = Field(
        default="input",
        description="the instance text: 'input' (the prompt's last user message), 'target', "
        "or a dotted path into the sample's metadata, e.g. metadata.record.raw_problem",
    )
    label_field: str | None = Field(
        default=None, description="a field giving the instance's LABEL (classification sets)"
    )
    unit: Literal["auto", "sentence", "word", "line"] = Field(
        default="auto", description="cut at sentences (several) else words, as upstream; or lines"
    )
    min_percent: float = Field(default=40, ge=0, le=100, description="earliest cut, % of units")
    max_percent: float = Field(default=70, ge=0, le=100, description="latest cut, % of units")
    seed: int = Field(default=42, description="seed of the cut (upstream: 42)")
    near_exact: float = Field(
        default=0.75, gt=0, le=1, description="ROUGE-L from which a completion is near-exact"
    )
    alpha: float = Field(default=0.05, gt=0, lt=1, description="significance level")
    resamples: int = Field(default=10_000, ge=100, description="bootstrap resamples")


class ContaminationProbe(Task):
    """Guided vs general instance completion (after Golchin & Surdeanu, ICLR 2024)."""

    name = "contamination"
    Options: ClassVar[type[TaskOptions]] = ContaminationOptions

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.opts: ContaminationOptions = self.options  # type: ignore[assignment]
        if self.opts.task == self.name:
            raise ConfigError("the contamination probe cannot probe itself", "pass -T task=<other>")
        if self.opts.min_percent > self.opts.max_percent:
            raise ConfigError(
                "min_percent is above max_percent", "pass -T min_percent=<= max_percent"
            )

    def samples(self) -> Iterator[Sample]:
        """One sample per probed sample with a non-empty second piece: input = first piece."""
        inner = get_registry().task(self.opts.task)(self.opts.task_options)
        for sample in inner.samples():
            text = _field(sample, self.opts.field)
            if not text.strip():
                continue
            first, second = split_instance(
                text,
                unit=self.opts.unit,
                min_percent=self.opts.min_percent,
                max_percent=self.opts.max_percent,
                seed=self.opts.seed,
            )
            if not first.strip() or not second.strip():
                continue
            label = _field(sample, self.opts.label_field) if self.opts.label_field else None
            yield Sample(
                id=sample.id,
                input=first,
                target=second,
                subset=sample.subset,
                metadata={"label": label},
            )

    async def solve(self, ctx: EpisodeContext) -> None:
        """Two calls, tagged "guided" and "general", on the same first piece."""
        first = str(ctx.sample.input)
        label = ctx.sample.metadata.get("label")
        dataset = self.opts.dataset or self.opts.task
        prompts = {
            "guided": guided_prompt(first, dataset=dataset, split=self.opts.split, label=label),
            "general": general_prompt(first, label=label),
        }
        for tag, prompt in prompts.items():
            output = await _generate(ctx, [Message.user(prompt)], tag=tag)
            ctx.state[tag] = output.text

    async def check(self, ctx: EpisodeContext) -> Score:
        """ROUGE-L and matches of both completions against the true second piece.

        The value is the guided ROUGE-L minus the general one; `passed` says whether the guided
        completion matched exactly or near-exactly (evidence of memorisation).
        """
        truth = str(ctx.sample.target)
        details: dict[str, Any] = {"remainder": truth[:_KEEP_CHARS]}
        for tag in ("guided", "general"):
            text = ctx.state.get(tag, "")
            rouge = rouge_l(text, truth)
            details[tag] = {
                "rougeL": rouge,
                "match": match_kind(text, truth, rouge, self.opts.near_exact),
                "completion": text[:_KEEP_CHARS],
            }
        guided, general = details["guided"], details["general"]
        memorised = guided["match"] != "none"
        return Score(
            value=guided["rougeL"] - general["rougeL"],
            passed=memorised,
            explanation=(
                f"ROUGE-L guided {guided['rougeL']:.3f}, general {general['rougeL']:.3f}; "
                f"guided match: {guided['match']}"
            ),
            details=details,
        )

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """The verdict over the scored samples (see the module docstring)."""
        return {"contamination": verdict(results, self.opts)}


def verdict(results: Any, opts: ContaminationOptions) -> dict[str, Any]:
    """Per-run figures and the contaminated / not contaminated call."""
    guided: list[float] = []
    general: list[float] = []
    matches = {"exact": 0, "near_exact": 0}
    for r in results:
        if not isinstance(r, EpisodeResult) or r.status != "ok" or r.score is None:
            continue
        d = r.score.details
        if "guided" not in d:
            continue
        guided.append(d["guided"]["rougeL"])
        general.append(d["general"]["rougeL"])
        kind = d["guided"]["match"]
        if kind in matches:
            matches[kind] += 1
    if not guided:
        return {"samples": 0, "contaminated": None, "reason": "no scored sample"}
    test = paired_bootstrap(guided, general, resamples=opts.resamples, seed=opts.seed)
    by_overlap = test["p_value"] <= opts.alpha and test["difference"] > 0
    # Upstream's second criterion (Algorithm 2): one exact or two near-exact guided matches.
    by_matches = matches["exact"] >= 1 or matches["near_exact"] >= 2
    reasons = []
    if by_overlap:
        reasons.append(
            f"guided ROUGE-L {test['mean_guided']:.3f} > general {test['mean_general']:.3f} "
            f"(paired bootstrap p={test['p_value']:.4f} <= {opts.alpha})"
        )
    if by_matches:
        reasons.append(
            f"{matches['exact']} exact and {matches['near_exact']} near-exact guided matches"
        )
    return {
        **test,
        "test": "one-sided paired bootstrap over samples",
        "alpha": opts.alpha,
        "exact_matches": matches["exact"],
        "near_exact_matches": matches["near_exact"],
        "significant": by_overlap,
        "contaminated": by_overlap or by_matches,
        "reason": "; ".join(reasons) or "guided overlap not significantly higher",
        "dataset": opts.dataset or opts.task,
        "split": opts.split,
    }


async def _generate(ctx: EpisodeContext, messages: list[Message], *, tag: str) -> ModelOutput:
    """One tagged call of the default role (the one place a role would be chosen)."""
    return await ctx.generate(messages, tag=tag)


def _field(sample: Sample, path: str) -> str:
    """The text at `path` of the sample ('input', 'target', 'metadata.a.b')."""
    if path == "input":
        value: Any = sample.input
        if isinstance(value, list):
            users = [m for m in value if m.role == "user"]
            value = users[-1].text if users else ""
        return str(value)
    parts = path.split(".")
    value = sample.model_dump() if parts[0] in ("target", "metadata", "id", "subset") else None
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(
                f"sample {sample.id!r} has no field {path!r}",
                "pass -T field=input, target or a path such as metadata.record.raw_problem",
            )
        value = value[part]
    return value if isinstance(value, str) else str(value)
