"""How fast the run store records and reads back episodes, and how fast a run is summarised.

Usage: `uv run python bench/store_record.py [episodes]` (default 10,000). The last line is JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from agentbench._runner.store import Store
from agentbench.metrics import summarise
from agentbench.types import EpisodeResult, RunConfig, Score, Usage


def main(episodes: int = 10_000, epochs: int = 5) -> dict[str, float]:
    results = [
        EpisodeResult(
            run_id="bench",
            task="trivial",
            sample_id=f"s{i // epochs}",
            epoch=i % epochs + 1,
            model="scripted",
            subset=f"subset{i % 4}",
            score=Score.of(i % 3 == 0, "checked"),
            usage=Usage(input_tokens=20, output_tokens=5),
        )
        for i in range(episodes)
    ]
    events = [
        {"type": "model", "t": 0.001, "model": "scripted", "text": "def f(): return 1"},
        {"type": "exec", "t": 0.002, "cmd": "pytest", "exit_code": 0, "stdout": "1 passed"},
    ]
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp)) as store:
        store.create_run("bench", RunConfig(task="trivial", model="scripted", epochs=epochs))
        t0 = time.perf_counter()
        for result in results:
            store.record(result, events)
        record_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = store.done_keys("bench")
        stored = store.results("bench")
        read_s = time.perf_counter() - t0
        assert len(done) == len(stored) == episodes
    t0 = time.perf_counter()
    summarise("bench", "trivial", "scripted", stored, epochs=epochs, expected=episodes)
    summarise_s = time.perf_counter() - t0
    return {
        "episodes": episodes,
        "record_s": round(record_s, 3),
        "records_per_s": round(episodes / record_s),
        "read_back_s": round(read_s, 3),
        "summarise_s": round(summarise_s, 3),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
