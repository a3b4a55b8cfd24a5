"""Evaluator semantics, metrics, setup steps and task loading against a fake desktop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agentbench_osworld.data import load_solution, load_tasks
from agentbench_osworld.evaluator import EvaluatorError, evaluate
from agentbench_osworld.getters import EvalEnv
from agentbench_osworld.metrics import METRICS
from agentbench_osworld.metrics.table import compare_table
from agentbench_osworld.setup import SetupEnv, SetupError, asset_candidates, run_steps, substitute
from agentbench_osworld.task import OSWorldTask

from agentbench import DataError

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"


class FakeDesktop:
    """Answers controller calls from dicts: command outputs and files."""

    def __init__(
        self, outputs: dict[str, str] | None = None, files: dict[str, bytes] | None = None
    ) -> None:
        self.outputs = outputs or {}
        self.files = files or {}
        self.calls: list[tuple[str, Any]] = []

    async def execute(self, command, shell=False, timeout=120, input=None):
        self.calls.append(("execute", command))
        key = command if isinstance(command, str) else " ".join(command)
        return {
            "status": "success",
            "output": self.outputs.get(key, ""),
            "error": "",
            "returncode": 0,
        }

    async def get_file(self, path):
        return self.files.get(path)

    async def write_file(self, path, data):
        self.calls.append(("write_file", path))
        self.files[path] = data

    async def list_directory(self, path):
        return {"type": "directory", "name": "x", "children": [{"type": "file", "name": "a.jpg"}]}

    async def launch(self, command, shell=False):
        self.calls.append(("launch", command))
        return {"status": "success"}


def envs(
    tmp_path: Path, desktop: FakeDesktop, actions: list[Any], assets: list[Path] | None = None
):
    return EvalEnv(desktop, tmp_path, actions), SetupEnv(
        desktop, cache_dir=tmp_path, assets=assets or []
    )  # type: ignore[arg-type]


async def test_infeasible_scores_one_only_when_the_last_action_is_fail(tmp_path):
    desktop = FakeDesktop()
    for actions, expected in (
        (["FAIL"], 1.0),
        (["DONE"], 0.0),
        ([], 0.0),
        (["FAIL", "DONE"], 0.0),
        ([{"action_type": "FAIL"}], 1.0),
    ):
        verdict = await evaluate({"func": "infeasible"}, *envs(tmp_path, desktop, actions))
        assert verdict.score == expected, actions


async def test_fail_on_a_feasible_task_scores_zero_even_if_the_check_would_pass(tmp_path):
    desktop = FakeDesktop({"echo hi": "hi\n"})
    evaluator = {
        "func": "exact_match",
        "result": {"type": "vm_command_line", "command": "echo hi", "shell": True},
        "expected": {"type": "rule", "rules": {"expected": "hi\n"}},
    }
    assert (await evaluate(evaluator, *envs(tmp_path, desktop, ["DONE"]))).score == 1.0
    assert (await evaluate(evaluator, *envs(tmp_path, desktop, ["FAIL"]))).score == 0.0


async def test_postconfig_runs_before_the_getters(tmp_path):
    desktop = FakeDesktop()
    evaluator = {
        "postconfig": [
            {"type": "execute", "parameters": {"command": "touch /tmp/p", "shell": True}}
        ],
        "func": "check_include_exclude",
        "result": {"type": "vm_command_line", "command": "ls", "shell": True},
        "expected": {"type": "rule", "rules": {"include": []}},
    }
    await evaluate(evaluator, *envs(tmp_path, desktop, []))
    assert [c[1] for c in desktop.calls] == ["touch /tmp/p", "ls"]


async def test_conj_and_or_combine_several_metrics(tmp_path):
    desktop = FakeDesktop({"a": "yes", "b": "no"})
    evaluator: dict[str, Any] = {
        "func": ["exact_match", "exact_match"],
        "result": [
            {"type": "vm_command_line", "command": "a"},
            {"type": "vm_command_line", "command": "b"},
        ],
        "expected": [
            {"type": "rule", "rules": {"expected": "yes"}},
            {"type": "rule", "rules": {"expected": "yes"}},
        ],
    }
    assert (await evaluate(evaluator, *envs(tmp_path, desktop, []))).score == 0.0
    evaluator["conj"] = "or"
    assert (await evaluate(evaluator, *envs(tmp_path, desktop, []))).score == 1.0


async def test_unknown_metric_is_an_evaluator_error(tmp_path):
    with pytest.raises(EvaluatorError, match="no_such_metric"):
        await evaluate(
            {"func": "no_such_metric", "result": {"type": "vm_file", "path": "/x", "dest": "x"}},
            *envs(tmp_path, FakeDesktop(), []),
        )


async def test_vm_file_and_text_metrics(tmp_path):
    desktop = FakeDesktop(
        files={
            "/home/user/a.txt": b"Alice\nBob\n",
            "/home/user/log": b"10:00:01 x\n11:02:03 y\nz\n",
        }
    )
    evaluator = {
        "func": "file_contains",
        "result": {"type": "vm_file", "path": "/home/user/a.txt", "dest": "a.txt"},
        "expected": {"type": "rule", "rules": {"expected": ["Alice", "Bob"]}},
    }
    assert (await evaluate(evaluator, *envs(tmp_path, desktop, []))).score == 1.0
    evaluator["result"]["path"] = "/home/user/missing.txt"
    assert (await evaluate(evaluator, *envs(tmp_path, desktop, []))).score == 0.0
    lines = {
        "func": "check_line_number",
        "result": {"type": "vm_file", "path": "/home/user/log", "dest": "log"},
        "expected": {"type": "rule", "rules": {"expected": 2}},
    }
    assert (await evaluate(lines, *envs(tmp_path, desktop, []))).score == 1.0


def test_text_csv_and_os_metrics(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.write_text("x,y\n1,2\n")
    b.write_text("x,y\n1,2\n")
    c.write_text(" X,Y \n1,2\n")
    assert METRICS["compare_text_file"](str(a), str(b)) == 1.0
    assert METRICS["compare_text_file"](str(a), str(c)) == 0.0
    assert METRICS["compare_csv"](str(a), str(c)) == 0.0
    assert METRICS["compare_csv"](str(a), str(c), strict=False, ignore_case=True) == 1.0
    assert METRICS["compare_csv"](str(a), [str(c), str(b)]) == 1.0
    assert (
        METRICS["check_gnome_favorite_apps"](
            "['a.desktop', 'b.desktop']\n", {"expected": ["b.desktop", "a.desktop"]}
        )
        == 1.0
    )
    assert METRICS["check_gnome_favorite_apps"]("['a.desktop']", {"expected": ["b.desktop"]}) == 0.0
    status = (
        "  Local time: x\n  Universal time: y\n  RTC time: z\n  Time zone: Etc/UTC (UTC, +0000)\n"
    )
    assert METRICS["is_utc_0"](status) == 1.0
    assert METRICS["is_utc_0"](status.replace("+0000", "-0500")) == 0.0
    tree = {
        "type": "directory",
        "name": "d",
        "children": [{"type": "file", "name": "1.jpg"}, {"type": "file", "name": "2.jpg"}],
    }
    assert METRICS["check_moved_jpgs"](tree, {"expected": ["2.jpg", "1.jpg"]}) == 1.0
    assert METRICS["check_moved_jpgs"](tree, {"expected": ["1.jpg"]}) == 0.0
    assert (
        METRICS["check_include_exclude"]("43 132", {"include": ["43 132"], "exclude": ["err"]})
        == 1.0
    )
    assert METRICS["check_include_exclude"](None, {"include": []}) == 0.0


def _xlsx(path: Path, rows: list[list[Any]], title: str = "Sheet1") -> str:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return str(path)


def test_compare_table_rules(tmp_path):
    gold = _xlsx(tmp_path / "gold.xlsx", [["n", "v"], ["a", 1.00001], ["b", 2]], "Data")
    same = _xlsx(tmp_path / "same.xlsx", [["n", "v"], ["a", 1], ["b", 2]], "Data")
    other = _xlsx(tmp_path / "other.xlsx", [["n", "v"], ["a", 1], ["b", 3]], "Sheet1")
    data = [{"type": "sheet_data", "sheet_idx0": "RI0", "sheet_idx1": "EI0"}]
    assert compare_table(same, gold, rules=data) == 1.0
    assert compare_table(other, gold, rules=data) == 0.0
    assert compare_table(same, gold, rules=[{"type": "sheet_name"}]) == 1.0
    assert compare_table(other, gold, rules=[{"type": "sheet_name"}]) == 0.0
    cell = [
        {
            "type": "check_cell",
            "sheet_idx": 0,
            "coordinate": "B3",
            "props": {"value": {"method": "eq", "ref": 3}},
        }
    ]
    assert compare_table(other, None, rules=cell) == 1.0
    fuzzy = [
        {
            "type": "sheet_fuzzy",
            "sheet_idx0": "RI0",
            "sheet_idx1": "EI0",
            "rules": [{"range": ["A1:A3"], "type": "exact_match", "ignore_case": True}],
        }
    ]
    assert compare_table(other, gold, rules=fuzzy) == 1.0
    assert compare_table(None, gold, rules=data) == 0.0
    assert compare_table(str(tmp_path / "nope.xlsx"), gold, rules=data) == 0.0


def test_placeholders_are_substituted():
    env = SetupEnv(controller=None, screen=(1920, 1080), password="pw")  # type: ignore[arg-type]
    assert substitute("echo {CLIENT_PASSWORD} | sudo -S x", env) == "echo pw | sudo -S x"
    assert substitute(
        ["click({SCREEN_WIDTH_HALF}, {SCREEN_HEIGHT_HALF})", "{SCREEN_WIDTH}x{SCREEN_HEIGHT}"], env
    ) == ["click(960, 540)", "1920x1080"]


async def test_unsupported_step_types_and_missing_assets_are_setup_errors(tmp_path):
    env = SetupEnv(FakeDesktop(), cache_dir=tmp_path, task_id="abc")  # type: ignore[arg-type]
    with pytest.raises(SetupError, match="update_browse_history"):
        await run_steps([{"type": "update_browse_history", "parameters": {"history": []}}], env)
    url = "https://huggingface.co/datasets/x/cache/resolve/main/os/abc/setup.sh"
    with pytest.raises(SetupError, match=r"as DIR/abc/setup\.sh"):
        await run_steps(
            [{"type": "download", "parameters": {"files": [{"url": url, "path": "setup.sh"}]}}], env
        )


async def test_downloads_come_from_the_assets_folder(tmp_path):
    url = "https://huggingface.co/datasets/x/cache/resolve/main/os/abc/setup.sh"
    assets = tmp_path / "assets"
    (assets / "os" / "abc").mkdir(parents=True)
    (assets / "os" / "abc" / "setup.sh").write_text("echo hi")
    assert "os/abc/setup.sh" in asset_candidates(url, "setup.sh")
    desktop = FakeDesktop()
    await run_steps(
        [
            {"type": "download", "parameters": {"files": [{"url": url, "path": "setup.sh"}]}},
            {"type": "execute", "parameters": {"command": "ls", "shell": True, "stdout": "ls.out"}},
        ],
        SetupEnv(desktop, cache_dir=tmp_path, assets=[assets]),
    )  # type: ignore[arg-type]
    assert desktop.files["setup.sh"] == b"echo hi"
    assert (tmp_path / "ls.out").exists()


def test_upstream_task_files_load_as_they_are():
    tasks = load_tasks(UPSTREAM)
    assert [t.domain for t in tasks] == ["os"] * 5
    by_id = {t.id: t for t in tasks}
    assert by_id["a462a795-fdc7-4b23-b689-e8b6df786b78"].config["evaluator"]["func"] == "infeasible"
    assert load_tasks(UPSTREAM, domains=["chrome"]) == []


def test_bad_task_folders_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_tasks(tmp_path / "nope")
    (tmp_path / "os").mkdir()
    (tmp_path / "os" / "x.json").write_text("{not json")
    with pytest.raises(DataError, match="malformed JSON"):
        load_tasks(tmp_path)
    (tmp_path / "os" / "x.json").write_text(json.dumps({"id": "x", "instruction": "i"}))
    with pytest.raises(DataError, match="evaluator"):
        load_tasks(tmp_path)
    (tmp_path / "idx.json").write_text(json.dumps({"os": ["y"]}))
    with pytest.raises(DataError, match="missing"):
        load_tasks(tmp_path, index="idx.json")


def test_bundled_tasks_each_have_a_solution_and_known_metrics():
    task = OSWorldTask()
    samples = task.samples()
    assert len(samples) >= 12
    assert {s.subset for s in samples} >= {"terminal", "files", "settings", "text", "spreadsheet"}
    for sample in samples:
        file = task.task_file(sample)
        assert load_solution(file), sample.id
        funcs = file.config["evaluator"]["func"]
        for func in funcs if isinstance(funcs, list) else [funcs]:
            assert func == "infeasible" or func in METRICS, (sample.id, func)
    spec = task.sandbox_spec(samples[0])
    assert spec.image == "desktop" and spec.user == "user" and not spec.network
