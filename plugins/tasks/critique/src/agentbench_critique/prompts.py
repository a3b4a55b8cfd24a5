"""RealCritic's prompts, rebuilt to produce upstream's text character for character.

Upstream: tangzhy/RealCritic @ 0fbc04a1, `utils.py` (`SYSTEM_PROMPT_TEMPLATES`,
`USER_PROMPT_TEMPLATE`, `MULTI_TURN_CRITIC`, `construct_message`), as run by the README and
`sh/*/config.sh`: the solver uses prompt type "direct-cot" with user prompt "default-cot"; a
critique (self, cross, iterative) uses "critic_and_correct" for both. A further round appends
the critique as an assistant turn and `MULTI_TURN_CRITIC["cot"]` as a user turn.

Two upstream details kept on purpose: the critique system prompt is a raw string (one
backslash in `\\boxed{[answer]}`), and the re-examine prompt is never `.format`ted, so it asks
for `\\boxed{{}}` with doubled braces.
"""

from __future__ import annotations

from agentbench import Message

DIRECT_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."

CORRECTION_START = "===CORRECTION_START==="
CORRECTION_END = "===CORRECTION_END==="

CRITIQUE_SYSTEM = "\n".join(
    [
        "I will provide a math problem along with a student solution.",
        "",
        "Conduct a step-by-step critique of the student's solution. For each step, use proper "
        "verification, recalculation, and reflection to determine whether it is logically and "
        "mathematically valid. Please elaborate on the analysis process carefully. If an error "
        "is detected in any step, describe the nature and cause of the error in detail, and "
        "suggest how to correct it or provide the correct approach. Once a step is found to "
        "contain an error, stop further analysis of subsequent steps (as they may depend on the "
        'identified error) and directly conclude with "Incorrect".',
        "",
        "Finally, provide a conclusion of your critique and a correction for the student solution.",
        "",
        "Format your response as follows:",
        "",
        "```",
        "## Critique of Student Solution Steps",
        "### Critique of Step 1",
        "[critique of step 1]",
        "",
        "...",
        "",
        "### Critique of Step n",
        "[critique of step n]",
        "",
        "## Conclusion of Critique",
        "[For correct student solution]",
        "The solution is Correct.",
        "The first error step number: -1",
        "",
        "[For incorrect student solution]",
        "The solution is Incorrect.",
        "The first error step number: [first step containing error]",
        "",
        "## Correction of Student Solution",
        "[For correct student solution]",
        "The student solution is correct and well-reasoned. The final answer is \\boxed{[answer]}.",
        "",
        "[For incorrect student solution]",
        "Here's the corrected solution, following the original approach up to step "
        "[error step - 1] and then proceeding with the proper correction:",
        CORRECTION_START,
        "[Steps 1 to (error step - 1) from original student solution]",
        "[Corrected version of error step]",
        "[Subsequent steps following from the correction to reach the final answer]",
        "Therefore, the final answer is \\boxed{[corrected answer]}.",
        CORRECTION_END,
        "```",
    ]
)

REEXAMINE = (
    "Are you sure your critic is correct? Please reconsider all the content above and identify "
    "any possible errors. Place the final answer in \\boxed{{}}."
)


def critique_user(question: str, reasoning: str) -> str:
    """The critique's user turn: the problem and the solution under critique."""
    return (
        "The following is the data for your task:\n\n## Math Problem\n"
        f"{question}\n\n## Student Solution\n{reasoning}"
    )


def direct_messages(question: str) -> list[Message]:
    """The solver's conversation: upstream's direct-cot system prompt and the bare question."""
    return [Message.system(DIRECT_SYSTEM), Message.user(question)]


def critique_messages(question: str, reasoning: str) -> list[Message]:
    """A critique's conversation: the critic_and_correct system and user prompts."""
    return [Message.system(CRITIQUE_SYSTEM), Message.user(critique_user(question, reasoning))]


def reexamine_turns(critique: str) -> list[Message]:
    """What a further round appends: the last critique, then the re-examine request."""
    return [Message.assistant(critique), Message.user(REEXAMINE)]


def as_reasoning(value: object) -> str:
    """A record's `reasoning` as upstream formats it (a one-item list is unwrapped)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError(f"reasoning is a list of {len(value)} items (upstream wants one)")
        value = value[0]
    return str(value)
