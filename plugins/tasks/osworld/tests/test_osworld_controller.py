"""The host side of the desktop controller and the task options, against a fake sandbox."""

from __future__ import annotations

import json

import pytest
from agentbench_osworld.controller import ControllerError, DesktopController, vm_path
from agentbench_osworld.task import OSWorldTask

from agentbench import ConfigError, ExecResult, InfrastructureError, Sandbox, SandboxSpec


class FakeSandbox(Sandbox):
    def __init__(self, replies: list[ExecResult]) -> None:
        super().__init__(SandboxSpec(image="desktop"))
        self.replies = replies
        self.calls: list[tuple[list[str], object]] = []
        self.files: dict[str, bytes] = {}

    async def exec(self, cmd, *, timeout=None, input=None, cwd=None, env=None, user=None):
        self.calls.append((list(cmd), input))
        return self.replies.pop(0)

    async def read_file(self, path, *, binary=False):
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]

    async def write_file(self, path, content):
        self.files[path] = content if isinstance(content, bytes) else content.encode()


def ok(payload: dict) -> ExecResult:
    return ExecResult(exit_code=0, stdout="some noise\n" + json.dumps(payload) + "\n")


async def test_commands_send_json_and_read_the_last_json_line():
    box = FakeSandbox([ok({"status": "success", "output": "hi\n", "error": "", "returncode": 0})])
    answer = await DesktopController(box).execute("echo hi", shell=True)
    assert answer["output"] == "hi\n"
    argv, stdin = box.calls[0]
    assert argv[:2] == ["desktopctl", "exec"] and json.loads(argv[2])["command"] == "echo hi"
    assert stdin is None


async def test_long_code_travels_on_stdin():
    box = FakeSandbox([ok({"status": "success", "returncode": 0})])
    await DesktopController(box).run_python("x = 1\n" * 3000)
    argv, stdin = box.calls[0]
    assert argv == ["desktopctl", "python", "-"]
    assert isinstance(stdin, str) and json.loads(stdin)["code"].startswith("x = 1")


async def test_screenshot_is_read_back_as_png_bytes():
    box = FakeSandbox([ok({"status": "success", "path": "/tmp/agentbench-desktop/screenshot.png"})])
    box.files["/tmp/agentbench-desktop/screenshot.png"] = b"\x89PNG..."
    assert await DesktopController(box).screenshot() == b"\x89PNG..."


async def test_controller_failures_are_reported():
    box = FakeSandbox([ExecResult(exit_code=1, stderr="Traceback: boom")])
    with pytest.raises(ControllerError, match="boom"):
        await DesktopController(box).screen_size()
    missing = FakeSandbox([ExecResult(exit_code=127, stderr="desktopctl: not found")])
    with pytest.raises(InfrastructureError, match="no desktop controller"):
        await DesktopController(missing).start()
    failed = FakeSandbox([ok({"status": "error", "message": "no display"})])
    with pytest.raises(ControllerError, match="no display"):
        await DesktopController(failed).accessibility_tree()


async def test_files_use_the_desktop_users_home():
    box = FakeSandbox([])
    controller = DesktopController(box)
    await controller.write_file("~/Desktop/a.txt", b"x")
    assert box.files == {"/home/user/Desktop/a.txt": b"x"}
    assert await controller.get_file("~/Desktop/a.txt") == b"x"
    assert await controller.get_file("~/missing") is None
    assert vm_path("~") == "/home/user" and vm_path("/etc/x") == "/etc/x"


def test_options_take_comma_separated_lists_and_reject_unknown_keys():
    task = OSWorldTask({"domains": "settings,files", "assets": "/a,/b"})
    assert task.options.assets == ["/a", "/b"]
    assert {s.subset for s in task.samples()} == {"settings", "files"}
    with pytest.raises(ConfigError, match="bogus"):
        OSWorldTask({"bogus": 1})
    with pytest.raises(ConfigError, match="action_space"):
        OSWorldTask({"action_space": "voice"})
