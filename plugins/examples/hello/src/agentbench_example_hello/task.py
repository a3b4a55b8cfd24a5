"""hello-arith: arithmetic questions, answered with the help of a python tool, checked by execution.

The model may call the `python` tool (the code runs in the sandbox) before it answers; the
answer is checked by running a tiny Python script in the sandbox that compares it with the
value of the expression.
"""

from __future__ import annotations

import json
import random
import re

from agentbench import (
    EpisodeContext,
    Message,
    Sample,
    SandboxSpec,
    Score,
    Task,
    TaskOptions,
    ToolCall,
    ToolSpec,
    run_python,
)

PYTHON_TOOL = ToolSpec(
    name="python",
    description="Run a Python program in the sandbox and return what it prints.",
    parameters={
        "type": "object",
        "properties": {"code": {"type": "string", "description": "the program"}},
        "required": ["code"],
    },
)

CHECK_PROGRAM = """\
import json
expected = {expression}
answer = {answer}
print(json.dumps({{"expected": expected, "answer": answer, "correct": answer == expected}}))
"""


class Options(TaskOptions):
    """`-T count=20 -T seed=1 -T max_operand=99 -T max_turns=4 -T tools=false`."""

    count: int = 10
    seed: int = 0
    max_operand: int = 50
    max_turns: int = 4
    tools: bool = True


class HelloArith(Task):
    """Arithmetic questions like "What is 17 * 23 + 4?", scored by running Python."""

    name = "hello-arith"
    Options = Options

    def samples(self) -> list[Sample]:
        rng = random.Random(self.options.seed)
        return [self._sample(i, rng) for i in range(self.options.count)]

    def _sample(self, index: int, rng: random.Random) -> Sample:
        numbers = [rng.randint(1, self.options.max_operand) for _ in range(3)]
        ops = [rng.choice("+-*") for _ in range(2)]
        expression = f"{numbers[0]} {ops[0]} {numbers[1]} {ops[1]} {numbers[2]}"
        return Sample(
            id=f"arith-{index}",
            input=f"What is {expression}? Reply with the number only.",
            # eval of an expression we built ourselves from integers and + - *: safe.
            target=eval(expression, {"__builtins__": {}}),
            metadata={"expression": expression},
        )

    def sandbox_spec(self, sample: Sample) -> SandboxSpec:
        return SandboxSpec(image="python", memory_mb=256, pids=64)

    async def solve(self, ctx: EpisodeContext) -> None:
        ctx.messages = [Message.user(str(ctx.sample.input))]
        tools = [PYTHON_TOOL] if self.options.tools else None
        for _ in range(self.options.max_turns):
            output = await ctx.generate(tools=tools)
            ctx.messages.append(output.message)
            if not output.tool_calls:
                break
            for call in output.tool_calls:
                ctx.messages.append(await self._run_tool(ctx, call))
        ctx.state["answer"] = ctx.messages[-1].text if ctx.messages[-1].role == "assistant" else ""

    async def _run_tool(self, ctx: EpisodeContext, call: ToolCall) -> Message:
        code = call.arguments.get("code")
        if call.name != "python" or not isinstance(code, str):
            reply = f"error: no tool {call.name!r} with these arguments; use python(code=...)"
        else:
            result = await run_python(ctx, code, timeout=10, filename="scratch.py")
            output = (result.stdout + result.stderr)[-2000:]
            reply = output or f"(no output, exit code {result.exit_code})"
        ctx.log.add("tool", name=call.name, arguments=call.arguments, output=reply)
        return Message.tool(call.id, reply, name=call.name)

    async def check(self, ctx: EpisodeContext) -> Score:
        numbers = re.findall(r"-?\d+", ctx.state.get("answer", ""))
        if not numbers:
            return Score.of(False, "the answer has no number")
        program = CHECK_PROGRAM.format(
            expression=ctx.sample.metadata["expression"], answer=int(numbers[-1])
        )
        result = await run_python(ctx, program, timeout=10, filename="check.py")
        if not result.ok:
            return Score.of(False, f"the check did not run: {result.stderr[-500:]}")
        verdict = json.loads(result.stdout)
        explanation = f"answered {verdict['answer']}, expected {verdict['expected']}"
        return Score.of(verdict["correct"], explanation, **verdict)

    def reference(self, sample: Sample) -> str:
        return str(sample.target)
