"""The `mcts-preference` task: MCTS-DPO's step-level search with the run's model as the policy.

    agentbench run mcts-preference --model openai/gpt-4o-mini -T data=gsm8k_train.jsonl \\
        -T n_iters=5 -T depth_limit=3 -T out=pairs/

Each episode searches one question; its score is whether the final path's answer is right, and
its Score.details carry the preference pairs (until the core's `ctx.emit` exists), the tree size,
calls and tokens. With `-T out=DIR` the pairs are also appended to DIR/dpo.jsonl (TRL's
prompt/chosen/rejected) and DIR/mcts_rst_data.jsonl (upstream's shape); every tree is saved as
an artifact `tree-<id>.json`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from agentbench import (
    ConfigError,
    DataError,
    EpisodeContext,
    GenerateConfig,
    Message,
    ModelOutput,
    Sample,
    Score,
    Task,
    TaskOptions,
)
from agentbench_mcts.answers import Question, question_from_record
from agentbench_mcts.pairs import Pair, dpo_lines, extract_pairs, tree_json, upstream_record
from agentbench_mcts.policy import ChatPolicy
from agentbench_mcts.prompts import policy_prompt
from agentbench_mcts.search import MCTS, SearchConfig, SearchResult

_SEARCH = SearchConfig()  # the search defaults, stated once (upstream's mcts/main.py)


class MctsOptions(TaskOptions):
    """`-T` options of mcts-preference (search defaults: upstream's mcts/main.py)."""

    data: str | None = None
    format: Literal["auto", "gsm8k", "math", "mc"] = "auto"
    n_iters: int = _SEARCH.n_iters
    depth_limit: int = _SEARCH.depth_limit
    n_init_actions: int = _SEARCH.n_init_actions
    n_actions: int = _SEARCH.n_actions
    breadth_limit: int = _SEARCH.breadth_limit
    init_temperature: float = _SEARCH.init_temperature
    temperature: float = _SEARCH.temperature
    w_exp: float = _SEARCH.w_exp
    length_penalty: float = _SEARCH.length_penalty
    mcts_temperature: float = _SEARCH.mcts_temperature
    consider_diversity: bool = _SEARCH.consider_diversity
    include_gt: bool = _SEARCH.include_gt
    self_eval: bool = _SEARCH.self_eval
    force_terminating: bool = _SEARCH.force_terminating_on_depth_limit
    max_depth: int = _SEARCH.max_depth
    similarity_threshold: float = _SEARCH.similarity_threshold
    prefetch: bool = _SEARCH.prefetch
    rejected: Literal["lowest", "second", "random"] = "lowest"
    max_pairs: int = 8
    filter: bool = False
    logprobs: bool = True
    top_logprobs: int = 20
    eval_mode: Literal["auto", "logprobs", "sampled"] = "auto"
    eval_samples: int = 5
    max_step_tokens: int = 256
    max_tokens: int = 1024
    seed: int | None = None
    out: str | None = None


def load_records(path: str) -> list[dict[str, Any]]:
    """Records from a JSONL file or a JSON array."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"no data file {path!r}", "pass -T data=PATH to a JSONL or JSON file")
    text = p.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        records = json.loads(text)
    else:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not all(isinstance(r, dict) for r in records):
        raise DataError(f"{path}: every record must be a JSON object", "fix the data file")
    return records


def search_config(o: MctsOptions) -> SearchConfig:
    """The search settings the options name."""
    return SearchConfig(
        n_iters=o.n_iters,
        depth_limit=o.depth_limit,
        n_init_actions=o.n_init_actions,
        n_actions=o.n_actions,
        breadth_limit=o.breadth_limit,
        init_temperature=o.init_temperature,
        temperature=o.temperature,
        w_exp=o.w_exp,
        length_penalty=o.length_penalty,
        mcts_temperature=o.mcts_temperature,
        consider_diversity=o.consider_diversity,
        include_gt=o.include_gt,
        self_eval=o.self_eval,
        force_terminating_on_depth_limit=o.force_terminating,
        max_depth=o.max_depth,
        similarity_threshold=o.similarity_threshold,
        prefetch=o.prefetch,
    )


async def _generate(
    ctx: EpisodeContext,
    messages: list[Message],
    config: GenerateConfig,
    role: str = "default",
) -> ModelOutput:
    """One policy call through the run's model of `role`."""
    return await ctx.generate(messages, config=config, role=role)


def _emit(
    ctx: EpisodeContext, pairs: list[dict[str, Any]], upstream: dict[str, Any] | None
) -> None:
    """The pairs and the tree's upstream-shaped record, committed with the episode."""
    for pair in pairs:
        ctx.emit("preference_pair", pair)
    if upstream is not None:
        ctx.emit("mcts_rst", upstream)
    ctx.state["pairs"] = pairs


def append_outputs(out: str, pairs: list[dict[str, Any]], upstream: dict[str, Any] | None) -> None:
    """Append pairs to OUT/dpo.jsonl and the tree's record to OUT/mcts_rst_data.jsonl.

    Each file gets one write call, so episodes of one process never interleave lines.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if pairs:
        with (folder / "dpo.jsonl").open("a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in dpo_lines(pairs)))
    if upstream is not None:
        with (folder / "mcts_rst_data.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(upstream, ensure_ascii=False) + "\n")


def export(
    details: Iterable[dict[str, Any]], dpo_path: str | Path, upstream_path: str | Path
) -> int:
    """Write the DPO JSONL and the mcts_rst_data.jsonl from episodes' Score.details."""
    lines, records = [], []
    for d in details:
        lines.extend(dpo_lines(d.get("pairs", [])))
        if d.get("upstream") is not None:
            records.append(json.dumps(d["upstream"], ensure_ascii=False))
    Path(dpo_path).write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    Path(upstream_path).write_text("".join(x + "\n" for x in records), encoding="utf-8")
    return len(lines)


class MctsPreference(Task):
    """MCTS-DPO preference collection; the score is the final path's correctness."""

    name = "mcts-preference"
    Options = MctsOptions

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._questions: dict[str, Question] | None = None

    @property
    def opts(self) -> MctsOptions:
        assert isinstance(self.options, MctsOptions)
        return self.options

    def questions(self) -> dict[str, Question]:
        """The questions of the data file, by id."""
        if self._questions is None:
            if not self.opts.data:
                raise ConfigError("mcts-preference needs data", "pass -T data=PATH (JSONL)")
            fmt = None if self.opts.format == "auto" else self.opts.format
            out: dict[str, Question] = {}
            for i, record in enumerate(load_records(self.opts.data)):
                try:
                    q = question_from_record(record, i, fmt)
                except (KeyError, ValueError) as exc:
                    raise DataError(f"{self.opts.data}: record {i}: {exc}", "fix it") from None
                out[q.id] = q
            self._questions = out
        return self._questions

    def samples(self) -> Iterable[Sample]:
        for q in self.questions().values():
            yield Sample(
                id=q.id,
                input=policy_prompt(q.question, q.multiple_choice),
                target=q.answer,
                subset=q.format,
            )

    def reference(self, sample: Sample) -> str | None:
        """The final answer line (a correct terminal step for the `oracle` model)."""
        q = self.questions()[sample.id]
        return q.reference_steps[-1].strip() if q.reference_steps else f"The answer is ({q.answer})"

    async def solve(self, ctx: EpisodeContext) -> None:
        o = self.opts
        q = self.questions()[ctx.sample.id]
        policy = ChatPolicy(
            lambda messages, config: _generate(ctx, messages, config),
            q,
            max_step_tokens=o.max_step_tokens,
            max_tokens=o.max_tokens,
            logprobs=o.logprobs,
            top_logprobs=o.top_logprobs,
            eval_mode=o.eval_mode,
            eval_samples=o.eval_samples,
        )
        rng = ctx.rng if o.seed is None else random.Random(f"{o.seed}:{q.id}")
        result = await MCTS(policy, q, search_config(o), rng).run()
        await self._record(ctx, q, result, policy, rng)

    async def _record(
        self, ctx: EpisodeContext, q: Question, result: SearchResult, policy: ChatPolicy, rng: Any
    ) -> None:
        o = self.opts
        prompt = policy_prompt(q.question, q.multiple_choice)
        final_steps = result.final.steps()
        correct = q.correct(final_steps)
        keep = correct or not o.filter
        pairs: list[Pair] = []
        if keep:
            pairs = extract_pairs(
                result,
                prompt,
                rejected=o.rejected,
                max_pairs=o.max_pairs,
                rng=rng,
                question_id=q.id,
            )
        upstream = upstream_record(result, prompt) if keep else None
        tree = tree_json(result, question_id=q.id)
        ctx.log.artifact(f"tree-{q.id}.json", json.dumps(tree, ensure_ascii=False))
        pair_dicts = [p.to_dict() for p in pairs]
        _emit(ctx, pair_dicts, upstream)
        if o.out:
            append_outputs(o.out, pair_dicts, upstream)
        c = policy.counters
        ctx.state.update(
            correct=correct,
            answer="".join(final_steps),
            upstream=upstream,
            figures={
                "pairs_written": len(pairs),
                "filtered_out": not keep,
                "tree_nodes": result.nodes,
                "path_length": len(final_steps),
                "expansions": result.stats.get("expansions", 0),
                "prefetch_unused": result.stats.get("prefetch_unused", 0),
                "calls": c.calls,
                "propose_calls": c.propose_calls,
                "eval_calls": c.eval_calls,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "priors": result.priors,
                "eval_modes": dict(c.eval_modes),
            },
        )

    async def check(self, ctx: EpisodeContext) -> Score:
        correct = bool(ctx.state.get("correct"))
        details = dict(ctx.state.get("figures", {}))
        details["answer"] = ctx.state.get("answer", "")
        details["pairs"] = ctx.state.get("pairs", [])
        details["upstream"] = ctx.state.get("upstream")
        return Score(
            value=1.0 if correct else 0.0,
            passed=correct,
            explanation="final path correct" if correct else "final path wrong",
            details=details,
        )

    def exporters(self) -> dict[str, Any]:
        """`dpo` (TRL's prompt/chosen/rejected JSONL) of `preference_pair` records, and
        `mcts_rst` (upstream's mcts_rst_data.jsonl lines) of `mcts_rst` records."""

        def dpo(records: Iterable[dict[str, Any]]) -> Iterator[str]:
            for line in dpo_lines(records):
                yield line + "\n"

        def mcts_rst(records: Iterable[dict[str, Any]]) -> Iterator[str]:
            for record in records:
                data = {k: v for k, v in record.items() if k not in ("sample_id", "epoch")}
                yield json.dumps(data, ensure_ascii=False) + "\n"

        return {"dpo": dpo, "mcts_rst": mcts_rst}

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """Pairs written, tree sizes, calls and tokens over the run."""
        figures = [r.score.details for r in results if getattr(r, "score", None)]
        if not figures:
            return {}
        total = {k: sum(f.get(k, 0) for f in figures) for k in ("pairs_written", "calls")}
        total["tokens"] = sum(f.get("input_tokens", 0) + f.get("output_tokens", 0) for f in figures)
        total["mean_tree_nodes"] = sum(f.get("tree_nodes", 0) for f in figures) / len(figures)
        return total
