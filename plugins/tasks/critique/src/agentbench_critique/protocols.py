"""The model-calling side of the protocols: one round with code feedback, and the round loops.

A round (upstream `math_eval.main`, one `turn`): call the model; if the response contains
"```python", run its program in the sandbox, append the response and the program's output as
turns, and call again, at most 4 calls. The round's text (what upstream scores) is the program
outputs fed back in the round and its final response, joined and stripped. (Upstream's older
branch that re-ran a program from the query when a response ended with "```" without "boxed"
is disabled for the prompt types used here, direct-cot and critic_and_correct, in its final
`math_eval.py`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from agentbench import EpisodeContext, GenerateConfig, Message

from .codeexec import LIMIT_NOTE, MAX_CALLS, extract_program, feedback, run_program
from .prompts import critique_messages, direct_messages, reexamine_turns

#: Upstream's decoding defaults (math_eval.py): greedy, top_p 1, 2048 new tokens per call.
DEFAULTS = {"temperature": 0.0, "top_p": 1.0, "max_tokens": 2048}


@dataclass
class Round:
    """One round: the text upstream scores, and how many programs ran."""

    text: str
    calls: int
    programs: int = 0
    hit_limit: bool = False
    final: str = ""  # the last response (none when the round hit the call limit)


def decoding_defaults(current: GenerateConfig) -> GenerateConfig | None:
    """Upstream's defaults for the fields the user left unset."""
    values = {k: v for k, v in DEFAULTS.items() if getattr(current, k) is None}
    return GenerateConfig(**values) if values else None


async def generate(ctx: EpisodeContext, messages: list[Message], role: str) -> str:
    """One model call in `role` ("default" or the critic's role), with upstream's decoding."""
    output = await ctx.generate(messages, config=decoding_defaults(ctx.generate_config), role=role)
    return output.text


async def run_round(ctx: EpisodeContext, messages: list[Message], role: str) -> Round:
    """Call the model until a response has no python block (4 calls at most); `messages` grows
    by the turns upstream adds. As upstream, the scored text is the program outputs fed back
    and the final response (the responses holding programs are not part of it)."""
    pieces: list[str] = []
    programs = 0
    for call in range(1, MAX_CALLS + 1):
        output = (await generate(ctx, messages, role)).rstrip()
        if "```python" in output:
            messages.append(Message.assistant(output))
            program = extract_program(output)
        else:
            pieces.append(output)
            return Round("".join(pieces).strip(), call, programs, final=output)
        result, report = await run_program(ctx, program)
        programs += 1
        turn = feedback(result, report)
        messages.append(Message.user(turn))
        pieces.append(turn)
    pieces.append(LIMIT_NOTE)
    return Round("".join(pieces).strip(), MAX_CALLS, programs, hit_limit=True)


async def solve_direct(ctx: EpisodeContext, question: str, role: str = "default") -> Round:
    """The solver answers step by step (direct-cot)."""
    ctx.messages = direct_messages(question)
    outcome = await run_round(ctx, ctx.messages, role)
    if not outcome.hit_limit:
        ctx.messages.append(Message.assistant(outcome.final))
    return outcome


async def critique_rounds(
    ctx: EpisodeContext,
    question: str,
    reasoning: str,
    role: str,
    rounds: int,
    done: list[Round] | None = None,
) -> list[Round]:
    """`rounds` critiques of `reasoning` in one conversation (critic_and_correct, then the
    re-examine turns after each round); each finished round is appended to `done`."""
    messages = critique_messages(question, reasoning)
    ctx.messages = messages
    done = [] if done is None else done
    for index in range(rounds):
        outcome = await run_round(ctx, messages, role)
        done.append(outcome)
        # A round that hit the call limit ends on a user turn (its program's output); upstream
        # then goes on from there without the re-examine request.
        if not outcome.hit_limit:
            if index < rounds - 1:
                messages += reexamine_turns(outcome.final)
            else:
                messages.append(Message.assistant(outcome.final))
    return done
