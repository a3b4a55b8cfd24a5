"""MCTS over reasoning steps, as MCTS-DPO searches (pure: no model, no agentbench types).

The search talks to two small interfaces:

- a `Policy`: `propose(prefix, n, temperature, to_end)` samples candidate next steps (with their
  token logprobs when the provider gives them) and `evaluate(prefix, step)` returns the policy's
  confidence in [0, 1] that the partial solution is heading the right way (self-evaluation);
- a `Problem`: `outcome(steps)` scores a finished solution (+1 / -1, or a graded score for
  multiple choice), `reference_steps` is the reference solution cut into steps (for `include_gt`
  and the copy check of the terminal bonus), and `multiple_choice` switches upstream's MCQ rules.

Facts rebuilt from YuxiXie/MCTS-DPO (mcts_rl/algorithms/mcts/mcts/mcts.py and search_config.py at
617eb382, mcts_rl/algorithms/mcts/trainer.py at fb23437f):

- a child's prior is exp(sum(logprobs) / len(logprobs) ** 1.25); its first Q is parent.V + r with
  r = value - parent.value; PUCT = Q + w_exp * p * sqrt(parent.N) / (1 + N);
- an iteration adds 1 to the root's N, descends by PUCT to a leaf, then expands and descends by
  PUCT until a terminal node or `depth_limit` steps below the current root, and backs up:
  leaf Q = r + gamma * V, N += 1; each ancestor V = sum(max(1, N) Q) / sum(max(1, N)) over its
  children, N += 1, Q = r + gamma * V;
- a step's value is conf / max(parent_depth - 3, 1) (parent_value when that is 0); a terminal step
  adds the outcome (x 5/4 when correct and not a prefix of the reference solution);
- `n_iters` iterations per move, four times as many from the first root; the next step is the
  child with the highest (N * (1 + spread of its children's N), Q, V) at temperature 0; the search
  re-roots at that child until a terminal step.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Protocol

ANSWER_INDICATOR = " answer is"


@dataclass(frozen=True)
class Candidate:
    """A proposed next step: its text, its token logprobs (None when the provider gives none).

    `terminal` says that the policy finished its solution with this step.
    """

    text: str
    logprobs: tuple[float, ...] | None = None
    terminal: bool = False


class Policy(Protocol):
    """What the search needs from the model."""

    async def propose(
        self, prefix: Sequence[str], n: int, temperature: float, to_end: bool = False
    ) -> list[Candidate]:
        """Up to `n` candidate steps after `prefix` (`to_end`: finish the solution)."""
        ...

    async def evaluate(self, prefix: Sequence[str], step: str) -> float:
        """The confidence in [0, 1] that `prefix + [step]` is heading the right way."""
        ...


class Problem(Protocol):
    """What the search needs from the question: the outcome of a finished path, the reference."""

    reference_steps: list[str]

    @property
    def multiple_choice(self) -> bool:
        """Upstream's MCQ rules apply."""
        ...

    def outcome(self, steps: Sequence[str]) -> float:
        """+1 / -1 for a right / wrong final answer (a graded score for multiple choice)."""
        ...


@dataclass(frozen=True)
class SearchConfig:
    """MCTS-DPO's search settings (defaults: upstream's mcts/main.py arguments)."""

    n_iters: int = 5
    depth_limit: int = 3
    n_init_actions: int = 2
    n_actions: int = 2
    breadth_limit: int = 4
    init_temperature: float = 1.0
    temperature: float = 1.0
    w_exp: float = 1.0
    length_penalty: float = 1.25
    gamma: float = 1.0
    mcts_temperature: float = 0.0
    mcts_temperature_decay_ratio: float = 1.0
    consider_diversity: bool = True
    include_gt: bool = True
    self_eval: bool = True
    force_terminating_on_depth_limit: bool = False
    max_depth: int = 12
    similarity_threshold: float = 0.99
    prefetch: bool = True


