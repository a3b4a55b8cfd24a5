"""agentbench.testing: one episode in-process, with a scripted model."""

from __future__ import annotations

import asyncio

import pytest

from agentbench import (
    ConfigError,
    EpisodeContext,
    Limits,
    Message,
    Sample,
    SandboxSpec,
    Score,
    Task,
    ToolSpec,
    run_episode,
)
from agentbench.plugins import load_plugins
from agentbench.testing import scripted, tool_call

ECHO = ToolSpec(
    name="echo", parameters={"type": "object", "properties": {"text": {"type": "string"}}}
)


class EchoTask(Task):
    """Passes when the final answer equals the sample's target; offers an `echo` shell tool."""

    name = "echo-task"

    def samples(self):
        return [
            Sample(id="a", input="say a", target="a"),
            Sample(id="b", input="say b", target="b"),
        ]

    def sandbox_spec(self, sample):
        return SandboxSpec(files={"target.txt": sample.target})

    async def solve(self, ctx: EpisodeContext) -> None:
        ctx.messages = [Message.user(ctx.sample.input)]
        while True:
            out = await ctx.generate(tools=[ECHO])
            ctx.messages.append(out.message)
            if not out.tool_calls:
                break
            for call in out.tool_calls:
                result = await ctx.exec(["echo", call.arguments["text"]])
                ctx.messages.append(Message.tool(call.id, result.stdout))
        await ctx.sandbox.write_file("answer.txt", out.text)

    async def check(self, ctx: EpisodeContext) -> Score:
        answer = (await ctx.exec("cat answer.txt")).stdout
        return Score.of(answer == ctx.sample.target, f"answered {answer!r}")

    def reference(self, sample):
        return sample.target


async def test_a_task_test_in_a_few_lines() -> None:
    run = await run_episode(
        EchoTask(), sample_id="b", model=scripted([tool_call("echo", text="hi"), "b"])
    )
    assert run.passed, run.explanation
    assert run.result.status == "ok" and run.result.steps == 2 and run.result.sample_id == "b"
    assert [e["type"] for e in run.transcript][:2] == ["sandbox", "model"]
    assert run.events_of("exec")[0]["stdout"] == "hi\n"
    assert run.context.messages[2].role == "tool" and run.context.messages[2].text == "hi\n"


async def test_models_by_reference_and_as_a_plain_list() -> None:
    assert (await run_episode(EchoTask(), model="oracle")).passed
    nulled = await run_episode(EchoTask(), model="null")
    assert not nulled.passed and nulled.explanation == "answered ''"
    assert (await run_episode(EchoTask(), sample_id="b", model=["b"])).passed
    assert (await run_episode(EchoTask(), model={"a": ["a"], "b": ["wrong"]})).passed


async def test_the_step_limit_is_scored_with_what_there_is() -> None:
    class Stubborn(EchoTask):
        async def solve(self, ctx):
            await ctx.sandbox.write_file("answer.txt", "a")
            while True:
                await ctx.generate()

    run = await run_episode(Stubborn(), model=["x"] * 10, limits=Limits(max_steps=3))
    assert run.result.status == "ok" and run.passed  # the limit hit, yet the work was right
    assert run.result.steps == 3 and run.events_of("limit")[0]["kind"] == "steps"
    failed = await run_episode(
        Stubborn(), sample_id="b", model=["x"] * 10, limits=Limits(max_steps=2)
    )
    # As in `agentbench run`: a check that ran scores the episode; the limit is in the details.
    assert failed.result.status == "ok" and not failed.passed
    assert "steps limit of 2 reached" in failed.score.details["limit"]


async def test_the_time_limit_stops_solve() -> None:
    class Slow(EchoTask):
        async def solve(self, ctx):
            await asyncio.sleep(30)

    run = await run_episode(Slow(), model=[], limits=Limits(max_seconds=0.2))
    assert run.events_of("limit")[0]["kind"] == "seconds" and not run.passed
    assert "seconds limit" in run.score.details["limit"]


async def test_errors_raise_by_default_or_are_recorded() -> None:
    with pytest.raises(Exception, match="ran out of responses"):
        await run_episode(EchoTask(), model=[])
    run = await run_episode(EchoTask(), model=[], raise_errors=False)
    assert run.result.status == "error" and "ran out of responses" in run.result.error
    assert run.score is None and "ran out" in run.explanation


async def test_keep_sandbox_for_inspection() -> None:
    run = await run_episode(EchoTask(), model=["a"], keep_sandbox=True)
    assert await run.sandbox.read_file("answer.txt") == "a"
    root = run.sandbox.root
    await run.aclose()
    assert run.sandbox is None and not root.exists()


async def test_a_backend_passed_in_is_given_the_sandbox_back_not_closed() -> None:
    backend = load_plugins().sandbox("local")("mine", {})
    released = []
    original = backend.release

    async def spy(sandbox, *, reusable=True):
        released.append(sandbox)
        await original(sandbox, reusable=reusable)

    backend.release = spy
    for sample_id in ("a", "b"):
        assert (
            await run_episode(EchoTask(), sample_id=sample_id, model="oracle", sandbox=backend)
        ).passed
    assert len(released) == 2
    await backend.aclose()


async def test_unknown_sample_and_task_options() -> None:
    with pytest.raises(ConfigError, match=r"no sample 'zz'.*a, b"):
        await run_episode(EchoTask(), sample_id="zz", model="null")
    with pytest.raises(TypeError, match="constructor"):
        await run_episode(EchoTask(), options={"x": 1}, model="null")


async def test_without_a_sandbox_the_task_gets_none() -> None:
    class NoBox(Task):
        name = "nobox"

        def samples(self):
            return [Sample(id="1", input="q")]

        async def check(self, ctx):
            return Score.of(ctx.sandbox is None and ctx.state["output"].text == "yes")

    run = await run_episode(NoBox(), model=["yes"], sandbox="local")
    assert run.passed and run.events_of("sandbox") == []
