"""`agentbench audit`: mutants of the reference through the task's own checker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentbench._audit.mutants import OPERATORS, mutants, normalise
from agentbench._cli_trust import audit as audit_cmd
from agentbench.audit import NotAuditable, load_audit, run_audit, split_reference

SOURCE = '''
def clamp_sum(xs, limit):
    """Sum xs, never above limit."""
    total = 0
    for x in xs:
        if x > 0 and not x == 13:
            total += x * 1
    return min(total, limit)
'''

# Two HumanEval Pro style records (the upstream file format). Record "strong" is tested on many
# inputs; record "weak" only checks that the function returns a list, which nearly any mutant
# does.
RECORDS = [
    {
        "id": "strong",
        "raw_problem": '\n\ndef double(x: int) -> int:\n    """ Return 2 * x. """\n',
        "raw_solution": "    return x * 2\n",
        "new_problem": "# The doubles of the positive items, in order.\ndef pos_doubles(xs):\n",
        "new_solution": "    return [double(x) for x in xs if x > 0]\n\n",
        "test_code": (
            "\nassert pos_doubles([3, -1, 0, 5]) == [6, 10]\nassert pos_doubles([]) == []\n"
            "assert pos_doubles([1]) == [2]\nassert pos_doubles([-2, 2]) == [4]"
        ),
    },
    {
        "id": "weak",
        "raw_problem": '\n\ndef double(x: int) -> int:\n    """ Return 2 * x. """\n',
        "raw_solution": "    return x * 2\n",
        "new_problem": "# The doubles of the positive items, in order.\ndef pos_doubles(xs):\n",
        "new_solution": "    return [double(x) for x in xs if x > 0]\n\n",
        "test_code": "\nassert isinstance(pos_doubles([3, -1]), list)",
    },
]


def test_every_operator_makes_mutants_that_differ_by_one_change() -> None:
    found = mutants(SOURCE)
    assert {m.operator for m in found} == set(OPERATORS)
    texts = [m.source for m in found]
    assert len(texts) == len(set(texts))  # no duplicates
    original = normalise(SOURCE)
    assert original not in texts
    by_desc = {m.description for m in found}
    assert "line 6: > -> >=" in by_desc
    assert "line 6: and -> or" in by_desc
    assert "line 6: 13 -> 14" in by_desc
    assert "line 6: if condition negated" in by_desc
    assert "line 7: statement removed: total += x * 1" in by_desc
    assert "line 8: return value -> None" in by_desc
    for m in found:
        compile(m.source, "<mutant>", "exec")
        assert m.diff.startswith("--- reference\n+++ mutant\n")
        changed = [
            line for line in m.diff.splitlines()[2:] if line[:1] in "+-" and line[:3] != "@@ "
        ]
        if m.operator == "remove":  # a whole statement (a loop with its body) becomes `pass`
            assert changed[-1].replace(" ", "") == "+pass" and len(changed) >= 2, m.diff
        else:
            assert len(changed) == 2, m.diff  # one line out, one line in
    # A limit keeps some of every operator (round robin), not the first sites only.
    assert {m.operator for m in mutants(SOURCE, limit=len(OPERATORS))} == set(OPERATORS)


def test_references_are_split_at_their_fenced_block() -> None:
    code, rebuild = split_reference("Here:\n```python\nx = 1\n```\ndone")
    assert code == "x = 1\n"
    assert rebuild("x = 2\n") == "Here:\n```python\nx = 2\n```\ndone"
    code, rebuild = split_reference(["```python\ny = 1\n```"] * 3)
    assert rebuild("y = 0\n") == ["```python\ny = 0\n```"] * 3
    assert split_reference("z = 3\n")[0] == "z = 3\n"
    for bad in (None, ["a", "b"], {"tag": "x"}):
        with pytest.raises(NotAuditable):
            split_reference(bad)


async def test_the_audit_flags_a_sample_with_deliberately_weak_tests(tmp_path: Path) -> None:
    data = tmp_path / "weak.json"
    data.write_text(json.dumps(RECORDS))
    report = await run_audit(
        "humaneval-pro",
        task_options={"data": str(data)},
        sandbox="local",
        run_dir=tmp_path / "runs",
    )
    samples = report["samples"]
    assert samples["strong"]["control"] and samples["weak"]["control"]
    assert report["broken_references"] == {}
    assert samples["weak"]["rate"] > 0.5, samples["weak"]
    assert samples["strong"]["rate"] < samples["weak"]["rate"]
    assert report["weak_samples"][0] == "weak"
    assert report["weakest"][0] == "weak"
    survivor = samples["weak"]["survivors"][0]
    assert survivor["diff"].startswith("--- reference") and survivor["operator"] in OPERATORS
    assert report["mutants"] == samples["strong"]["mutants"] + samples["weak"]["mutants"]

    # The audit is a run: its store reads back the same figures, and --resume finds all done.
    again = load_audit(report["run_dir"])
    assert again["survived"] == report["survived"]
    resumed = await run_audit(
        "humaneval-pro",
        task_options={"data": str(data)},
        sandbox="local",
        run_dir=tmp_path / "runs",
        resume=report["run_id"],
    )
    assert resumed["mutants"] == report["mutants"]


async def test_a_broken_reference_is_listed_as_a_benchmark_defect(tmp_path: Path) -> None:
    broken = [{**RECORDS[0], "id": "bad", "test_code": "\nassert pos_doubles([1]) == [3]"}]
    data = tmp_path / "bad.json"
    data.write_text(json.dumps(broken))
    report = await run_audit(
        "humaneval-pro",
        task_options={"data": str(data)},
        sandbox="local",
        max_mutants=3,
        run_dir=tmp_path / "runs",
    )
    assert "bad" in report["broken_references"]
    assert "assertion" in report["broken_references"]["bad"]
    assert report["mutants"] == 0 and report["false_positive_rate"] is None


def test_the_command_prints_the_surviving_mutants(tmp_path: Path) -> None:
    data = tmp_path / "weak.json"
    data.write_text(json.dumps(RECORDS[1:]))
    args = ["humaneval-pro", "-T", f"data={data}", "--sandbox", "local"]
    result = CliRunner().invoke(audit_cmd, [*args, "--run-dir", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "mutants pass the checker" in result.output
    assert "weak samples: weak" in result.output
    assert "--- reference" in result.output

    page_path = tmp_path / "audit.html"
    html = ["--html", str(page_path), "--resume", _audit_id(tmp_path / "runs")]
    again = CliRunner().invoke(audit_cmd, [*args, "--run-dir", str(tmp_path / "runs"), *html])
    assert again.exit_code == 0, again.output
    page = page_path.read_text()
    assert "<h1>agentbench audit: humaneval-pro</h1>" in page
    samples = page[page.index('<table id="samples">') :]
    assert "<td>weak</td><td>passes</td>" in samples
    assert page.count("<h3>weak, mutant ") == page.count("<h3>")  # every surviving diff shown
    assert "<pre>--- reference" in page and "<script" not in page  # escaped, inert


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("task", ["humaneval-pro", "mbpp-pro", "bigcodebench-lite-pro"])
async def test_the_audit_over_the_demo_samples_in_docker(
    task: str, tmp_path: Path, docker_client, python_image
) -> None:
    report = await run_audit(
        task, task_options={"data": "demo"}, sandbox="docker", run_dir=tmp_path / "runs"
    )
    assert report["broken_references"] == {}, report["broken_references"]
    assert report["mutants"] > 20
    assert report["false_positive_rate"] < 0.5
    assert report["left_out"] == 0


def _audit_id(runs: Path) -> str:
    (only,) = [p.name for p in runs.iterdir() if p.is_dir()]
    return only
