"""Real desktop containers: the bundled tasks pass with their scripted solutions and fail with the
null model; the upstream `os` tasks run and score right. Needs the agentbench/desktop image.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from agentbench_osworld.task import OSWorldTask

from agentbench.testing import run_episode

pytestmark = pytest.mark.docker

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"
BUNDLED_IDS = [s.id for s in OSWorldTask().samples()]
FAST = {"settle_seconds": 0.2}


def _terminal_code(*commands: str, open_terminal: bool = True) -> str:
    """A scripted agent response: open a terminal (waiting for its focus) and type commands."""
    lines = ["import subprocess"]
    if open_terminal:
        lines.append("pyautogui.hotkey('ctrl', 'alt', 't')")
    lines += [
        "for _ in range(150):",
        "    time.sleep(0.2)",
        "    run = lambda *a: subprocess.run(a, capture_output=True, text=True).stdout",
        "    win = run('xdotool', 'getactivewindow').strip()",
        "    if win and 'terminal' in run('xprop', '-id', win, 'WM_CLASS').lower():",
        "        break",
        # Keys typed before the terminal's shell runs can be lost: wait for a bash on a pty.
        "for _ in range(100):",
        "    if run('sh', '-c', 'ps -eo tty=,comm= | grep -Eq \"^pts/[0-9]+ +bash\" && echo ok'):",
        "        break",
        "    time.sleep(0.1)",
        "time.sleep(0.5)",
    ]
    for command in commands:
        lines += [
            f"pyautogui.write({command!r}, interval=0.01)",
            "pyautogui.press('enter')",
            "time.sleep(1)",
        ]
    return "```python\n" + "\n".join(lines) + "\n```"


NO_SUDO = (
    "the docker backend keeps no-new-privileges, so sudo cannot work in the desktop sandbox "
    "(SandboxSpec.options no_new_privileges=False is not supported yet)"
)


def _sudo_ok(run) -> bool:
    return all(e.get("sudo", True) for e in run.events_of("desktop_started"))


def _xfail_without_sudo(run) -> None:
    if not _sudo_ok(run):
        pytest.xfail(NO_SUDO)


async def _run(sample_id: str, model: Any, **options: Any):
    task = OSWorldTask({**FAST, **options})
    return await run_episode(
        task, sample_id=sample_id, model=model, sandbox="docker", raise_errors=False
    )


async def _run_all(model: Any, **options: Any) -> dict[str, Any]:
    """Every bundled task, three episodes at a time (each in its own container)."""
    semaphore = asyncio.Semaphore(3)

    async def one(sample_id: str):
        async with semaphore:
            return sample_id, await _run(sample_id, model, **options)

    return dict(await asyncio.gather(*(one(i) for i in BUNDLED_IDS)))


async def test_bundled_tasks_pass_with_their_scripted_solutions():
    runs = await _run_all("oracle")
    if any(not _sudo_ok(run) for run in runs.values()):
        pytest.xfail(NO_SUDO)
    failed = {sid: run.explanation for sid, run in runs.items() if not run.passed}
    assert failed == {}
    for run in runs.values():
        artifacts = [e["name"] for e in run.events_of("artifact")]
        assert "step_000.png" in artifacts and "final.png" in artifacts


async def test_bundled_tasks_fail_with_the_null_model():
    runs = await _run_all("null", max_steps=1)
    assert [sid for sid, run in runs.items() if run.passed] == []
    errors = {sid: run.result.error for sid, run in runs.items() if run.result.status != "ok"}
    assert errors == {}


async def test_computer_13_actions_with_the_accessibility_tree_observation():
    sample_id = "make-project-folders"
    steps = [
        '```json\n{"action_type": "HOTKEY", "keys": ["ctrl", "alt", "t"]}\n```',
        "```WAIT```",
        '```json\n{"action_type": "TYPING", "text": "mkdir -p ~/Documents/projects/2023 '
        '~/Documents/projects/2024"}\n```\n```json\n{"action_type": "PRESS", "key": "enter"}\n```',
        '{"action_type": "DONE"}',
    ]
    run = await _run(
        sample_id,
        {sample_id: steps},
        action_space="computer_13",
        observation="screenshot_a11y_tree",
    )
    assert run.passed, run.explanation
    prompts = [e["input"][0]["last"]["text"] for e in run.events_of("model")]
    assert prompts[0].startswith("Task:") and "tag\tname\ttext" in prompts[0]
    assert any("\nterminal\t" in p for p in prompts[2:]), "the open terminal is in the tree"
    images = [e["input"][0]["last"].get("images") for e in run.events_of("model")]
    assert images == [1] * len(steps)


# --- upstream OSWorld `os` tasks, read as they are ------------------------------------------

RENAME = "e0df059f-28a6-4169-924f-b9623e7184cc"
INFEASIBLE = "a462a795-fdc7-4b23-b689-e8b6df786b78"
TERMINAL_SIZE = "13584542-872b-42d8-b299-866967b5c3ef"
CHMOD = "4d117223-a354-47fb-8b45-62ab1390a95f"
COPY = "6f56bf42-85b8-4fbb-8e06-6c44960184ba"
PROFILE = (
    "org.gnome.Terminal.Legacy.Profile:/org/gnome/terminal/legacy/profiles:/"
    ":b1dcc9dd-5262-4d8d-a863-c897e6d979b9/"
)


async def _upstream(sample_id: str, model: Any, **options: Any):
    return await _run(sample_id, model, path=str(UPSTREAM), **options)


async def test_upstream_rename_task_scores_one_when_solved_and_zero_when_not():
    solved = await _upstream(
        RENAME,
        [_terminal_code("mv ~/Desktop/todo_list_Jan_1 ~/Desktop/todo_list_Jan_2"), "```DONE```"],
    )
    _xfail_without_sudo(solved)
    assert solved.passed, solved.explanation
    unsolved = await _upstream(RENAME, ["```DONE```"])
    assert unsolved.result.status == "ok" and not unsolved.passed


async def test_upstream_infeasible_task_scores_one_only_on_fail():
    failed = await _upstream(INFEASIBLE, ["The user Charles does not exist.\n```FAIL```"])
    assert failed.score is not None and failed.score.value == 1.0
    done = await _upstream(INFEASIBLE, ["```DONE```"])
    assert done.score is not None and done.score.value == 0.0


async def test_upstream_terminal_size_task_reads_the_terminal_through_accessibility():
    solution = _terminal_code(
        f"gsettings set {PROFILE} default-size-columns 132",
        f"gsettings set {PROFILE} default-size-rows 43",
    )
    solved = await _upstream(TERMINAL_SIZE, [solution, "```DONE```"])
    assert solved.passed, solved.explanation
    unsolved = await _upstream(TERMINAL_SIZE, ["```DONE```"])
    assert unsolved.result.status == "ok" and not unsolved.passed


def _assets(root: Path) -> Path:
    """Our own stand-ins for the two scripts each download task fetches (the asset mapping)."""
    chmod = root / "os" / CHMOD
    chmod.mkdir(parents=True)
    (chmod / "setup.sh").write_text(
        "#!/bin/bash\nmkdir -p testDir/sub\ncd testDir\n"
        "for f in a.txt b.sh sub/c.md; do echo x > $f; done\n"
        "chmod 600 a.txt; chmod 755 b.sh; chmod 640 sub/c.md\n"
    )
    (chmod / "eval.sh").write_text(
        '#!/bin/bash\nif [ -z "$(find ~/testDir -type f ! -perm 644)" ]; then\n'
        "echo 'All files have the correct permissions.';"
        " else echo 'Some files have wrong permissions.'; fi\n"
    )
    copy = root / "os" / COPY
    copy.mkdir(parents=True)
    (copy / "setup.sh").write_text("#!/bin/bash\necho data > file1\nmkdir -p dir1 dir2 dir3\n")
    (copy / "eval.sh").write_text(
        "#!/bin/bash\nfor d in dir1 dir2 dir3; do\n"
        'if [ -f $d/file1 ]; then echo "Success: file1 exists in $d.";'
        ' else echo "Failure: file1 missing in $d."; fi; done\n'
    )
    return root


async def test_upstream_download_tasks_run_with_local_assets(tmp_path):
    assets = str(_assets(tmp_path / "cache"))
    chmod = await _upstream(
        CHMOD,
        [_terminal_code("find . -type f -exec chmod 644 {} +", open_terminal=False), "```DONE```"],
        assets=[assets],
    )
    assert chmod.passed, chmod.explanation
    copy = await _upstream(
        COPY,
        [
            _terminal_code("for d in dir1 dir2 dir3; do cp file1 $d/; done", open_terminal=False),
            "```DONE```",
        ],
        assets=[assets],
    )
    assert copy.passed, copy.explanation
    not_done = await _upstream(COPY, ["```DONE```"], assets=[assets])
    assert not not_done.passed


async def test_upstream_download_task_without_its_asset_is_an_error_for_that_task():
    run = await _upstream(CHMOD, ["```DONE```"])
    assert run.result.status == "error"
    # eval.sh is needed only by the evaluator, and is checked before the desktop starts, so the
    # episode fails before any model call; the fix names the task's own asset folder.
    error = run.result.error or ""
    assert "eval.sh" in error and f"DIR/{CHMOD}/eval.sh" in error
    assert run.events_of("model") == []


async def test_a_run_of_the_upstream_folder_records_per_task_errors_and_goes_on(tmp_path):
    from agentbench import run_async

    summary = await run_async(
        "osworld",
        model="null",
        task_options={"path": str(UPSTREAM), "max_steps": 1, "settle_seconds": 0.2},
        sandbox="docker",
        run_dir=str(tmp_path),
        max_episodes=3,
    )
    assert summary.episodes == 5 and summary.completed == 5
    assert summary.errors == 2  # the two download tasks without their assets
    assert summary.metrics["mean"] == 0.0
