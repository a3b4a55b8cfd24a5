"""The policy and self-evaluation prompts of MCTS-DPO, rebuilt to give the identical text.

Upstream: YuxiXie/MCTS-DPO, mcts_rl/configs/constants.py at e76491aa (PROMPT_USER,
PROMPT_ASSISTANT, PROMPT_ASSISTANT_MCQ, HINTED_EVAL_PROMPT), mcts_rl/datasets/utils.py at 2f8d1113
(format_prompt, no few-shot, non-llama3 models) and the eval prompt assembly in
mcts_rl/algorithms/mcts/mcts/search_config.py at 617eb382 (get_values).
"""

from __future__ import annotations

from collections.abc import Sequence

PROMPT_USER = "QUESTION: {input}\n\n"
PROMPT_ASSISTANT = "ANSWER:"
PROMPT_ASSISTANT_MCQ = "ANSWER: Let's think about the multi-choice question step by step"
EVAL_PROMPT_USER = "QUESTION:"

HINTED_EVAL_PROMPT = (
    "{input}EXAMPLE ANSWER: {solution}\n\n"
    "PROPOSED SOLUTION:{prompt}\n\n"
    "QUESTION: Evaluate if the proposed solution is logically heading in the correct direction "
    "based on the example answer.\n"
    "Answer Choices:\n(A) incorrect\n(B) correct\n\n"
    "ANSWER: The answer is"
)


def assistant_tag(multiple_choice: bool) -> str:
    """The text that opens the answer (MCQ questions get the step-by-step lead-in)."""
    return PROMPT_ASSISTANT_MCQ if multiple_choice else PROMPT_ASSISTANT


def policy_prompt(question: str, multiple_choice: bool = False) -> str:
    """format_prompt(question): 'QUESTION: {q}\\n\\nANSWER:' (the search continues after it)."""
    return PROMPT_USER.format(input=question) + assistant_tag(multiple_choice)


def path_prompt(question: str, steps: Sequence[str], multiple_choice: bool = False) -> str:
    """The policy prompt followed by the steps taken so far (upstream's state, decoded)."""
    return policy_prompt(question, multiple_choice) + "".join(steps)


def hinted_eval_prompt(question: str, solution: str, steps: Sequence[str], step: str) -> str:
    """The self-evaluation prompt shown with the reference solution.

    Upstream rebuilds the question part as 'QUESTION:' + the rest of the prompt with its leading
    space stripped, so the text reads 'QUESTION:<question>' with no space; kept as is.
    """
    input_txt = (
        EVAL_PROMPT_USER + PROMPT_USER.format(input=question).split(EVAL_PROMPT_USER)[-1].lstrip()
    )
    prompt = "".join(steps) + step
    return HINTED_EVAL_PROMPT.format(input=input_txt, solution=solution, prompt=prompt).lstrip()
