"""Prices from LiteLLM's table, read only when LiteLLM is installed (it is not a dependency).

The table ships inside the litellm package as JSON; it is read without importing litellm (whose
import takes seconds) and cached for the process.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

from agentbench import Usage

TABLE_FILE = "model_prices_and_context_window_backup.json"


@functools.cache
def price_table() -> dict[str, Any]:
    """LiteLLM's model price table, or {} when litellm is not installed."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    for location in spec.submodule_search_locations:
        path = Path(location) / TABLE_FILE
        if path.is_file():
            try:
                return json.loads(path.read_text())
            except (OSError, ValueError):
                return {}
    return {}


def cost_of(model: str, usage: Usage, provider: str, cache_write_tokens: int = 0) -> float | None:
    """USD cost of `usage` for `model`, or None when the table does not price it.

    `usage.input_tokens` includes the cached and cache-write tokens, priced at their own rates.
    """
    table = price_table()
    entry = table.get(model) or table.get(f"{provider}/{model}")
    if not entry or "input_cost_per_token" not in entry:
        return None
    input_rate = entry["input_cost_per_token"]
    cached = usage.cached_tokens
    fresh = max(0, usage.input_tokens - cached - cache_write_tokens)
    return (
        fresh * input_rate
        + cached * entry.get("cache_read_input_token_cost", input_rate)
        + cache_write_tokens * entry.get("cache_creation_input_token_cost", input_rate)
        + usage.output_tokens * entry.get("output_cost_per_token", 0.0)
    )
