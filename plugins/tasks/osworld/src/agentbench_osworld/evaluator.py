"""OSWorld's evaluator: postconfig, then `func` applied to the `result` and `expected` getters.

- `func: "infeasible"` scores 1 exactly when the agent's last action is FAIL.
- For every other task a last action of FAIL scores 0.
- `func` may be a list: `result`, `expected` and `options` are then lists too, and `conj`
  ("and", the default, or "or") combines them: "and" is 0 at the first 0 and the mean otherwise;
  "or" is 1 at the first 1 and the maximum otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .getters import EvalEnv, UnknownGetter, getter
from .metrics import METRICS
from .setup import SetupEnv, run_steps


class EvaluatorError(ValueError):
    """The evaluator config names a metric or getter this plugin does not have."""


@dataclass
class Verdict:
    """The score and how it came about."""

    score: float
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)


def is_fail(action: Any) -> bool:
    return action == "FAIL" or (isinstance(action, dict) and action.get("action_type") == "FAIL")


def unsupported(evaluator: dict[str, Any]) -> list[str]:
    """Metric and getter names of an evaluator that this plugin does not implement."""
    missing = []
    funcs = evaluator.get("func")
    for name in funcs if isinstance(funcs, list) else [funcs]:
        if name != "infeasible" and name not in METRICS:
            missing.append(f"metric {name}")
    for key in ("result", "expected"):
        configs = evaluator.get(key)
        for config in configs if isinstance(configs, list) else [configs]:
            if isinstance(config, dict) and "type" in config:
                try:
                    getter(config["type"])
                except UnknownGetter:
                    missing.append(f"getter {config['type']}")
    return missing


async def evaluate(evaluator: dict[str, Any], env: EvalEnv, setup_env: SetupEnv) -> Verdict:
    """Score the episode the way OSWorld's `DesktopEnv.evaluate` does."""
    await run_steps(evaluator.get("postconfig", []), setup_env)
    last = env.action_history[-1] if env.action_history else None
    func = evaluator["func"]
    if func == "infeasible":
        ok = is_fail(last)
        return Verdict(
            float(ok),
            "infeasible task: " + ("the agent said FAIL" if ok else "the agent did not say FAIL"),
        )
    if is_fail(last):
        return Verdict(0.0, "the agent said FAIL on a feasible task")
    missing = unsupported(evaluator)
    if missing:
        raise EvaluatorError(f"unsupported evaluator parts: {', '.join(missing)}")
    if isinstance(func, list):
        return await _evaluate_many(evaluator, env)
    score, detail = await _one(
        func,
        evaluator.get("result"),
        evaluator.get("expected"),
        evaluator.get("options") or {},
        env,
    )
    return Verdict(score, f"{func}: {score:g}", {"metrics": [detail]})


async def _evaluate_many(evaluator: dict[str, Any], env: EvalEnv) -> Verdict:
    funcs: list[str] = evaluator["func"]
    conj = evaluator.get("conj", "and")
    results = evaluator.get("result") or [None] * len(funcs)
    expected = evaluator.get("expected") or [None] * len(funcs)
    options = evaluator.get("options") or [{}] * len(funcs)
    if isinstance(options, dict):
        options = [options] * len(funcs)
    scores, details = [], []
    for i, name in enumerate(funcs):
        try:
            score, detail = await _one(name, results[i], expected[i], options[i] or {}, env)
        except FileNotFoundError as exc:
            if conj == "and":
                return Verdict(0.0, f"{name}: file not found ({exc})", {"metrics": details})
            score, detail = 0.0, {"metric": name, "score": 0.0, "error": str(exc)}
        details.append(detail)
        if conj == "and" and score == 0.0:
            return Verdict(0.0, f"{name} scored 0 (conj and)", {"metrics": details})
        if conj == "or" and score == 1.0:
            return Verdict(1.0, f"{name} scored 1 (conj or)", {"metrics": details})
        scores.append(score)
    total = sum(scores) / len(scores) if conj == "and" else max(scores)
    return Verdict(total, f"{conj} of {', '.join(funcs)}: {total:g}", {"metrics": details})


async def _one(
    name: str, result_cfg: Any, expected_cfg: Any, options: dict[str, Any], env: EvalEnv
) -> tuple[float, dict[str, Any]]:
    metric = METRICS[name]
    result_state = await getter(result_cfg["type"])(env, result_cfg) if result_cfg else None
    expected_state = await getter(expected_cfg["type"])(env, expected_cfg) if expected_cfg else None
    if expected_state is not None:
        score = metric(result_state, expected_state, **options)
    else:
        score = metric(result_state, **options)
    return float(score), {"metric": name, "score": float(score), "result": _short(result_state)}


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else repr(value)
    return text[:500]
