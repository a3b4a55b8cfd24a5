"""Whole runs with scripted models (sandbox "local"): every protocol, with the accuracies and
transitions derived by hand from the fixture records, plus oracle and null runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agentbench_critique.tasks import RealCritic

from agentbench import (
    EpisodeResult,
    GenerateConfig,
    Message,
    ModelOutput,
    ModelProvider,
    RunConfig,
    RunSummary,
    hookimpl,
    run_async,
)
from agentbench.testing import run_episode, scripted

FIXTURES = Path(__file__).parent / "fixtures" / "realcritic"


def critique(answer: str, verdict: str = "Incorrect") -> str:
    """A critique in upstream's format ending with `answer`."""
    return (
        "## Critique of Student Solution Steps\n### Critique of Step 1\nChecked.\n\n"
        f"## Conclusion of Critique\nThe solution is {verdict}.\n"
        "The first error step number: 1\n\n## Correction of Student Solution\n"
        "===CORRECTION_START===\n"
        f"Therefore, the final answer is \\boxed{{{answer}}}.\n===CORRECTION_END==="
    )


class _Collector:
    def __init__(self) -> None:
        self.results: dict[str, EpisodeResult] = {}

    @hookimpl
    def on_episode_end(self, result: EpisodeResult) -> None:
        self.results[result.sample_id] = result


async def _run(
    tmp_path: Path, model: Any, **options: Any
) -> tuple[RunSummary, dict[str, EpisodeResult]]:
    """Run `realcritic` on the fixtures; `model` is a reference or a script {sample: [...]}."""
    collector = _Collector()
    model_ref = model
    if not isinstance(model, str):
        script = tmp_path / "script.json"
        script.write_text(json.dumps(model))
        model_ref = f"scripted/{script}"
    config = RunConfig(
        task="realcritic",
        model=model_ref,
        task_options={"data": str(FIXTURES), **options},
        sandbox="local",
        run_dir=str(tmp_path / "runs"),
        progress="none",
    )
    summary = await run_async(config, plugins=[collector])
    return summary, collector.results


async def test_cross_critique_figures(tmp_path: Path) -> None:
    # priors (previous_score): gsm8k/0 C, gsm8k/1 I, gsm8k/2 C; gt 12, 9, 60
    script = {
        "gsm8k/0": [critique("12", "Correct")],  # C -> C
        "gsm8k/1": [critique("9")],  # I -> C
        "gsm8k/2": [critique("61")],  # C -> I
    }
    summary, results = await _run(tmp_path, script, tasks="gsm8k", protocol="cross")
    assert {k: r.score.details["transition"] for k, r in results.items()} == {
        "gsm8k/0": "C->C",
        "gsm8k/1": "I->C",
        "gsm8k/2": "C->I",
    }
    overall = _find(summary, "overall")
    assert overall["acc"] == 66.7 and overall["prior_acc"] == 66.7 and overall["delta"] == 0.0
    info = overall["critic_information"]
    assert (info["originally_correct"], info["originally_incorrect"]) == (2, 1)
    assert info["correct_to_correct_count"] == 1 and info["correct_to_incorrect_count"] == 1
    assert info["incorrect_to_correct_count"] == 1 and info["incorrect_to_incorrect_count"] == 0
    assert info["correct_to_correct_ratio"] == 50.0 and info["correct_to_incorrect_ratio"] == 50.0
    assert info["incorrect_to_correct_ratio"] == 100.0
    assert info["incorrect_to_incorrect_ratio"] == 0.0
    assert _find(summary, "per_task")["gsm8k"]["acc"] == 66.7


async def test_self_critique_scores_both_answers(tmp_path: Path) -> None:
    script = {
        "gsm8k/0": ["So \\boxed{12}.", critique("12", "Correct")],  # C -> C
        "gsm8k/1": ["So \\boxed{7}.", critique("9")],  # I -> C
        "gsm8k/2": ["So \\boxed{50}.", critique("50", "Correct")],  # I -> I
    }
    summary, results = await _run(tmp_path, script, tasks="gsm8k", protocol="self")
    details = results["gsm8k/1"].score.details
    assert details["solver"]["answer"] == "7" and details["solver"]["correct"] is False
    assert details["answers"] == ["9"] and details["transition"] == "I->C"
    overall = _find(summary, "overall")
    assert overall["acc"] == 66.7 and overall["prior_acc"] == 33.3 and overall["delta"] == 33.3
    info = overall["critic_information"]
    assert [info[k + "_count"] for k in ("correct_to_correct", "correct_to_incorrect")] == [1, 0]
    assert [info[k + "_count"] for k in ("incorrect_to_correct", "incorrect_to_incorrect")] == [
        1,
        1,
    ]
    assert info["incorrect_to_correct_ratio"] == 50.0