@dataclass(eq=False)
class Node:
    """One step of the tree (the root has no step)."""

    id: int
    step: str | None
    parent: Node | None = None
    prior: float = 1.0
    value: float = 0.0
    is_terminal: bool = False
    source: str = "policy"
    children: list[Node] | None = None
    N: int = 0
    V: float = 0.0
    Q: float = 0.0
    depth: int = 0
    pending: asyncio.Future[list[Candidate]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.depth = 0 if self.parent is None else self.parent.depth + 1
        self.Q = self.r if self.parent is None else self.parent.V + self.r

    @property
    def r(self) -> float:
        """The step's advantage: its value minus its parent's."""
        return self.value if self.parent is None else self.value - self.parent.value

    def steps(self) -> list[str]:
        """The steps from the tree's root to this node."""
        out: list[str] = []
        node: Node | None = self
        while node is not None and node.step is not None:
            out.append(node.step)
            node = node.parent
        return out[::-1]


def length_normalised_prior(logprobs: Sequence[float], length_penalty: float = 1.25) -> float:
    """exp(sum(logprobs) / len ** length_penalty), upstream's MCTSNode.p."""
    if not logprobs:
        return 1.0
    return math.exp(sum(logprobs) / len(logprobs) ** length_penalty)


def step_value(
    conf: float,
    parent_depth: int,
    parent_value: float,
    outcome: float | None,
    *,
    multiple_choice: bool = False,
    n_actions: int = 2,
) -> float:
    """Upstream's get_values: the self-evaluation scaled by depth, plus a terminal outcome."""
    score = conf / max(parent_depth - 3, 1)
    if score == 0:
        score = parent_value
    if outcome is None:
        return score
    if not multiple_choice:
        return score + outcome
    if n_actions < 2 or parent_depth > 0 or outcome <= 0:
        score += outcome if parent_depth > 1 or outcome <= 0 else outcome * 0.5
    return score


def terminal_outcome(problem: Problem, steps: Sequence[str]) -> float:
    """The outcome with upstream's bonus: x 5/4 when right without copying the reference."""
    outcome = problem.outcome(steps)
    if problem.multiple_choice or outcome < 1 or not problem.reference_steps:
        return outcome
    solution = "".join(problem.reference_steps).strip()
    if not solution.startswith("".join(steps).strip()):
        outcome *= 5 / 4
    return outcome


def near_duplicate(text: str, kept: Sequence[str], threshold: float) -> bool:
    """Same text, or a character-level similarity above `threshold` with a kept one."""
    if text in kept:
        return True
    return any(SequenceMatcher(None, text, k).ratio() > threshold for k in kept)


@dataclass
class Decision:
    """One move of the episode: the root's children's figures when the next step was chosen."""

    root: Node
    chosen: int
    pi: list[float]
    Q: list[float]
    r: list[float]
    values: list[float]
    N: list[int]


@dataclass
class SearchResult:
    """A finished episode: the whole tree, the moves made, the final node and the prior mode."""

    root: Node
    decisions: list[Decision]
    final: Node
    priors: str
    nodes: int = 0
    stats: dict[str, int] = field(default_factory=dict)


class MCTS:
    """The step-level search of one question (one tree, re-rooted after each move)."""

    def __init__(
        self, policy: Policy, problem: Problem, config: SearchConfig, rng: random.Random
    ) -> None:
        self.policy, self.problem, self.config, self.rng = policy, problem, config, rng
        self.root = Node(id=0, step=None)
        self._ids = 1
        self.saw_logprobs = False
        self.saw_no_logprobs = False
        self.expansions = 0

    # -- the episode -------------------------------------------------------------------------

    async def run(self) -> SearchResult:
        """Search, move, re-root, until the chosen step is terminal."""
        decisions: list[Decision] = []
        current = self.root
        while not current.is_terminal:
            await self.search(current)
            if not current.children:
                break
            decision = self._decide(current)
            decisions.append(decision)
            current = current.children[decision.chosen]
            if self.config.n_actions == 1:
                break
        unused = await self._drop_prefetched()
        priors = "logprobs" if self.saw_logprobs and not self.saw_no_logprobs else "uniform"
        if self.saw_logprobs and self.saw_no_logprobs:
            priors = "mixed"
        return SearchResult(
            root=self.root,
            decisions=decisions,
            final=current,
            priors=priors,
            nodes=self._ids,
            stats={"expansions": self.expansions, "prefetch_unused": unused},
        )

    async def search(self, root: Node) -> None:
        """`n_iters` iterations from `root` (four times as many from the tree's root)."""
        n = self.config.n_iters if root.depth else self.config.n_iters * 4
        for _ in range(n):
            await self.iterate(root)

    async def iterate(self, root: Node) -> list[Node]:
        """Select, expand down to a terminal node or the depth limit, back up."""
        root.N += 1
        path = self._select(root)
        while not self._stop(path[-1], root):
            await self.expand(path[-1])
            if self._stop(path[-1], root) or not path[-1].children:
                break
            path.append(self._puct_select(path[-1]))
        self._back_propagate(path)
        return path

    # -- selection and backup ----------------------------------------------------------------

    def _stop(self, node: Node, root: Node) -> bool:
        return node.is_terminal or node.depth - root.depth >= self.config.depth_limit

    def _select(self, node: Node) -> list[Node]:
        path = [node]
        root = node
        while node.children and not self._stop(node, root):
            node = self._puct_select(node)
            path.append(node)
        return path

    def puct(self, node: Node) -> float:
        """Q + w_exp * prior * sqrt(parent N) / (1 + N)."""
        assert node.parent is not None
        explore = self.config.w_exp * node.prior * math.sqrt(node.parent.N) / (1 + node.N)
        return node.Q + explore

    def _puct_select(self, node: Node) -> Node:
        assert node.children
        return max(node.children, key=self.puct)  # first of equals, as Python's max

    def _back_propagate(self, path: list[Node]) -> None:
        gamma = self.config.gamma
        leaf = path[-1]
        leaf.Q = leaf.r + gamma * leaf.V
        leaf.N += 1
        for node in reversed(path[:-1]):
            assert node.children
            weights = [max(1, c.N) for c in node.children]
            node.V = sum(w * c.Q for w, c in zip(weights, node.children, strict=True)) / sum(
                weights
            )
            node.N += 1
            if node.step is not None:
                node.Q = node.r + gamma * node.V

    # -- expansion -----------------------------------------------------------------------------

    async def expand(self, node: Node) -> None:
        """Propose candidate steps, drop near-duplicates, add the reference's step, evaluate.

        With `prefetch`, the proposals for each new non-terminal child go out together with the
        children's evaluations (the search expands most of them later; unused ones are
        cancelled at the end and counted in `stats["prefetch_unused"]`).
        """
        if node.is_terminal:
            return
        self.expansions += 1
        cfg = self.config
        prefix = node.steps()
        if node.pending is not None:
            proposed, node.pending = await node.pending, None
        else:
            proposed = await self._propose_for(prefix, node.depth)
        candidates = self._filter(proposed)
        gt = self._reference_step(prefix) if cfg.include_gt else None
        if gt is not None and gt.text not in [c.text for c in candidates]:
            candidates.insert(0, gt)
        if not candidates:  # upstream appends a bare end-of-sequence step
            candidates = [Candidate(text="", terminal=True)]
        terminal = [c.terminal or node.depth + 1 >= cfg.max_depth for c in candidates]
        prefetched: list[asyncio.Future[list[Candidate]] | None] = [
            asyncio.ensure_future(self._propose_for([*prefix, c.text], node.depth + 1))
            if cfg.prefetch and not t
            else None
            for c, t in zip(candidates, terminal, strict=True)
        ]
        values = await asyncio.gather(*(self._value(node, prefix, c) for c in candidates))
        priors = self._priors(candidates, gt)
        children = []
        for cand, value, prior, term, pending in zip(
            candidates, values, priors, terminal, prefetched, strict=True
        ):
            child = Node(
                id=self._ids,
                step=cand.text,
                parent=node,
                prior=prior,
                value=value,
                is_terminal=term,
                source="reference" if cand is gt else "policy",
                pending=pending,
            )
            self._ids += 1
            children.append(child)
        node.children = children if node.children is None else node.children + children

    def _propose_for(self, prefix: list[str], depth: int) -> Awaitable[list[Candidate]]:
        """The proposal call(s) for a node at `depth` (n and forced termination as upstream)."""
        cfg = self.config
        to_end = cfg.force_terminating_on_depth_limit and depth + 1 > cfg.depth_limit
        n = cfg.n_init_actions if depth == 0 else cfg.n_actions
        if to_end:
            n = 2 if self.problem.multiple_choice and cfg.n_actions > 1 else 1
        return self._propose(prefix, n, depth == 0, to_end)

    async def _drop_prefetched(self) -> int:
        """Cancel the proposals fetched for nodes the search never expanded."""
        pending = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.pending is not None:
                pending.append(node.pending)
                node.pending = None
            stack.extend(node.children or [])
        for fut in pending:
            fut.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(pending)

    async def _propose(
        self, prefix: list[str], n: int, at_root: bool, to_end: bool
    ) -> list[Candidate]:
        """Sample n steps; below the root each sample's temperature is `temperature` with
        probability 3/4, else 1.0 (as upstream), so the samples go out in at most two calls."""
        cfg = self.config
        if at_root:
            groups = {cfg.init_temperature: n}
        else:
            groups = {}
            for _ in range(n):
                t = cfg.temperature if self.rng.random() < 0.75 else 1.0
                groups[t] = groups.get(t, 0) + 1
        results = await asyncio.gather(
            *(self.policy.propose(prefix, k, t, to_end) for t, k in groups.items())
        )
        return [c for batch in results for c in batch]

    def _filter(self, proposed: list[Candidate]) -> list[Candidate]:
        kept: list[Candidate] = []
        for cand in proposed:
            if not cand.text.strip() or len(kept) >= self.config.breadth_limit:
                continue
            if near_duplicate(cand.text, [k.text for k in kept], self.config.similarity_threshold):
                continue
            kept.append(cand)
        return kept

    def _reference_step(self, prefix: list[str]) -> Candidate | None:
        """The reference solution's next step when the path so far follows it exactly."""
        ref = self.problem.reference_steps
        if self.problem.multiple_choice or not ref or len(prefix) >= len(ref):
            return None
        if "".join(prefix).strip() != "".join(ref[: len(prefix)]).strip():
            return None
        i = len(prefix)
        return Candidate(text=ref[i], terminal=i == len(ref) - 1)

    def _priors(self, candidates: list[Candidate], gt: Candidate | None) -> list[float]:
        """Length-normalised likelihoods; uniform 1/k when the sampled steps have no logprobs
        (the reference's step, which no provider scores, takes the highest sampled prior)."""
        sampled = [c for c in candidates if c is not gt and c.text]
        if any(c.logprobs is not None for c in sampled):
            self.saw_logprobs = True
        if any(c.logprobs is None for c in sampled):
            self.saw_no_logprobs = True
        if not any(c.logprobs is not None for c in candidates):
            return [1.0 / len(candidates)] * len(candidates)
        lp = self.config.length_penalty
        scored = [length_normalised_prior(c.logprobs, lp) for c in candidates if c.logprobs]
        best = max(scored) if scored else 1.0
        return [
            length_normalised_prior(c.logprobs, lp) if c.logprobs is not None else best
            for c in candidates
        ]

    async def _value(self, node: Node, prefix: list[str], cand: Candidate) -> float:
        conf = await self.policy.evaluate(prefix, cand.text) if self.config.self_eval else 0.0
        outcome = terminal_outcome(self.problem, [*prefix, cand.text]) if cand.terminal else None
        return step_value(
            conf,
            node.depth,
            node.value,
            outcome,
            multiple_choice=self.problem.multiple_choice,
            n_actions=self.config.n_actions,
        )

    # -- the move ------------------------------------------------------------------------------

    def _decide(self, root: Node) -> Decision:
        """Upstream's _get_simulated_pi with return_selection."""
        children = root.children or []
        cfg = self.config
        diversity = cfg.consider_diversity and cfg.n_actions > 1
        temp = cfg.mcts_temperature * cfg.mcts_temperature_decay_ratio**root.depth
        pi = _move_probs(children, temp, diversity)
        if temp == 0:
            chosen = max(
                range(len(children)),
                key=lambda i: (
                    children[i].N * (_spread(children[i]) + 1 if diversity else 1),
                    children[i].Q,
                    children[i].V,
                ),
            )
        else:
            chosen = self.rng.choices(range(len(children)), weights=pi)[0]
        return Decision(
            root=root,
            chosen=chosen,
            pi=pi,
            Q=[c.Q for c in children],
            r=[c.r for c in children],
            values=[c.value for c in children],
            N=[c.N for c in children],
        )


def _spread(node: Node) -> int:
    """Upstream's calculate_diversity_score: the gap between the children's visit counts."""
    if not node.children:
        return 0
    counts = [c.N for c in node.children]
    return max(counts) - min(counts)


def _move_probs(children: list[Node], temp: float, diversity: bool) -> list[float]:
    if temp > 0:
        try:
            counts = [
                (math.exp(c.Q) * (len(c.children or []) + 1 if diversity else 1)) ** (1 / temp)
                if c.Q
                else c.Q
                for c in children
            ]
            total = float(sum(counts))
            return [x / total for x in counts]
        except (OverflowError, ZeroDivisionError):
            pass
    best = max(c.N for c in children)
    winners = [i for i, c in enumerate(children) if c.N == best]
    return [1 / len(winners) if i in winners else 0.0 for i in range(len(children))]
