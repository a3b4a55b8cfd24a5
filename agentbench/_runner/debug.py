"""`agentbench debug`: one episode with every event printed as it happens, then its score.

The episode is recorded in a run directory like any other (so `agentbench report` shows it and
its artifacts, such as screenshots, are on disk). Afterwards the sandbox is kept alive when the
backend can keep one (`SandboxBackend.keep`), and its `describe()` line says how to get in.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import time
from itertools import islice
from pathlib import Path
from typing import IO, Any

from agentbench._runner.environment import LazyBackend, build_models, build_task, episode_env
from agentbench._runner.episode import EpisodeRecord, run_one_episode
from agentbench._runner.planning import check_samples, iter_selected
from agentbench._runner.runner import make_run_id, summarise_stored_run
from agentbench._runner.store import Store
from agentbench.errors import ConfigError
from agentbench.model import parse_model_ref
from agentbench.plugins import Registry, load_plugins
from agentbench.types import RunConfig

MAX_OUTPUT_CHARS = 2000
# Control characters other than newline and tab, shown escaped: sandbox output could otherwise
# move the cursor, erase lines or retitle the terminal (e.g. print a fake "PASSED").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with terminal control characters made visible (ESC as \\x1b)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _clip(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    text = text.rstrip("\n")
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


class EventPrinter:
    """Formats transcript events for a person watching an episode, one block per event."""

    def __init__(self, out: IO[str] | None = None, *, sandbox_line: bool = True) -> None:
        self.out = out or sys.stdout
        self.sandbox_line = sandbox_line  # debug prints the (final) way in once, at the end

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "?")
        body = getattr(self, f"_fmt_{kind}", self._fmt_other)(event)
        print(visible(f"[{event.get('t', 0):7.2f}s] {body}"), file=self.out, flush=True)

    def _fmt_model(self, e: dict[str, Any]) -> str:
        lines = [f"model {e.get('model', '')}{' (cached)' if e.get('cached') else ''}"]
        for item in e.get("input") or []:
            last = item.get("last") or {}
            if last and last.get("role") != "assistant":
                lines.append(
                    f"  >> {last.get('role')}: "
                    + _clip(str(last.get("text", ""))).replace("\n", "\n     ")
                )
        out = e.get("output") or {}
        lines.append("  << assistant: " + _clip(str(out.get("text", ""))).replace("\n", "\n     "))
        for call in out.get("tool_calls") or []:
            args = json.dumps(call.get("arguments"), default=str)
            lines.append(f"  << tool call {call.get('name')}({args})")
        usage = e.get("usage") or {}
        if usage:
            lines.append(
                f"  tokens in {usage.get('input_tokens', 0)} out {usage.get('output_tokens', 0)}"
            )
        return "\n".join(lines)

    def _fmt_exec(self, e: dict[str, Any]) -> str:
        cmd = e.get("cmd")
        cmd_text = cmd if isinstance(cmd, str) else shlex.join(map(str, cmd or []))
        status = f"exit {e.get('exit_code')}" + (" TIMED OUT" if e.get("timed_out") else "")
        lines = [f"$ {_clip(cmd_text, 500)}   -> {status} ({e.get('duration_s', 0)}s)"]
        for stream in ("stdout", "stderr"):
            if e.get(stream):
                lines.append(f"  {stream}:\n" + _indent(_clip(e[stream])))
        return "\n".join(lines)

    def _fmt_sandbox(self, e: dict[str, Any]) -> str:
        files = e.get("files") or []
        placed = f" ({len(files)} files placed: {', '.join(files[:8])}" if files else ""
        placed += (", ..." if len(files) > 8 else "") + (")" if files else "")
        if not self.sandbox_line:
            return "sandbox ready" + placed
        return f"sandbox: {e.get('description')}{placed}"

    def _fmt_file(self, e: dict[str, Any]) -> str:
        return f"wrote {e.get('path')} ({e.get('bytes', '?')} bytes)"

    def _fmt_score(self, e: dict[str, Any]) -> str:
        return f"score {e.get('value')} passed={e.get('passed')}: {e.get('explanation', '')}"

    def _fmt_error(self, e: dict[str, Any]) -> str:
        head = f"error in {e.get('stage', '?')}: {e.get('error', '')}"
        tb = e.get("traceback")
        return head + ("\n" + _indent(str(tb).rstrip()) if tb else "")

    def _fmt_other(self, e: dict[str, Any]) -> str:
        rest = {k: v for k, v in e.items() if k not in ("type", "t")}
        return f"{e.get('type')} " + _clip(json.dumps(rest, default=str))


async def debug_episode(
    config: RunConfig,
    *,
    epoch: int = 0,
    keep: str = "on-fail",
    registry: Registry | None = None,
    out: IO[str] | None = None,
) -> EpisodeRecord:
    """Run the one sample `config.sample_ids[0]` names, printing every event live.

    Args:
        config: The run settings (task, model, options, limits); `sample_ids` names one sample.
        epoch: The epoch number the episode gets.
        keep: Keep the sandbox afterwards (when the backend can): "always", "on-fail" (when
            the episode did not pass), or "never".
        registry: Loaded plugins (loaded from `config.plugins` when None).
        out: Where to print (stdout by default).

    Raises:
        ConfigError: the id matches no sample, or several.
    """
    out = out or sys.stdout
    registry = registry or load_plugins(config.plugins)
    task = build_task(registry, config.task, config.task_options)
    registry.provider(parse_model_ref(config.model)[0])
    selection = check_samples(task.samples(), sample_ids=config.sample_ids)
    if selection.count != 1 or selection.first is None:
        first = [s.id for s in islice(iter_selected(task.samples(), selection), 5)]
        ids = ", ".join(first) + (", ..." if selection.count > 5 else "")
        raise ConfigError(
            f"--sample-id matches {selection.count} samples ({ids})", "give one exact sample id"
        )
    sample = selection.first
    run_id = config.run_name or "debug-" + make_run_id(config.task, config.model)
    run_dir = Path(config.run_dir) / run_id
    models = build_models(registry, config, task)
    backend = LazyBackend(registry, config.sandbox, run_id, config.sandbox_options)
    env = episode_env(config, run_id, task, models, backend, run_dir)
    print(
        f"debug {config.task} sample {sample.id} epoch {epoch} with {config.model} (run {run_id})",
        file=out,
        flush=True,
    )
    started = time.monotonic()
    try:
        record = await run_one_episode(
            env,
            sample,
            epoch,
            listeners=[EventPrinter(out, sandbox_line=False)],
            keep_sandbox=keep != "never",
        )
        with Store(run_dir) as store:
            store.create_run(run_id, config)
            store.record(record.result, record.events, record.artifacts, record.records)
            summary = summarise_stored_run(
                store, task, config, run_id, run_dir, expected=1, epochs=1,
                duration_s=round(time.monotonic() - started, 3),
            )  # fmt: skip
            store.finish_run(run_id, summary)
        _print_result(record, out)
        if keep == "always" or (keep == "on-fail" and not record.result.passed):
            await _keep(backend, record, out)
        elif record.sandbox is not None:
            real = await backend()
            await real.release(record.sandbox, reusable=False)
            print(f"sandbox removed (--keep {keep})", file=out, flush=True)
    finally:
        for model in {id(m): m for m in models.values()}.values():
            await model.aclose()
        await backend.aclose()  # a kept sandbox is left out by the backend
    return record


def _print_result(record: EpisodeRecord, out: IO[str]) -> None:
    result = record.result
    print("-" * 60, file=out)
    if result.score is not None:
        verdict = "PASSED" if result.passed else "FAILED"
        note = "" if result.status == "ok" else "  (scored after hitting a limit)"
        print(f"{verdict}  score {result.score.value:g}{note}", file=out)
        if result.score.explanation:
            print(visible(_indent(result.score.explanation, "  ")), file=out)
    else:
        print(visible(f"{result.status.upper()}: {result.error}"), file=out)
    print(
        f"steps {result.steps}  tokens {result.usage.total_tokens}  {result.duration_s:.2f}s",
        file=out,
        flush=True,
    )


def _removal(sandbox: Any) -> str:
    """How to remove a kept sandbox."""
    root = getattr(sandbox, "root", None)
    if root is not None:
        return f"remove it with `rm -r {shlex.quote(str(root))}`"
    if "docker" in sandbox.describe():
        return "remove it with `agentbench sandbox prune`"
    return "remove it with its backend's own cleanup"


async def _keep(backend: LazyBackend, record: EpisodeRecord, out: IO[str]) -> bool:
    """Ask the backend to keep the episode's sandbox; print how to get in, or release it."""
    sandbox = record.sandbox
    if sandbox is None:
        return False
    real = await backend()
    if await real.keep(sandbox):
        print(
            "sandbox kept alive (every process the episode left was stopped; its files are "
            f"there): {sandbox.describe()}\n  {_removal(sandbox)}",
            file=out,
            flush=True,
        )
        return True
    print(f"sandbox closed ({type(real).__name__} cannot keep one alive)", file=out, flush=True)
    await real.release(sandbox, reusable=False)
    return False