async def test_self_critique_sees_its_own_answer(tmp_path: Path) -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "self"})
    model = scripted(["My steps.\nSo \\boxed{7}.", critique("9")])
    run = await run_episode(task, sample_id="gsm8k/1", model=model, sandbox="local")
    prompts = [e for e in run.transcript if e.get("type") == "model"]
    assert len(prompts) == 2
    assert run.context.messages[1].content.endswith(
        "## Student Solution\nMy steps.\nSo \\boxed{7}."
    )


async def test_iterative_critique_keeps_every_round(tmp_path: Path) -> None:
    # math priors: 0 C (3/4), 1 I ((1,2)), 2 C (3)
    script = {
        "math/0": [critique("\\frac{3}{4}", "Correct"), critique("0.75", "Correct")],
        "math/1": [critique("(2,1)"), critique("(1,2)")],
        "math/2": [critique("3", "Correct"), critique("x=4")],
    }
    summary, results = await _run(tmp_path, script, tasks="math", protocol="iterative")
    assert results["math/1"].score.details["rounds"] == [False, True]
    assert results["math/2"].score.details["rounds"] == [True, False]
    overall = _find(summary, "overall")
    assert overall["round_acc"] == [66.7, 66.7]
    assert overall["acc"] == 66.7
    info = overall["critic_information"]
    assert [info[k + "_count"] for k in ("correct_to_correct", "correct_to_incorrect")] == [1, 1]
    assert info["incorrect_to_correct_count"] == 1


async def test_iterative_keeps_the_critique_as_the_assistant_turn() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "math", "protocol": "iterative"})
    first, second = critique("(2,1)"), critique("(1,2)")
    run = await run_episode(task, sample_id="math/1", model=[first, second], sandbox="local")
    messages = run.context.messages
    assert [m.role for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert messages[2].content == first
    assert messages[3].content.startswith("Are you sure your critic is correct?")
    assert messages[4].content == second
    assert run.score.details["answers"] == ["(2,1)", "(1,2)"]


async def test_direct_figures_per_task_and_avg(tmp_path: Path) -> None:
    script = {
        "arc-challenge/0": ["\\boxed{C}"],
        "arc-challenge/1": ["The answer is (D)."],
        "gsm8k/0": ["\\boxed{12}"],
        "gsm8k/1": ["That makes 7"],
        "gsm8k/2": ["\\boxed{60}"],
    }
    summary, _ = await _run(tmp_path, script, tasks="arc-challenge,gsm8k", protocol="direct")
    assert _find(summary, "overall")["acc"] == 60.0
    assert "critic_information" not in _find(summary, "overall")
    per_task = _find(summary, "per_task")
    assert per_task["arc-challenge"]["acc"] == 50.0 and per_task["gsm8k"]["acc"] == 66.7
    assert _find(summary, "avg")["acc"] == pytest.approx(58.35, abs=0.051)


async def test_python_blocks_run_and_their_output_is_fed_back() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "cross"})
    code = "Let me recompute.\n```python\nprint(2 * 2 + 5)\n```"
    run = await run_episode(task, sample_id="gsm8k/1", model=[code, critique("9")], sandbox="local")
    assert run.passed, run.explanation
    messages = run.context.messages
    assert [m.role for m in messages[2:]] == ["assistant", "user", "assistant"]
    assert messages[3].content == "\n```output\n9\n```\n"
    assert [e["exit_code"] for e in run.events_of("exec")] == [0]


async def test_code_rounds_stop_after_four_calls() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "direct"})
    loop = "```python\nx = 1\nx + 1\n```"
    run = await run_episode(task, sample_id="gsm8k/1", model=[loop] * 4, sandbox="local")
    outputs = [m.content for m in run.context.messages if m.role == "user"][1:]
    assert outputs == ["\n```output\n2\n```\n"] * 4  # the last line is evaluated, REPL-style
    assert not run.passed


async def test_program_errors_are_fed_back_as_the_last_traceback_line() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "direct"})
    bad = "```python\nprint(undefined_name)\n```"
    run = await run_episode(task, sample_id="gsm8k/1", model=[bad, "\\boxed{9}"], sandbox="local")
    assert run.context.messages[3].content == (
        "\n```output\nNameError: name 'undefined_name' is not defined\n```\n"
    )
    assert run.passed


@pytest.mark.parametrize("protocol", ["direct", "cross", "self", "iterative"])
async def test_oracle_scores_everything(tmp_path: Path, protocol: str) -> None:
    summary, results = await _run(tmp_path, "oracle", protocol=protocol)
    assert len(results) == 18
    assert all(r.passed for r in results.values()), {
        k: r.score.explanation if r.score else r.error for k, r in results.items()
    }
    assert _find(summary, "overall")["acc"] == 100.0


