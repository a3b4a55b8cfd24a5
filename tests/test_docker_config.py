"""How a SandboxSpec becomes container settings (no engine needed)."""

from __future__ import annotations

from agentbench._sandboxes.docker.container import EXECUTOR_CAPS, create_kwargs, writable_dirs
from agentbench.sandbox import SandboxSpec

LABELS = {"agentbench.run": "run-1"}


def test_defaults_lock_the_container_down():
    spec = SandboxSpec(memory_mb=512, cpus=1.5, pids=100, disk_mb=128)
    kw = create_kwargs(spec, "agentbench/python:latest", LABELS, executor=True)
    assert kw["network_mode"] == "none" and kw["read_only"] and kw["user"] == "0"
    assert kw["mem_limit"] == kw["memswap_limit"] == "512m"
    assert kw["nano_cpus"] == 1_500_000_000 and kw["pids_limit"] == 100
    assert kw["cap_drop"] == ["ALL"] and kw["cap_add"] == EXECUTOR_CAPS
    assert kw["security_opt"] == ["no-new-privileges:true"] and kw["init"]
    assert set(kw["tmpfs"]) == {"/work", "/tmp", "/home/sandbox"}
    assert [kw["tmpfs"][p].split("size=")[1].split(",")[0] for p in ("/work", "/tmp")] == [
        "64m",
        "32m",
    ]
    assert kw["stdin_open"] and not kw["detach"]  # StdinOnce: the executor ends with its runner
    assert kw["labels"] == LABELS and kw["name"].startswith("agentbench-run-1-")
    assert "def op_exec" in kw["environment"]["AGENTBENCH_EXECUTOR"]
    assert "def op_exec" not in " ".join(kw["command"])  # `ps` in the sandbox stays short


def test_writable_mounts_add_up_to_less_than_the_memory_limit():
    # tmpfs pages are memory: filling every mount must leave room for the executor.
    for memory, disk in [(1024, 512), (1024, None), (512, 4096), (256, 64), (8192, 2048)]:
        spec = SandboxSpec(memory_mb=memory, disk_mb=disk)
        kw = create_kwargs(spec, "agentbench/python:latest", LABELS, executor=True)
        sizes = [int(o.split("size=")[1].split("m,")[0]) for o in kw["tmpfs"].values()]
        total = sum(sizes) + int(kw["shm_size"].rstrip("m"))
        assert total <= memory - max(128, memory // 4) + 8, (memory, disk, total)
        assert total <= (disk or memory) + 8


def test_network_and_loosening_options_for_images_that_need_them():
    options = {
        "read_only": "false",
        "no_new_privileges": False,
        "cap_add": ["AUDIT_WRITE", "KILL"],
        "shm_size": "256m",
    }
    spec = SandboxSpec(network=True, user="user", workdir="/home/user", options=options)
    kw = create_kwargs(spec, "agentbench/desktop:latest", LABELS, executor=True)
    assert kw["network_mode"] == "bridge" and kw["read_only"] is False
    assert kw["security_opt"] == [] and kw["cap_add"] == [*EXECUTOR_CAPS, "AUDIT_WRITE"]
    assert kw["shm_size"] == "256m"
    assert [d["path"] for d in writable_dirs(spec)] == ["/tmp", "/dev/shm", "/home/user"]


def test_without_executor_the_container_only_idles():
    kw = create_kwargs(SandboxSpec(user=None), "debian:bookworm-slim", LABELS, executor=False)
    assert kw["command"][0] == "sleep" and kw["environment"] == {} and not kw["stdin_open"]
    assert set(kw["tmpfs"]) == {"/work", "/tmp"}
