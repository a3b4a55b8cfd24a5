"""The command line: a thin layer over the API.

Start-up must stay fast (`agentbench --help` < 0.3 s): only click and the standard library are
imported here; pydantic, the store, rich and provider SDKs are imported inside the commands.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from agentbench import __version__


def _error_exit(exc: Exception) -> None:
    """Print an AgentbenchError as one line (with its fix) and exit with its code."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(getattr(exc, "exit_code", 2))


# -- option parsing ------------------------------------------------------------------------------

_NUMBER_CHARS = set("0123456789+-.eE_")


def parse_value(text: str) -> Any:
    """A -T/-M/-S value: JSON/YAML-looking scalars and lists are parsed, anything else is a string.

    `true`/`false` become booleans, `null`/`none` None, numbers numbers, `[..]`/`{..}` lists
    and dicts (JSON or YAML flow style); `yes`, `on`, `01` and the like stay strings.
    """
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none", "~"):
        return None
    if low and set(low) <= _NUMBER_CHARS and any(c.isdigit() for c in low):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
    if text.strip()[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            import yaml

            try:
                return yaml.safe_load(text)
            except yaml.YAMLError:
                pass
    return text


def parse_kv(items: tuple[str, ...] | list[str], flag: str) -> dict[str, Any]:
    """`("k=v", "n=3")` -> `{"k": "v", "n": 3}`; a missing `=` is a ConfigError naming the item."""
    from agentbench.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"bad {flag} {item!r}: expected KEY=VALUE", f"write it as {flag} name=value"
            )
        out[key.strip().replace("-", "_")] = parse_value(value)
    return out


# -- the root group --------------------------------------------------------------------------------