async def test_null_scores_nothing(tmp_path: Path) -> None:
    summary, results = await _run(tmp_path, "null", protocol="cross")
    assert len(results) == 18 and not any(r.passed for r in results.values())
    overall = _find(summary, "overall")
    assert overall["acc"] == 0.0 and overall["prior_acc"] == 55.6  # 10 of 18 fixtures are right
    assert overall["critic_information"]["correct_to_incorrect_count"] == 10


def _find(summary: RunSummary, key: str) -> Any:
    """A figure of the task's own metrics (merged into the summary's metrics)."""
    assert summary.metrics.get("protocol"), summary.metrics
    return summary.metrics[key]


class _Recorder(ModelProvider):
    """Answers with a boxed 9 and keeps the sampling settings of every call."""

    name = "recorder"

    def __init__(self) -> None:
        super().__init__("")
        self.configs: list[GenerateConfig] = []

    async def generate(
        self, messages: list[Message], tools: Any, config: GenerateConfig
    ) -> ModelOutput:
        self.configs.append(config)
        return ModelOutput.from_text("\\boxed{9}")


async def test_upstream_decoding_defaults_unless_the_user_sets_them() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "self"})
    recorder = _Recorder()
    await run_episode(task, sample_id="gsm8k/1", model=recorder, sandbox="local")
    assert [(c.temperature, c.top_p, c.max_tokens) for c in recorder.configs] == [
        (0.0, 1.0, 2048)
    ] * 2
    recorder = _Recorder()
    await run_episode(
        task,
        sample_id="gsm8k/1",
        model=recorder,
        sandbox="local",
        generate_config=GenerateConfig(temperature=0.7),
    )
    assert [(c.temperature, c.top_p, c.max_tokens) for c in recorder.configs] == [
        (0.7, 1.0, 2048)
    ] * 2


async def test_a_critique_wrapped_in_a_bare_fence_is_scored_as_it_is() -> None:
    """Upstream's final math_eval.py no longer re-runs a program for a critique that ends with
    a bare fence and has no "boxed": the response is the round's answer (here: none)."""
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "cross"})
    fenced = "```\n## Critique of Student Solution Steps\nno verdict yet\n```"
    run = await run_episode(task, sample_id="gsm8k/1", model=[fenced], sandbox="local")
    assert [m.role for m in run.context.messages] == ["system", "user", "assistant"]
    assert run.events_of("exec") == []
    assert not run.passed


class _RoleAwareContext:
    """Stands in for a core context that already takes `role=` (model roles are coming)."""

    def __init__(self) -> None:
        self.generate_config = GenerateConfig()
        self.roles: list[str | None] = []

    async def generate(
        self, messages: Any, tools: Any = None, config: Any = None, role: str = "default"
    ) -> ModelOutput:
        self.roles.append(role)
        return ModelOutput.from_text(f"\\boxed{{{role}}}")


async def test_critiques_are_asked_of_the_critic_role_where_the_core_has_roles() -> None:
    from agentbench_critique.protocols import generate

    ctx = _RoleAwareContext()
    assert await generate(ctx, [], "critic") == "\\boxed{critic}"  # type: ignore[arg-type]
    assert await generate(ctx, [], "default") == "\\boxed{default}"  # type: ignore[arg-type]
    assert ctx.roles == ["critic", "default"]  # "default" is the core's own default


async def test_cross_model_run_with_two_scripted_roles(tmp_path: Path) -> None:
    """`--model A --role critic=B`: the critiques come from B; A (the solver) is not asked."""
    solver = tmp_path / "solver.json"
    solver.write_text(json.dumps({"*": ["\\boxed{0}"]}))
    critic = tmp_path / "critic.json"
    critic.write_text(
        json.dumps(
            {
                "gsm8k/0": [critique("12", "Correct")],  # C -> C
                "gsm8k/1": [critique("7")],  # I -> I
                "gsm8k/2": [critique("60", "Correct")],  # C -> C
            }
        )
    )
    collector = _Collector()
    config = RunConfig(
        task="realcritic",
        model=f"scripted/{solver}",
        roles={"critic": {"model": f"scripted/{critic}"}},  # type: ignore[dict-item]
        task_options={"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "cross"},
        sandbox="local",
        run_dir=str(tmp_path / "runs"),
        progress="none",
    )
    summary = await run_async(config, plugins=[collector])
    transitions = {k: r.score.details["transition"] for k, r in collector.results.items()}
    assert transitions == {"gsm8k/0": "C->C", "gsm8k/1": "I->I", "gsm8k/2": "C->C"}
    overall = _find(summary, "overall")
    assert overall["acc"] == 66.7 and overall["delta"] == 0.0
    assert overall["critic_information"]["incorrect_to_incorrect_ratio"] == 100.0
