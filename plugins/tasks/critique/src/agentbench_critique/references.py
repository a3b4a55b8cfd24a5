"""Gold responses for the `oracle` model, in the formats upstream's prompts ask for.

The critique follows the critic_and_correct format (critique, conclusion, correction, with the
corrected solution between the start and end markers when the solution under critique is
wrong). Each text says "answer is" once and "boxed" once, so every task's extraction (including
mmlu_stem's, which reads the text after "answer is") finds the given answer.
"""

from __future__ import annotations

from .prompts import CORRECTION_END, CORRECTION_START


def direct_reference(answer: str) -> str:
    """A direct step-by-step answer ending in a boxed answer."""
    return (
        "Let's reason step by step from the problem statement to the result.\n\n"
        f"Therefore, the final answer is \\boxed{{{answer}}}."
    )


def critique_reference(answer: str, solution_correct: bool) -> str:
    """A correct critique of a solution that is right (or wrong), ending with `answer`."""
    if solution_correct:
        return "\n".join(
            [
                "## Critique of Student Solution Steps",
                "### Critique of Step 1",
                "Every step is verified by recalculation and is valid.",
                "",
                "## Conclusion of Critique",
                "The solution is Correct.",
                "The first error step number: -1",
                "",
                "## Correction of Student Solution",
                "The student solution is correct and well-reasoned. "
                f"The final answer is \\boxed{{{answer}}}.",
            ]
        )
    return "\n".join(
        [
            "## Critique of Student Solution Steps",
            "### Critique of Step 1",
            "This step does not follow from the problem statement; recalculating it shows the "
            "error.",
            "",
            "## Conclusion of Critique",
            "The solution is Incorrect.",
            "The first error step number: 1",
            "",
            "## Correction of Student Solution",
            "Here's the corrected solution, following the original approach up to step 0 and "
            "then proceeding with the proper correction:",
            CORRECTION_START,
            "Recomputing from the problem statement gives the result.",
            f"Therefore, the final answer is \\boxed{{{answer}}}.",
            CORRECTION_END,
        ]
    )