class AgentbenchGroup(click.Group):
    """The root group: plugin commands (the built-in `sandbox` group among them, registered like
    any plugin's) are added on first need."""

    _extras_loaded = False

    def _load_extras(self, ctx: click.Context) -> None:
        if self._extras_loaded:
            return
        self._extras_loaded = True
        from agentbench.plugins import load_plugins

        # collect=False: only the plugin modules are imported, not every task and provider.
        root = ctx.find_root()
        registry = load_plugins(root.params.get("plugins") if root.params else None, collect=False)
        if registry.manager is not None:
            registry.manager.hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_extras(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_extras(ctx)
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=AgentbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentbench")
@click.option(
    "--plugins",
    envvar="AGENTBENCH_PLUGINS",
    metavar="LIST",
    help="Plugins to load: 'a,b' only those, '-c' all but c (env AGENTBENCH_PLUGINS).",
)
@click.pass_context
def cli(ctx: click.Context, plugins: str | None) -> None:
    """agentbench: run agentic benchmarks, scored by execution in sandboxes.

    \b
    agentbench run TASK --model PROVIDER/MODEL [-T key=value] [--epochs K]
    agentbench report RUN [--json] [--html]
    agentbench debug TASK --sample-id ID --model M
    agentbench list tasks|models|sandboxes|plugins
    """
    ctx.ensure_object(dict)
    ctx.obj["plugins"] = plugins


def _plugin_spec(ctx: click.Context, params: dict[str, Any] | None = None) -> str | None:
    """The command's own --plugins, else the root's (or AGENTBENCH_PLUGINS)."""
    own = (params or {}).get("plugins")
    return own or (ctx.find_root().obj or {}).get("plugins")


def _registry(ctx: click.Context, params: dict[str, Any] | None = None) -> Any:
    from agentbench.plugins import get_registry

    return get_registry(_plugin_spec(ctx, params))


# -- run -----------------------------------------------------------------------------------------


def _run_options(f: Any) -> Any:
    """Options shared by `run` and `debug` (what the model, task and sandbox get)."""
    options = [
        click.option(
            "--model", "-m", help="Model reference PROVIDER/NAME (e.g. openai/gpt-4o, oracle)."
        ),
        click.option(
            "-T",
            "task_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="Task option (repeatable).",
        ),
        click.option(
            "-M",
            "model_options",
            multiple=True,
            metavar="[ROLE:]KEY=VALUE",
            help="Model provider option (ROLE:KEY=VALUE for another role's model).",
        ),
        click.option(
            "--role",
            "roles",
            multiple=True,
            metavar="ROLE=MODEL",
            help="The model of a role of the task, e.g. --role critic=anthropic/claude-3-5-sonnet.",
        ),
        click.option(
            "-S",
            "sandbox_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="Sandbox backend option.",
        ),
        click.option(
            "-G",
            "generate_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="Generation setting (any GenerateConfig field).",
        ),
        click.option(
            "--sandbox", help="Sandbox backend (default: docker if reachable, else local)."
        ),
        click.option("--temperature", type=float, help="Sampling temperature."),
        click.option("--top-p", type=float, help="Nucleus sampling."),
        click.option(
            "--max-tokens-per-call",
            type=click.IntRange(min=1),
            help="Output tokens per model call.",
        ),
        click.option("--max-steps", type=click.IntRange(min=1), help="Model calls per episode."),
        click.option("--max-tokens", type=click.IntRange(min=1), help="Tokens per episode."),
        click.option(
            "--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per episode."
        ),
        click.option(
            "--timeout",
            "model_timeout",
            type=click.FloatRange(min=0, min_open=True),
            help="Seconds per model call attempt.",
        ),
        click.option(
            "--max-retries", type=click.IntRange(min=0), help="Retries of a failed model call."
        ),
        click.option(
            "--seed",
            type=int,
            help="Seed of every episode's rng and of providers that take one (-G seed=N wins).",
        ),
        click.option("--executor", help="Where episodes run (default: local; plugins add more)."),
        click.option(
            "-E",
            "executor_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="Executor option (repeatable).",
        ),
        click.option("--run-dir", help="Where runs live (default ./runs)."),
        click.option("--run-name", help="Run id to use (reusing one continues that run)."),
        click.option(
            "--plugins", metavar="LIST", help="Plugins to load: 'a,b' only those, '-c' all but c."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _roles(specs: tuple[str, ...], model_options: dict[str, Any]) -> dict[str, Any]:
    """`--role critic=MODEL` and `-M critic:key=value` as RunConfig fields."""
    from agentbench.errors import ConfigError
    from agentbench.roles import DEFAULT_ROLE, RoleModel, split_role_options

    plain, by_role = split_role_options(model_options)
    roles: dict[str, Any] = {}
    for spec in specs:
        name, sep, model = spec.partition("=")
        if not sep or not name.strip() or not model.strip():
            raise ConfigError(f"bad --role {spec!r}", "write --role ROLE=PROVIDER/NAME")
        if name.strip() == DEFAULT_ROLE:
            raise ConfigError("--role default=... is --model", "use --model for the default role")
        roles[name.strip()] = RoleModel(model=model.strip(), options=by_role.pop(name.strip(), {}))
    default_options = {**plain, **by_role.pop(DEFAULT_ROLE, {})}
    if by_role:
        role = sorted(by_role)[0]
        raise ConfigError(
            f"-M {role}:... names a role that has no --role", f"add --role {role}=PROVIDER/NAME"
        )
    return {"roles": roles, "model_options": default_options}


def build_run_config(params: dict[str, Any], task: str | None) -> Any:
    """A RunConfig from the command's parameters, setting only what the user gave."""
    from agentbench._runner.planning import split_ids
    from agentbench.errors import ConfigError
    from agentbench.options import parse_options
    from agentbench.types import GenerateConfig, Limits, RunConfig

    fields: dict[str, Any] = {}
    if task:
        fields["task"] = task
    simple = (
        "model",
        "sandbox",
        "epochs",
        "limit",
        "max_episodes",
        "max_connections",
        "model_timeout",
        "max_retries",
        "infra_retries",
        "run_dir",
        "run_name",
        "resume",
        "seed",
        "cache",
        "fail_fast",
        "executor",
    )
    for name in simple:
        if params.get(name) is not None:
            fields[name] = params[name]
    for name in ("task_options", "model_options", "sandbox_options", "executor_options"):
        if params.get(name):
            fields[name] = parse_kv(params[name], "-" + name[0].upper())
    if params.get("roles") or any(":" in k for k in fields.get("model_options", {})):
        fields.update(_roles(params.get("roles") or (), fields.get("model_options", {})))
    if params.get("sample_ids"):
        fields["sample_ids"] = split_ids(params["sample_ids"])
    generate = parse_kv(params.get("generate_options") or (), "-G")
    for param, key in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("max_tokens_per_call", "max_tokens"),
    ):
        if params.get(param) is not None:
            generate[key] = params[param]
    if params.get("seed") is not None:  # providers that take a seed get the run's (-G overrides)
        generate.setdefault("seed", params["seed"])
    if generate:
        fields["generate"] = parse_options(GenerateConfig, generate, "generation setting")
    limits = {
        k: params[p]
        for p, k in (
            ("max_steps", "max_steps"),
            ("max_tokens", "max_tokens"),
            ("time_limit", "max_seconds"),
        )
        if params.get(p) is not None
    }
    if limits:
        fields["limits"] = Limits(**limits)
    if params.get("plugins"):
        fields["plugins"] = [p.strip() for p in params["plugins"].split(",") if p.strip()]
    if not fields.get("task") and not fields.get("resume"):
        raise ConfigError("no task given", "write `agentbench run TASK --model M`, or --resume RUN")
    if not fields.get("model") and not fields.get("resume"):
        raise ConfigError(
            "no model given",
            "pass --model PROVIDER/NAME (e.g. --model oracle); see `agentbench list models`",
        )
    fields.setdefault("task", "")
    return parse_options(RunConfig, fields, "option")


@cli.command()
@click.argument("task", required=False)
@_run_options
@click.option(
    "--epochs", type=click.IntRange(min=1), help="Episodes per sample (pass@k for k <= epochs)."
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N samples.")
@click.option(
    "--sample-id",
    "sample_ids",
    multiple=True,
    metavar="ID[,ID]",
    help="Only these samples (globs allowed).",
)
@click.option(
    "--max-episodes", type=click.IntRange(min=1), help="Episodes in flight at once (default 8)."
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    help="Model calls in flight at once (default 16).",
)
@click.option(
    "--infra-retries",
    type=click.IntRange(min=0),
    help="Fresh-sandbox retries after a sandbox died.",
)
@click.option("--resume", metavar="RUN", help="Continue a run: skip its finished episodes.")
@click.option("--cache/--no-cache", default=None, help="Cache model responses in the run's store.")
@click.option(
    "--fail-fast", is_flag=True, default=None, help="Stop at the first episode that errors."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--html", is_flag=True, help="Also write the HTML report into the run directory.")
@click.option(
    "--progress",
    type=click.Choice(["auto", "rich", "plain", "none"]),
    default="auto",
    help="Live display: rich on a terminal, plain lines otherwise.",
)
@click.option("--no-progress", is_flag=True, help="Show no live progress.")
@click.option(
    "--allow-errors", is_flag=True, help="Exit 0 even when episodes errored (see exit status)."
)
@click.option("--traceback", "tracebacks", is_flag=True, help="Print errored episodes' tracebacks.")
@click.option(
    "--no-baseline", is_flag=True, help="Skip the null baseline (a run of the `baseline` model)."
)
@click.pass_context
def run(ctx: click.Context, task: str | None, **params: Any) -> None:
    """Run TASK with a model: every sample x epoch, concurrently, resumable.

    \b
    agentbench run humaneval-pro -T data=demo --model oracle --epochs 3
    agentbench run hello-arith --model openai/gpt-4o --limit 10
    agentbench run --resume 20250101-120000-hello-oracle-1a2b
    """
    import asyncio

    from agentbench._runner.progress import choose_progress
    from agentbench._runner.runner import Runner

    params["plugins"] = _plugin_spec(ctx, params)
    config = build_run_config(params, task)
    progress = choose_progress("none" if params["no_progress"] else params["progress"])
    runner = Runner(config, registry=_registry(ctx, params), progress=progress)
    stop = _Stop()
    try:
        summary = asyncio.run(_stop_on_signals(runner.run(), stop))
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        progress.close()
        click.echo("interrupted: finished episodes are kept", err=True)
        if runner.summary is not None:
            _print_summary(runner.summary, params["as_json"])
            click.echo(f"continue with: agentbench run --resume {runner.summary.run_id}", err=True)
        code = stop.code or (130 if isinstance(exc, KeyboardInterrupt) else 143)
        sys.exit(code)
    except Exception as exc:
        from agentbench.errors import AgentbenchError

        if (
            isinstance(exc, AgentbenchError)
            and runner.summary is not None
            and runner.summary.completed
        ):
            click.echo(
                f"kept {runner.summary.completed} finished episodes in {runner.summary.run_dir}",
                err=True,
            )
        raise
    if not params["no_baseline"] and runner.info is not None:
        summary = _with_baseline(runner.info.config, summary, _registry(ctx, params))
    _print_summary(summary, params["as_json"])
    if params["html"]:
        _write_html(summary.run_dir, summary.run_dir)
    from agentbench._runner.outcome import run_ending

    model = runner.info.config.model if runner.info is not None else config.model
    ending = run_ending(
        summary,
        model=model,
        allow_errors=params["allow_errors"],
        show_tracebacks=params["tracebacks"],
    )
    for line in ending.lines:
        click.echo(line, err=True)
    if ending.status:
        sys.exit(ending.status)


from agentbench._cli_report import _print_summary, _write_html, report  # noqa: E402
from agentbench._cli_run import _Stop, _stop_on_signals, _with_baseline  # noqa: E402
from agentbench._cli_trust import audit, compare  # noqa: E402
from agentbench._export import export  # noqa: E402 - these commands live in their own modules
from agentbench._new_plugin import new  # noqa: E402

cli.add_command(report)
cli.add_command(new)
cli.add_command(compare)
cli.add_command(audit)

cli.add_command(export)


# -- list ----------------------------------------------------------------------------------------


def _first_line(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


@cli.command(name="list")
@click.argument(
    "kind", type=click.Choice(["tasks", "models", "sandboxes", "plugins"]), required=False
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, kind: str | None, as_json: bool) -> None:
    """List what the installed plugins provide: tasks, models, sandboxes, plugins."""
    registry = _registry(ctx)
    kinds = [kind] if kind else ["tasks", "models", "sandboxes", "plugins"]
    data: dict[str, list[dict[str, Any]]] = {}
    for k in kinds:
        if k == "plugins":
            data[k] = [
                {
                    "name": p.name,
                    "distribution": p.distribution,
                    "loaded": p.loaded,
                    **({"error": p.error} if p.error else {}),
                }
                for p in registry.plugins
            ]
            continue
        table = {
            "tasks": registry.tasks,
            "models": registry.providers,
            "sandboxes": registry.sandboxes,
        }[k]
        data[k] = [
            {"name": name, "distribution": dist, "description": _first_line(cls)}
            for name, (cls, dist) in sorted(table.items())
        ]
    if as_json:
        click.echo(json.dumps(data if kind is None else data[kind], indent=2))
        return
    for k in kinds:
        if kind is None:
            click.echo(f"{k}:")
        rows = data[k]
        if not rows:
            click.echo("  (none)")
        width = max((len(r["name"]) for r in rows), default=0)
        for r in rows:
            if k == "plugins":
                status = "ok" if r["loaded"] else f"FAILED: {r.get('error')}"
                click.echo(f"  {r['name']:<{width}}  {r['distribution']}  {status}")
            else:
                suffix = "/<model>" if k == "models" else ""
                name = f"{r['name'] + suffix:<{width + len(suffix)}}"
                click.echo(f"  {name}  {r['description']}  [{r['distribution']}]")


# -- debug ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("task")
@click.option("--sample-id", required=True, help="The sample to run.")
@_run_options
@click.option(
    "--epoch",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Epoch number (seeds, replay).",
)
@click.option(
    "--keep",
    type=click.Choice(["always", "on-fail", "never"]),
    default="on-fail",
    show_default=True,
    help="Keep the sandbox afterwards (when the backend can) and print how to get in.",
)
@click.pass_context
def debug(
    ctx: click.Context, task: str, sample_id: str, epoch: int, keep: str, **params: Any
) -> None:
    """Run one episode of TASK with every event printed live, then its score.

    \b
    agentbench debug hello-arith --sample-id arith-0 --model oracle --keep always
    """
    import asyncio

    from agentbench._runner.debug import debug_episode

    params["sample_ids"] = (sample_id,)
    params["plugins"] = _plugin_spec(ctx, params)
    config = build_run_config(params, task)
    record = asyncio.run(
        debug_episode(config, epoch=epoch, keep=keep, registry=_registry(ctx, params))
    )
    sys.exit(0 if record.result.status == "ok" else 1)


# -- entry point ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """The `agentbench` console script (also `python -m agentbench`)."""
    from agentbench.errors import AgentbenchError

    try:
        rc = cli.main(args=argv, prog_name="agentbench", standalone_mode=False)
    except AgentbenchError as exc:
        _error_exit(exc)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)
