"""Whole episodes of mcts-preference: GSM8K/MATH/MC fixtures, files written, seeds, the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_mcts.task import MctsPreference, export, load_records
from agentbench_mcts.toy import ToyProvider, toy_responder

from agentbench import Model, RetryPolicy, load_plugins
from agentbench.fakeservers import FakeOpenAIServer
from agentbench.testing import run_episode, scripted

FIXTURES = Path(__file__).parent / "fixtures"
GSM8K = FIXTURES / "gsm8k_tiny.jsonl"
SMALL = {"n_iters": 2, "depth_limit": 2}


def toy_model(path: Path = GSM8K, logprobs: bool = True) -> Model:
    answers = {}
    for r in load_records(str(path)):
        gold = r["answer"].split("####")[-1].strip() if "####" in r["answer"] else "0"
        answers[r["question"]] = gold
    provider = ToyProvider(answers=answers, logprobs=logprobs)
    return Model("toy/toy", provider, retry=RetryPolicy(max_attempts=1))


async def run_all(task: MctsPreference, model: Model, seed: int = 0) -> list:
    return [
        await run_episode(task, sample_id=s.id, model=model, sandbox=None, seed=seed)
        for s in task.samples()
    ]


async def test_gsm8k_run_writes_a_dpo_file_with_three_string_columns(tmp_path: Path) -> None:
    task = MctsPreference({"data": str(GSM8K), "out": str(tmp_path), **SMALL})
    runs = await run_all(task, toy_model())
    assert all(r.passed for r in runs), [r.explanation for r in runs]
    details = [r.score.details for r in runs]
    assert all(
        d["priors"] == "logprobs" and d["eval_modes"].keys() == {"logprobs"} for d in details
    )
    written = sum(d["pairs_written"] for d in details)
    assert written >= len(runs)  # at least the first step's pair in every tree
    # What datasets.load_dataset("json", data_files=...) needs for a DPO dataset: one JSON
    # object per line, the same three string columns in every row (datasets is not installed:
    # checked here by hand).
    rows = [json.loads(line) for line in (tmp_path / "dpo.jsonl").read_text().splitlines()]
    assert len(rows) == written
    assert all(list(row) == ["prompt", "chosen", "rejected"] for row in rows)
    assert all(isinstance(v, str) and v for row in rows for v in row.values())
    first = rows[0]
    assert first["prompt"].startswith("QUESTION: Tom has 3 apples")
    assert first["prompt"].endswith("\n\nANSWER:")
    assert "guess" not in first["chosen"] and first["chosen"] != first["rejected"]
    # Upstream's mcts_rst_data.jsonl: prompt, generated (per step, ascending), init_values.
    upstream = [json.loads(x) for x in (tmp_path / "mcts_rst_data.jsonl").read_text().splitlines()]
    assert len(upstream) == len(runs)
    for rec in upstream:
        assert list(rec) == ["prompt", "generated", "init_values"]
        assert all(g.startswith(rec["prompt"]) for step in rec["generated"] for g in step)
        assert [len(s) for s in rec["generated"]] == [len(v) for v in rec["init_values"]]
    # The same files from the episodes' Score.details (the export path).
    n = export(details, tmp_path / "dpo2.jsonl", tmp_path / "rst2.jsonl")
    assert n == written
    assert (tmp_path / "dpo2.jsonl").read_text() == (tmp_path / "dpo.jsonl").read_text()
    # Every tree is an artifact.
    assert all(
        [e["name"] for e in r.events_of("artifact")] == [f"tree-{r.result.sample_id}.json"]
        for r in runs
    )


async def test_pairs_carry_q_visits_and_depth() -> None:
    task = MctsPreference({"data": str(GSM8K), **SMALL})
    run = await run_episode(task, sample_id="0", model=toy_model(), sandbox=None)
    pairs = run.score.details["pairs"]
    assert pairs and pairs[0]["depth"] == 0
    assert all(p["chosen_Q"] >= p["rejected_Q"] for p in pairs)
    assert {"chosen_N", "rejected_N", "question_id"} <= set(pairs[0])
    assert run.score.details["calls"] > 0 and run.score.details["tree_nodes"] > 3


async def test_same_seed_same_episode_different_rejected_rules_differ() -> None:
    task = MctsPreference({"data": str(GSM8K), "seed": 7, "temperature": 0.5, **SMALL})
    one = await run_episode(task, sample_id="2", model=toy_model(), sandbox=None)
    two = await run_episode(task, sample_id="2", model=toy_model(), sandbox=None)
    assert one.score.details == two.score.details


async def test_scripted_model_is_deterministic_under_the_run_seed() -> None:
    task = MctsPreference({"data": str(GSM8K), **SMALL})
    script = ["Tom has 7 apples.\nThe answer is 7", "(B) correct"] * 20
    runs = [
        await run_episode(task, sample_id="0", model=scripted(script), sandbox=None, seed=5)
        for _ in range(2)
    ]
    assert runs[0].score.details == runs[1].score.details
    assert runs[0].score.details["priors"] == "uniform"  # scripted outputs carry no logprobs
    assert runs[0].score.details["eval_modes"] == {"sampled": runs[0].score.details["eval_calls"]}


async def test_without_logprobs_values_come_from_sampled_verdicts() -> None:
    task = MctsPreference({"data": str(GSM8K), "eval_samples": 3, **SMALL})
    run = await run_episode(task, sample_id="1", model=toy_model(logprobs=False), sandbox=None)
    d = run.score.details
    assert run.passed and d["priors"] == "uniform"
    assert set(d["eval_modes"]) == {"sampled"}


async def test_filter_drops_trees_whose_final_path_is_wrong(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    # The toy answers 7 (right) or 8 (a guess); the record says 9: every final path is wrong.
    data.write_text(json.dumps({"question": "What is 3 + 4?", "answer": "3+4=9\n#### 9"}) + "\n")
    model = Model("toy/toy", ToyProvider(), retry=RetryPolicy(max_attempts=1))
    kept = await run_episode(
        MctsPreference({"data": str(data), "include_gt": False, **SMALL}),
        sample_id="0",
        model=model,
        sandbox=None,
    )
    dropped = await run_episode(
        MctsPreference({"data": str(data), "include_gt": False, "filter": True, **SMALL}),
        sample_id="0",
        model=model,
        sandbox=None,
    )
    assert not kept.passed and kept.score.details["pairs_written"] > 0
    assert dropped.score.details["pairs_written"] == 0 and dropped.score.details["filtered_out"]


@pytest.mark.parametrize(("fixture", "fmt"), [("math_tiny.jsonl", "math"), ("mc_tiny.jsonl", "mc")])
async def test_math_and_multiple_choice_records_run(fixture: str, fmt: str) -> None:
    task = MctsPreference({"data": str(FIXTURES / fixture), **SMALL})
    sample = next(iter(task.samples()))
    assert sample.subset == fmt
    run = await run_episode(task, sample_id=sample.id, model=toy_model(), sandbox=None)
    assert run.score is not None and run.score.details["tree_nodes"] > 1


async def test_against_the_openai_compatible_server_with_logprobs(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    answers = {
        r["question"]: r["answer"].split("####")[-1].strip() for r in load_records(str(GSM8K))
    }
    provider_cls = load_plugins().provider("openai")
    async with FakeOpenAIServer(toy_responder(answers), api_key="sk-test") as server:
        provider = provider_cls("gpt-4o-mini", base_url=server.base_url)
        model = Model("openai/gpt-4o-mini", provider, retry=RetryPolicy(max_attempts=1))
        try:
            task = MctsPreference({"data": str(GSM8K), "top_logprobs": 5, **SMALL})
            run = await run_episode(task, sample_id="0", model=model, sandbox=None)
        finally:
            await model.aclose()
    d = run.score.details
    assert run.passed, run.explanation
    assert d["priors"] == "logprobs"
    assert d["eval_modes"] == {"logprobs": d["eval_calls"]}
    assert d["calls"] == len(server.requests)
    bodies = [r.body for r in server.requests]
    proposals = [b for b in bodies if "PROPOSED SOLUTION:" not in b["messages"][-1]["content"]]
    evals = [b for b in bodies if "PROPOSED SOLUTION:" in b["messages"][-1]["content"]]
    assert proposals[0]["n"] == 2 and proposals[0]["logprobs"] is True
    assert all(
        b["top_logprobs"] == 5 and b.get("max_completion_tokens", b.get("max_tokens")) == 4
        for b in evals
    )
    assert evals[0]["messages"][-1]["content"].startswith("QUESTION:Tom has 3 apples")
    assert d["pairs_written"] >= 1


async def test_registered_by_name_and_the_oracle_scores_every_question() -> None:
    for sample_id in ("0", "1", "2"):
        run = await run_episode(
            "mcts-preference",
            options={"data": str(GSM8K), **SMALL},
            sample_id=sample_id,
            model="oracle",
            sandbox=None,
        )
        assert run.passed, run.explanation


async def test_the_null_model_scores_nothing() -> None:
    run = await run_episode(
        "mcts-preference",
        options={"data": str(GSM8K), "include_gt": False, **SMALL},
        sample_id="0",
        model="null",
        sandbox=None,
    )
    assert not run.passed
