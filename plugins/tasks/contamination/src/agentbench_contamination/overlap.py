"""How close a completion is to the true second piece: ROUGE-L, exact and near-exact matches.

ROUGE-L is Google's `rouge-score` package (what upstream's `evaluate.load("rouge")` wraps), the
F-measure of the longest common subsequence, default tokenizer (lower case, alphanumeric tokens),
no stemming (upstream's default).

Upstream judges exact and near-exact matches with GPT-4 and few-shot examples; a judge model is
a run's second model, which this probe does not require, so here a match is measured:
`exact` when the texts are equal after white space is collapsed, `near_exact` when ROUGE-L is
at least a threshold (0.75 by default) without being exact.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F-measure of `candidate` against `reference` (0 when either has no token)."""
    return float(_scorer().score(reference, candidate)["rougeL"].fmeasure)


def normalise(text: str) -> str:
    """White space collapsed and the ends stripped."""
    return " ".join(text.split())


def match_kind(candidate: str, reference: str, rouge: float, near_exact: float) -> str:
    """ "exact", "near_exact" or "none"."""
    if normalise(candidate) == normalise(reference) and normalise(reference):
        return "exact"
    if rouge >= near_exact:
        return "near_exact"
    return "none"
