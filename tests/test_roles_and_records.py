"""Model roles, many concurrent calls in one episode, and records beyond the score."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import runner_fixtures
import yaml
from click.testing import CliRunner

from agentbench import ConfigError, RunConfig
from agentbench._runner.store import Store
from agentbench.api import run_async
from agentbench.cli import build_run_config, cli
from agentbench.plugins import load_plugins
from agentbench.testing import run_episode, scripted

FX = runner_fixtures


def registry() -> Any:
    return load_plugins(extra=[FX])


def script(path: Path, data: Any) -> str:
    path.write_text(yaml.safe_dump(data))
    return str(path)


async def test_two_roles_each_with_its_own_scripted_model_and_usage(tmp_path: Path) -> None:
    solver = script(tmp_path / "solver.yaml", {"s0": ["0"], "s1": ["1"], "s2": ["wrong"]})
    critic = script(tmp_path / "critic.yaml", [{"text": "right", "usage": {"output_tokens": 7}}])
    config = RunConfig(
        task="t-duo",
        model="scripted",
        model_options={"file": solver},
        roles={"critic": {"model": "scripted", "options": {"file": critic}}},
        task_options={"n": 3},
        run_dir=str(tmp_path / "runs"),
        run_name="duo",
        progress="none",
    )
    summary = await run_async(config, registry=registry())
    assert summary.metrics["passed"] == 2  # s2's solver is wrong
    assert summary.roles == {"default": "scripted", "critic": "scripted"}
    assert summary.usage_by_role["critic"].output_tokens == 21
    assert summary.usage_by_role["default"].output_tokens == 4  # "0", "1": 1 token; "wrong": 2
    with Store(tmp_path / "runs" / "duo") as store:
        events = store.transcript("duo", "t-duo", "s0", 0, "scripted")
    assert [e.get("role") for e in events if e["type"] == "model"] == [None, "critic"]
    with pytest.raises(ConfigError, match="--resume duo: roles was"):
        await run_async(
            config.model_copy(update={"roles": {}, "resume": "duo"}), registry=registry()
        )


async def test_a_missing_or_unknown_role_is_an_error_before_anything_runs(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    with pytest.raises(ConfigError, match="needs a model for role 'critic'") as err:
        await run_async("t-duo", model="t-say", run_dir=str(runs), registry=registry())
    assert err.value.fix == "pass --role critic=PROVIDER/NAME"
    with pytest.raises(ConfigError, match="has no role 'judge'"):
        await run_async(
            "t-say",
            model="t-say",
            roles={"judge": {"model": "null"}},
            run_dir=str(runs),
            registry=registry(),
        )
    assert not runs.exists()


def test_the_cli_names_roles_and_their_options() -> None:
    params = {
        "model": "openai/gpt-4o",
        "model_options": ("base_url=http://a", "critic:base_url=http://b", "critic:x=1"),
        "roles": ("critic=anthropic/claude-3-5-sonnet",),
    }
    config = build_run_config(params, "t-duo")
    assert config.model_options == {"base_url": "http://a"}
    assert config.roles["critic"].model == "anthropic/claude-3-5-sonnet"
    assert config.roles["critic"].options == {"base_url": "http://b", "x": 1}
    with pytest.raises(ConfigError, match="names a role that has no --role"):
        build_run_config({"model": "m", "model_options": ("judge:k=v",)}, "t")


async def test_the_oracle_answers_per_role_and_testing_takes_roles() -> None:
    run = await run_episode(
        FX.DuoTask({"n": 2}),
        sample_id="s1",
        model=scripted(["1"]),
        roles={"critic": scripted(["right"])},
        sandbox=None,
    )
    assert run.passed and set(run.result.usage_by_role) == {"default", "critic"}


async def test_64_concurrent_tagged_calls_get_their_own_answers_in_any_order(
    tmp_path: Path,
) -> None:
    answers = {f"node-{i}": f"text {i}" for i in range(64)}
    path = script(tmp_path / "tree.yaml", {"*": answers})
    transcripts = []
    for seed in (1, 2, 3):
        config = RunConfig(
            task="t-tree",
            model="scripted",
            model_options={"file": path},
            task_options={"n": 1, "sleep_ms": 20},
            seed=seed,
            run_dir=str(tmp_path / "runs"),
            run_name=f"tree-{seed}",
            progress="none",
            max_connections=64,
        )
        await run_async(config, registry=registry())
        with Store(tmp_path / "runs" / f"tree-{seed}") as store:
            (result,) = store.results(f"tree-{seed}")
            events = store.transcript(f"tree-{seed}", "t-tree", "s0", 0, "scripted")
            pairs = list(store.emitted(f"tree-{seed}", "preference_pair"))
        calls = {e["tag"]: e["output"]["text"] for e in events if e["type"] == "model"}
        assert calls == answers  # every call got its own answer, whatever order they ran in
        assert [p["chosen"] for p in pairs] == [f"text {i}" for i in range(0, 64, 2)]
        transcripts.append(sorted(calls.items()))
        assert result.steps == 64
    assert transcripts[0] == transcripts[1] == transcripts[2]


async def test_emitted_records_export_as_jsonl_csv_and_the_tasks_own_format(
    tmp_path: Path,
) -> None:
    path = script(tmp_path / "t.yaml", {"*": {"*": "same"}})
    config = RunConfig(
        task="t-tree",
        model="scripted",
        model_options={"file": path},
        task_options={"n": 2, "width": 4},
        run_dir=str(tmp_path / "runs"),
        run_name="e",
        progress="none",
    )
    await run_async(config, registry=registry())
    runner = CliRunner()
    base = ["export", "e", "--run-dir", str(tmp_path / "runs")]
    listed = runner.invoke(cli, base)
    assert "preference_pair (4)" in listed.output
    out = runner.invoke(cli, [*base, "--kind", "preference_pair"])
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [(r["sample_id"], r["prompt"]) for r in rows] == [
        ("s0", "node 0"),
        ("s0", "node 2"),
        ("s1", "node 0"),
        ("s1", "node 2"),
    ]
    csv_out = runner.invoke(cli, [*base, "--kind", "preference_pair", "--format", "csv"])
    assert csv_out.output.splitlines()[0] == "sample_id,epoch,prompt,chosen,rejected"
    dpo = tmp_path / "dpo.jsonl"
    env = FX.install_fake_dist(tmp_path / "site")  # the task's own format needs the task
    done = subprocess.run(
        [
            *FX.agentbench_cmd(),
            *base,
            "--kind",
            "preference_pair",
            "--format",
            "dpo",
            "-o",
            str(dpo),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(dpo.read_text().splitlines()[0]) == {
        "prompt": "node 0",
        "chosen": "same",
        "rejected": "same",
    }


@pytest.mark.slow
def test_records_survive_sigkill_and_resume_exactly_once(tmp_path: Path) -> None:
    env = FX.install_fake_dist(tmp_path / "site")
    path = script(tmp_path / "t.yaml", {"*": {"*": "x"}})
    args = [
        *FX.agentbench_cmd(),
        "run",
        "t-tree",
        "--model",
        "scripted",
        "-M",
        f"file={path}",
        "-T",
        "n=12",
        "-T",
        "width=4",
        "-T",
        "sleep=0.3",
        "--max-episodes",
        "2",
        "--run-dir",
        str(tmp_path / "runs"),
        "--run-name",
        "k",
        "--no-progress",
    ]
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    db = tmp_path / "runs" / "k" / "agentbench.db"

    def recorded() -> int:
        if not db.exists():
            return 0
        try:
            with Store(db.parent) as store:
                return len(store.results("k"))
        except Exception:
            return 0

    try:
        assert FX.wait_for(lambda: recorded() >= 3, timeout=60)
    finally:
        proc.kill()
        proc.communicate()
    assert recorded() < 12
    resumed = subprocess.run(
        [
            *FX.agentbench_cmd(),
            "run",
            "--resume",
            "k",
            "--run-dir",
            str(tmp_path / "runs"),
            "--no-progress",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert resumed.returncode == 0, resumed.stderr
    with Store(db.parent) as store:
        pairs = list(store.emitted("k", "preference_pair"))
    keys = [(p["sample_id"], p["prompt"]) for p in pairs]
    assert len(keys) == 24 and len(set(keys)) == 24  # 12 samples x 2 pairs, none twice
