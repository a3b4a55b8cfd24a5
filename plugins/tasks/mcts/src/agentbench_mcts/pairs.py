"""Preference pairs from a searched tree, and the files they are written to.

Upstream (YuxiXie/MCTS-DPO, mcts_rl/algorithms/mcts/trainer.py at fb23437f, post_tree_construct
and tsrl_step; mcts_rl/trainers/tsrl_trainer.py, the save_mcts_data writer; mcts_rl/utils.py,
check_available): walking the chosen path from the root, each node with children gives one entry:
the shared prefix and every child's completion (its step, extended through any chain of
single-child descendants), sorted ascending by (Q, pi, r, value, N). An entry with two or more
completions gives a pair: chosen = the last (highest Q), rejected = the first (lowest), the
second last, or a random other one; at most 8 pairs per tree. `filter` keeps a tree only when its
final path is correct.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from agentbench_mcts.search import Node, SearchResult

Rejected = Literal["lowest", "second", "random"]
MAX_PAIRS = 8


@dataclass
class Completion:
    """One candidate continuation at a decision point, with its figures."""

    text: str
    Q: float
    pi: float
    r: float
    value: float
    N: int


@dataclass
class Entry:
    """One decision point on the chosen path: the prefix and its sorted completions."""

    prefix: list[str]
    depth: int
    completions: list[Completion]


@dataclass
class Pair:
    """A preference pair sharing `prompt` (question prompt + prefix)."""

    prompt: str
    chosen: str
    rejected: str
    chosen_Q: float
    rejected_Q: float
    chosen_N: int
    rejected_N: int
    depth: int
    question_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _completion(child: Node) -> str:
    parts = [child.step or ""]
    while child.children and len(child.children) == 1:
        child = child.children[0]
        parts.append(child.step or "")
    return "".join(parts)


def entries(result: SearchResult) -> list[Entry]:
    """The decision points along the chosen path, single-child chains folded into the prefix."""
    out: list[Entry] = []
    node, step_id = result.root, 0
    prefix: list[str] = []
    decisions = result.decisions
    while node.children and step_id < len(decisions):
        d = decisions[step_id]
        rows = [
            (
                (d.Q[i], d.pi[i], d.r[i], d.values[i], d.N[i]),
                Completion(_completion(c), d.Q[i], d.pi[i], d.r[i], d.values[i], d.N[i]),
            )
            for i, c in enumerate(node.children)
        ]
        rows.sort(key=lambda row: row[0])
        out.append(Entry(list(prefix), node.depth, [c for _, c in rows]))
        node = node.children[d.chosen]
        prefix.append(node.step or "")
        step_id += 1
        while node.children and len(node.children) == 1:
            node = node.children[0]
            prefix.append(node.step or "")
            step_id += 1
    return out


def extract_pairs(
    result: SearchResult,
    prompt: str,
    *,
    rejected: Rejected = "lowest",
    max_pairs: int = MAX_PAIRS,
    rng: random.Random | None = None,
    question_id: str = "",
) -> list[Pair]:
    """At most `max_pairs` pairs: chosen = highest Q, rejected by the `rejected` rule."""
    pairs: list[Pair] = []
    for entry in entries(result):
        if len(pairs) >= max_pairs:
            break
        comps = entry.completions
        if len(comps) < 2:
            continue
        if rejected == "lowest":
            worse = comps[0]
        elif rejected == "second":
            worse = comps[-2]
        else:
            worse = comps[(rng or random.Random(0)).randrange(len(comps) - 1)]
        better = comps[-1]
        if better.text == worse.text:
            continue
        pairs.append(
            Pair(
                prompt=prompt + "".join(entry.prefix),
                chosen=better.text,
                rejected=worse.text,
                chosen_Q=better.Q,
                rejected_Q=worse.Q,
                chosen_N=better.N,
                rejected_N=worse.N,
                depth=entry.depth,
                question_id=question_id,
            )
        )
    return pairs


def upstream_record(result: SearchResult, prompt: str) -> dict[str, Any]:
    """The mcts_rst_data.jsonl line: prompt, generated (prefix + completion, ascending) and
    init_values (visit counts in the same order), one list per decision point."""
    rows = entries(result)
    return {
        "prompt": prompt,
        "generated": [[prompt + "".join(e.prefix) + c.text for c in e.completions] for e in rows],
        "init_values": [[c.N for c in e.completions] for e in rows],
    }


def dpo_lines(pairs: Iterable[Pair | dict[str, Any]]) -> list[str]:
    """TRL DPO JSONL lines: exactly prompt, chosen, rejected."""
    out = []
    for pair in pairs:
        d = pair.to_dict() if isinstance(pair, Pair) else pair
        out.append(
            json.dumps(
                {"prompt": d["prompt"], "chosen": d["chosen"], "rejected": d["rejected"]},
                ensure_ascii=False,
            )
        )
    return out


def tree_json(result: SearchResult, *, question_id: str = "") -> dict[str, Any]:
    """The whole tree as plain data: every node's step, prior, value, Q, V, N and children."""
    nodes: list[dict[str, Any]] = []
    stack = [result.root]
    while stack:
        node = stack.pop()
        nodes.append(
            {
                "id": node.id,
                "parent": None if node.parent is None else node.parent.id,
                "depth": node.depth,
                "step": node.step,
                "source": node.source,
                "prior": node.prior,
                "value": node.value,
                "r": node.r,
                "Q": node.Q,
                "V": node.V,
                "N": node.N,
                "terminal": node.is_terminal,
                "children": [c.id for c in node.children or []],
            }
        )
        stack.extend(reversed(node.children or []))
    nodes.sort(key=lambda n: n["id"])
    return {
        "question_id": question_id,
        "priors": result.priors,
        "path": [d.root.id for d in result.decisions] + [result.final.id],
        "nodes": nodes,
    }
