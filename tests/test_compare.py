"""`agentbench compare`: paired comparison of real scripted runs with a known difference."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from agentbench import (
    AgentbenchError,
    EpisodeResult,
    Message,
    RunConfig,
    Sample,
    Score,
    Task,
    hookimpl,
    run_async,
)
from agentbench._cli_trust import compare as compare_cmd
from agentbench.compare import (
    StoredRun,
    compare_pair,
    compare_runs,
    load_stored_run,
    mcnemar_exact,
)


class EchoTask(Task):
    """Sample s<i> passes when the model says "yes"; the call is tagged with the epoch, so a
    script can give each epoch its own answer."""

    name = "t-echo"

    def samples(self) -> list[Sample]:
        return [
            Sample(id=f"s{i:02d}", input="say yes", subset="even" if i % 2 == 0 else "odd")
            for i in range(20)
        ]

    async def solve(self, ctx: Any) -> None:
        ctx.messages = [Message.user("say yes")]
        ctx.state["output"] = await ctx.generate(tag=f"epoch-{ctx.epoch}")

    async def check(self, ctx: Any) -> Score:
        return Score.of(ctx.state["output"].text.strip() == "yes")


class EchoPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("t-echo", EchoTask)


class OtherTask(EchoTask):
    name = "t-other"


class OtherPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("t-other", OtherTask)


async def make_run(
    tmp_path: Path,
    name: str,
    passing: dict[int, set[int]],
    *,
    epochs: int = 1,
    task: str = "t-echo",
) -> str:
    """A real run of `task` whose sample i passes in the epochs `passing[i]` (others fail)."""
    script = {
        f"s{i:02d}": {
            f"epoch-{e}": ("yes" if e in passing.get(i, set()) else "no") for e in range(epochs)
        }
        for i in range(20)
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(script))
    await run_async(
        RunConfig(
            task=task,
            model=f"scripted/{path}",
            epochs=epochs,
            run_dir=str(tmp_path / "runs"),
            run_name=name,
            sandbox="local",
            progress="none",
        ),
        plugins=[EchoPlugin(), OtherPlugin()],
    )
    return name


def _all_epochs(ids: range | list[int], epochs: int = 1) -> dict[int, set[int]]:
    return {i: set(range(epochs)) for i in ids}


# A passes s00..s14, B passes s00..s07 and s15, s16: 7 pairs where only A passed (s08..s14),
# 2 where only B passed (s15, s16), 11 concordant.
A_PASSES = list(range(15))
B_PASSES = [*range(8), 15, 16]


async def test_two_runs_with_a_known_difference(tmp_path: Path) -> None:
    await make_run(tmp_path, "run-a", _all_epochs(A_PASSES))
    await make_run(tmp_path, "run-b", _all_epochs(B_PASSES))
    runs = [load_stored_run(n, tmp_path / "runs") for n in ("run-a", "run-b")]
    report = compare_runs(runs, resamples=4000)
    overall = report["pairs"][0]["overall"]

    assert (overall["mean_a"], overall["mean_b"]) == (0.75, 0.5)
    assert overall["difference"] == pytest.approx(0.25)
    m = overall["mcnemar"]
    assert (m["a_only_passed"], m["b_only_passed"]) == (7, 2)
    # Exact McNemar by hand: 2 * P[X <= 2], X ~ Bin(9, 1/2) = 2 * (1 + 9 + 36) / 512.
    assert m["p_value"] == pytest.approx(92 / 512)
    # Paired differences: seven +1, two -1, eleven 0. Normal approximation of the bootstrap:
    # sd = sqrt(9/20 - 0.25^2) = 0.6225, se = sd / sqrt(20) = 0.1392, 95%: 0.25 -+ 0.273.
    lo, hi = overall["ci"]
    assert lo == pytest.approx(0.25 - 1.96 * 0.1392, abs=0.06)
    assert hi == pytest.approx(0.25 + 1.96 * 0.1392, abs=0.06)
    assert lo < 0 < hi  # 0.18 McNemar and a CI over 0 agree: not significant at 5%

    # Per subset: odd samples of A-only are s09, s11, s13 (3), of B-only s15 (1).
    odd = report["pairs"][0]["subsets"]["odd"]
    assert (odd["mcnemar"]["a_only_passed"], odd["mcnemar"]["b_only_passed"]) == (3, 1)
    assert odd["samples"] == 10


def test_mcnemar_exact_matches_the_binomial_by_hand() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 1024)
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)
    # Large n stays finite and symmetric.
    p = mcnemar_exact(2600, 2400)
    assert p == mcnemar_exact(2400, 2600)
    z = 200 / math.sqrt(5000)  # normal approximation, continuity-corrected below
    assert p == pytest.approx(math.erfc((199 / math.sqrt(5000)) / math.sqrt(2)), rel=0.05)
    assert z > 2.8


async def test_a_series_of_three_runs_gives_a_matrix_and_flip_rates(tmp_path: Path) -> None:
    await make_run(tmp_path, "c1", _all_epochs(range(5)))
    await make_run(tmp_path, "c2", _all_epochs(range(6)))
    await make_run(tmp_path, "c3", _all_epochs(range(16)))
    runs = [load_stored_run(n, tmp_path / "runs") for n in ("c1", "c2", "c3")]
    report = compare_runs(runs)
    assert len(report["pairs"]) == 3
    flips = {(p["a"], p["b"]): p["flip_rate"] for p in report["series"]["pairs"]}
    # c1 and c2 differ on s05 only: a resample never puts c1 ahead, and ties (s05 not drawn,
    # probability (19/20)^20 = 0.358) count half: flip rate 0.179. c3 is far ahead: ~never.
    assert flips[("c1", "c2")] == pytest.approx(0.5 * 0.95**20, abs=0.02)
    assert flips[("c2", "c3")] < 0.01
    assert report["series"]["ranking_stability"] < 0.8


async def test_the_command_prints_text_and_json(tmp_path: Path) -> None:
    await make_run(tmp_path, "run-a", _all_epochs(A_PASSES))
    await make_run(tmp_path, "run-b", _all_epochs(B_PASSES))
    await make_run(tmp_path, "run-c", _all_epochs(range(3)))
    runner = CliRunner()
    runs_root = str(tmp_path / "runs")
    text = runner.invoke(compare_cmd, ["run-a", "run-b", "--run-dir", runs_root])
    assert text.exit_code == 0, text.output
    assert "diff +0.2500" in text.output and "McNemar p=0.1797" in text.output
    out = runner.invoke(compare_cmd, ["run-a", "run-b", "run-c", "--run-dir", runs_root, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [p["overall"]["difference"] for p in data["pairs"]] == pytest.approx([0.25, 0.6, 0.35])
    assert "series" in data


async def test_runs_of_different_tasks_or_samples_are_a_clear_error(tmp_path: Path) -> None:
    await make_run(tmp_path, "run-a", _all_epochs(A_PASSES))
    await make_run(tmp_path, "other", _all_epochs(A_PASSES), task="t-other")
    runs = [load_stored_run(n, tmp_path / "runs") for n in ("run-a", "other")]
    with pytest.raises(AgentbenchError, match="different tasks") as info:
        compare_runs(runs)
    assert info.value.fix == "compare runs of the same task"

    b = load_stored_run("run-a", tmp_path / "runs")
    b.name = "shifted"
    b.episodes = {(t, s, e + 5): v for (t, s, e), v in b.episodes.items()}
    with pytest.raises(AgentbenchError, match="share no scored"):
        compare_runs([runs[0], b])


def test_statuses_count_as_in_the_metrics() -> None:
    def ep(sid: str, status: str, passed: bool | None = None) -> EpisodeResult:
        score = Score.of(passed) if passed is not None else None
        return EpisodeResult(
            run_id="r", task="t", sample_id=sid, epoch=0, model="m", status=status, score=score
        )

    a = StoredRun.from_results(
        "a",
        [ep("s1", "ok", True), ep("s2", "error"), ep("s3", "infra_error"), ep("s4", "ok", True)],
    )
    b = StoredRun.from_results(
        "b",
        [ep("s1", "ok", False), ep("s2", "ok", True), ep("s3", "ok", True), ep("s4", "cancelled")],
    )
    assert set(a.episodes) == {("t", "s1", 0), ("t", "s2", 0), ("t", "s4", 0)}
    overall = compare_pair(a, b)["overall"]
    # Shared: s1 (A passed, B failed) and s2 (A errored = failed, B passed); s3, s4 left out.
    assert overall["episodes"] == 2
    assert (overall["mcnemar"]["a_only_passed"], overall["mcnemar"]["b_only_passed"]) == (1, 1)
    assert overall["difference"] == 0.0


async def test_the_html_report_carries_the_comparison(tmp_path: Path) -> None:
    from agentbench._cli_report import report as report_cmd

    await make_run(tmp_path, "run-a", _all_epochs(A_PASSES))
    await make_run(tmp_path, "run-b", _all_epochs(B_PASSES))
    out = tmp_path / "a.html"
    runs_root = str(tmp_path / "runs")
    args = ["run-a", "--html", "-o", str(out), "--compare", "run-b", "--run-dir", runs_root]
    result = CliRunner().invoke(report_cmd, args)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    section = page[
        page.index("<h2>Comparison</h2>") : page.index("</table>", page.index("<h2>Comparison"))
    ]
    assert "run-a vs run-b" in section
    assert "<td>0.7500</td><td>0.5000</td><td>+0.2500</td>" in section
    assert "<td>0.1797</td><td>7 / 2</td>" in section  # McNemar, exact, and the discordant pairs
    assert "subset odd" in section and "<td>3 / 1</td>" in section

    plain = CliRunner().invoke(report_cmd, ["run-a", "--compare", "run-b", "--run-dir", runs_root])
    assert plain.exit_code != 0 and "add --html" in str(plain.exception)
