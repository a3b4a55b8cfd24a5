"""Model prices from LiteLLM's table, for providers to fill in `Usage.cost`.

The table ships inside the litellm package as JSON. It is read without importing litellm (whose
import takes seconds), only when litellm is installed (agentbench does not depend on it), and
cached for the process.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

from agentbench.types import Usage

TABLE_FILE = "model_prices_and_context_window_backup.json"


@functools.cache
def price_table() -> dict[str, Any]:
    """LiteLLM's model price table (model name -> rates per token), or {} without litellm."""
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


def usage_cost(
    model: str, usage: Usage, provider: str, cache_write_tokens: int = 0
) -> float | None:
    """USD cost of `usage` for `model`, or None when the table does not price it.

    `usage.input_tokens` includes the cached and cache-write tokens, priced at their own rates.

    Args:
        model: The model name as the provider's API knows it, e.g. `gpt-4o-mini`.
        usage: The tokens of one call (or several summed).
        provider: LiteLLM's name of the provider (`openai`, `anthropic`, ...), tried as a prefix
            (`anthropic/<model>`) when the bare name is not in the table.
        cache_write_tokens: Input tokens written to the prompt cache (Anthropic bills them apart).
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
