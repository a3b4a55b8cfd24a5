"""The search on a toy arithmetic problem, against figures derived by hand."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest
from agentbench_mcts.answers import Question, question_from_record
from agentbench_mcts.pairs import extract_pairs, tree_json, upstream_record
from agentbench_mcts.search import (
    MCTS,
    Candidate,
    SearchConfig,
    length_normalised_prior,
    step_value,
    terminal_outcome,
)

# Question: 2 + 3 * 4. Right first step A (multiply first), wrong first step B (add first).
A, B = " 3*4 = 12\n", " 2+3 = 5\n"
C, D = "The answer is 14", "The answer is 15"
E, F = "The answer is 20", "So the answer is 14"
PROPOSALS = {
    (): [Candidate(A, (-0.1, -0.1)), Candidate(B, (-1.0, -1.0))],
    (A,): [Candidate(C, (-0.5,) * 4, True), Candidate(D, (-0.2,) * 4, True)],
    (B,): [Candidate(E, (-0.1,) * 4, True), Candidate(F, (-0.3,) * 4, True)],
}
CONF = {A: 0.8, B: 0.2, C: 0.9, D: 0.1, E: 0.3, F: 0.6}


class ToyPolicy:
    """Scripted proposals and self-evaluations; records every call."""

    def __init__(self, logprobs: bool = True) -> None:
        self.logprobs = logprobs
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    async def propose(
        self, prefix: Sequence[str], n: int, temperature: float, to_end: bool = False
    ) -> list[Candidate]:
        self.calls.append(("propose", tuple(prefix)))
        out = PROPOSALS[tuple(prefix)][:n]
        if not self.logprobs:
            out = [Candidate(c.text, None, c.terminal) for c in out]
        return out

    async def evaluate(self, prefix: Sequence[str], step: str) -> float:
        self.calls.append(("evaluate", (*prefix, step)))
        return CONF[step]


def toy_problem() -> Question:
    q = Question("toy", "What is 2 + 3 * 4?", "14", "14", "3*4 = 12\nThe answer is 14", "gsm8k")
    q.reference_steps = [A, C]
    return q


TOY = SearchConfig(n_iters=1, depth_limit=1, n_init_actions=2, n_actions=2, include_gt=False)


async def run_toy(config: SearchConfig = TOY, logprobs: bool = True, seed: int = 0):
    policy = ToyPolicy(logprobs)
    mcts = MCTS(policy, toy_problem(), config, random.Random(seed))
    return await mcts.run(), policy


async def test_toy_tree_q_values_and_pairs_match_the_hand_derivation() -> None:
    result, _ = await run_toy()
    # Priors: p = exp(sum(lp) / len ** 1.25).  2 ** 1.25 = 2.37841, 4 ** 1.25 = 5.65685.
    #   pA = exp(-0.2 / 2.37841) = 0.91935     pB = exp(-2.0 / 2.37841) = 0.43132
    #   pC = exp(-2.0 / 5.65685) = 0.70219     pD = exp(-0.8 / 5.65685) = 0.86812
    # Values (parent depth 0 and 1: divisor max(d - 3, 1) = 1): A 0.8, B 0.2;
    #   C = 0.9 + 1 (right; a prefix of the reference, so no 5/4 bonus) = 1.9; D = 0.1 - 1 = -0.9.
    # First move: 4 * n_iters = 4 iterations from the root, depth limit 1 below it.
    #   it1: root.N=1, expand root: Q_A = V_root + r = 0 + 0.8, Q_B = 0.2.
    #        PUCT A = 0.8 + 0.91935 * sqrt(1) / 1 = 1.719 > B = 0.2 + 0.43132 = 0.631 -> A.
    #        backup: A.Q = 0.8, A.N = 1; root.V = (1 * 0.8 + 1 * 0.2) / 2 = 0.5, root.N = 2.
    #   it2: root.N=3: A = 0.8 + 0.91935 * sqrt3 / 2 = 1.596 > B = 0.2 + 0.43132 * sqrt3 = 0.947.
    #        A.N = 2; root.V = (2 * 0.8 + 0.2) / 3 = 0.6, root.N = 4.
    #   it3: root.N=5: A = 1.485 > B = 1.164; A.N = 3; root.V = 2.6 / 4 = 0.65, root.N = 6.
    #   it4: root.N=7: A = 1.408 > B = 1.341; A.N = 4; root.V = 3.4 / 5 = 0.68, root.N = 8.
    #   Move: argmax N * (spread + 1) -> A (4 vs 0).
    # Second move from A (depth 1): n_iters = 1 iteration.
    #   A.N = 5, expand A: Q_C = V_A + (1.9 - 0.8) = 1.1, Q_D = 0 + (-0.9 - 0.8) = -1.7.
    #   PUCT C = 1.1 + 0.70219 * sqrt5 = 2.670 > D = -1.7 + 0.86812 * sqrt5 = 0.241 -> C.
    #   backup: C.Q = 1.1 + 0 = 1.1, C.N = 1; A.V = (1.1 - 1.7) / 2 = -0.3, A.N = 6,
    #           A.Q = r_A + V_A = 0.8 - 0.3 = 0.5.  Move: C (N 1 vs 0), terminal: done.
    tree = {n["step"]: n for n in tree_json(result)["nodes"]}
    root, a, b, c, d = tree[None], tree[A], tree[B], tree[C], tree[D]
    assert [n["id"] for n in (root, a, b, c, d)] == [0, 1, 2, 3, 4]
    assert (root["N"], a["N"], b["N"], c["N"], d["N"]) == (8, 6, 0, 1, 0)
    assert root["V"] == pytest.approx(0.68)
    assert a["V"] == pytest.approx(-0.3)
    assert (a["Q"], b["Q"], c["Q"], d["Q"]) == pytest.approx((0.5, 0.2, 1.1, -1.7))
    assert (a["value"], b["value"], c["value"], d["value"]) == pytest.approx((0.8, 0.2, 1.9, -0.9))
    assert (a["prior"], b["prior"]) == pytest.approx((0.91935, 0.43132), abs=1e-5)
    assert (c["prior"], d["prior"]) == pytest.approx((0.70219, 0.86812), abs=1e-5)
    assert result.final.steps() == [A, C]
    assert result.priors == "logprobs"
    # The moves record the figures at decision time: Q_A was still 0.8 then.
    assert [dec.chosen for dec in result.decisions] == [0, 0]
    assert result.decisions[0].Q == pytest.approx([0.8, 0.2])
    assert result.decisions[0].N == [4, 0]
    assert result.decisions[1].Q == pytest.approx([1.1, -1.7])
    # Pairs: one per decision point, chosen = highest Q, rejected = lowest.
    pairs = extract_pairs(result, "QUESTION: What is 2 + 3 * 4?\n\nANSWER:")
    assert [(p.chosen, p.rejected) for p in pairs] == [(A, B), (C, D)]
    assert pairs[1].prompt == "QUESTION: What is 2 + 3 * 4?\n\nANSWER:" + A
    assert (pairs[0].chosen_Q, pairs[0].rejected_Q, pairs[0].chosen_N) == pytest.approx(
        (0.8, 0.2, 4)
    )
    assert (pairs[0].depth, pairs[1].depth) == (0, 1)
    record = upstream_record(result, "P:")
    assert record["generated"] == [["P:" + B, "P:" + A], ["P:" + A + D, "P:" + A + C]]
    assert record["init_values"] == [[0, 4], [0, 1]]


async def test_expansions_propose_then_evaluate_every_candidate() -> None:
    from dataclasses import replace

    _, policy = await run_toy(replace(TOY, prefetch=False))
    assert policy.calls == [
        ("propose", ()),
        ("evaluate", (A,)),
        ("evaluate", (B,)),
        ("propose", (A,)),
        ("evaluate", (A, C)),
        ("evaluate", (A, D)),
    ]


async def test_prefetch_sends_the_childrens_proposals_with_the_evaluations() -> None:
    from dataclasses import replace

    plain, _ = await run_toy(replace(TOY, prefetch=False))
    result, policy = await run_toy()
    assert tree_json(result) == tree_json(plain)  # the same search, fewer latency rounds
    # Root expansion: the proposals for A and B go out with A's and B's evaluations.
    assert policy.calls[0] == ("propose", ())
    assert set(policy.calls[1:5]) == {
        ("propose", (A,)),
        ("propose", (B,)),
        ("evaluate", (A,)),
        ("evaluate", (B,)),
    }
    assert result.stats["prefetch_unused"] == 1  # B was never expanded


async def test_without_logprobs_priors_are_uniform_and_the_output_says_so() -> None:
    result, _ = await run_toy(logprobs=False)
    assert result.priors == "uniform"
    assert {n["prior"] for n in tree_json(result)["nodes"] if n["step"]} == {0.5}


async def test_include_gt_offers_the_reference_step_first() -> None:
    config = SearchConfig(n_iters=1, depth_limit=1, n_init_actions=1, n_actions=1)
    result, _ = await run_toy(config)
    first = result.root.children or []
    assert [(c.step, c.source) for c in first] == [(A, "policy")]  # a duplicate is not added

    class SaysB(ToyPolicy):
        async def propose(self, prefix, n, temperature, to_end=False):
            return (
                [Candidate(B, (-1.0, -1.0))]
                if not prefix
                else await super().propose(prefix, n, temperature, to_end)
            )

    mcts = MCTS(SaysB(), toy_problem(), config, random.Random(0))
    result = await mcts.run()
    first = result.root.children or []
    assert [(c.step, c.source) for c in first] == [(A, "reference"), (B, "policy")]
    # The reference's step has no logprobs: it takes the best sampled prior.
    assert first[0].prior == first[1].prior == pytest.approx(math.exp(-2 / 2**1.25))


def test_prior_value_and_bonus_formulas() -> None:
    assert length_normalised_prior([-1.0, -1.0]) == pytest.approx(math.exp(-2 / 2**1.25))
    # conf / max(parent_depth - 3, 1): depth 5 divides by 2; a zero falls back to parent value.
    assert step_value(0.8, 5, 0.3, None) == pytest.approx(0.4)
    assert step_value(0.0, 1, 0.3, None) == pytest.approx(0.3)
    assert step_value(0.5, 0, 0.0, -1.0) == pytest.approx(-0.5)
    # Multiple choice: no bonus at the root with 2+ actions, half at depth 1.
    assert step_value(0.5, 0, 0.0, 1.0, multiple_choice=True) == pytest.approx(0.5)
    assert step_value(0.5, 1, 0.0, 1.0, multiple_choice=True) == pytest.approx(1.0)
    assert step_value(0.5, 2, 0.0, 1.0, multiple_choice=True) == pytest.approx(1.5)
    q = toy_problem()
    assert terminal_outcome(q, [A, C]) == 1.0  # the reference itself: no bonus
    assert terminal_outcome(q, [B, F]) == 1.25  # right, own reasoning: x 5/4
    assert terminal_outcome(q, [B, E]) == -1.0


async def test_same_seed_same_tree_other_seed_may_differ() -> None:
    config = SearchConfig(n_iters=2, depth_limit=2, temperature=0.5, include_gt=False)
    one, _ = await run_toy(config, seed=3)
    two, _ = await run_toy(config, seed=3)
    assert tree_json(one) == tree_json(two)


def test_reference_steps_of_a_gsm8k_record() -> None:
    q = question_from_record({"question": "Q?", "answer": "a = <<1+1=2>>2\nb\n#### 2"}, 0)
    assert q.answer == "2"
    assert q.reference_steps == [" a = <<1+1=2>>2\n", "b\n", "#### 2\n", "The answer is 2"]
