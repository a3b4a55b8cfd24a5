"""The contamination probe with scripted models: a contaminated and a clean case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_contamination.overlap import match_kind, rouge_l
from agentbench_contamination.prompts import general_prompt, guided_prompt, split_instance
from agentbench_contamination.stats import paired_bootstrap
from agentbench_contamination.task import ContaminationProbe

from agentbench import ConfigError, RunConfig, run_async

OPTIONS = {
    "task": "humaneval-pro",
    "task_options": {"data": "demo"},
    "field": "metadata.record.raw_problem",
    "dataset": "HumanEval Pro",
}


def test_the_guided_prompt_is_upstreams_text() -> None:
    # upstream's "cls" guided template (src/prompts/guided_instructions.py @ a307eef2)
    expected = (
        "INSTRUCTION:\n"
        "You are provided with the FIRST PIECE of an instance from the test split of the "
        "IMDB dataset.\n"
        "Finish the SECOND PIECE of the instance as EXACTLY appeared in the dataset.\n"
        "ONLY rely on the original form of the instance in the dataset to finish the "
        "SECOND PIECE.\n\nLABEL: positive\n\nFIRST PIECE:\nA fine film.\n\nSECOND PIECE:\n"
    )
    got = guided_prompt("A fine film.", dataset="IMDB", split="test", label="positive")
    assert got == expected
    general = general_prompt("A fine film.", label="positive")
    assert general.startswith(
        "INSTRUCTION:\nFinish the SECOND PIECE based on the FIRST PIECE, such that these two "
        "pieces become a single instance with the following LABEL.\n\nLABEL: positive\n"
    )
    assert "dataset" not in general_prompt("x")


def test_the_cut_follows_upstream() -> None:
    # random.seed(42); uniform(0.4 n, 0.7 n) = 4 + 3 * 0.6394 = 5.92 -> 6 of 10 words
    words = " ".join(f"w{i}" for i in range(10))
    first, second = split_instance(words)
    assert first == "w0 w1 w2 w3 w4 w5" and second == "w6 w7 w8 w9"
    text = "One. Two! Three? Four. Five."
    assert split_instance(text) == ("One. Two! Three?", "Four. Five.")  # round(2.96) = 3
    code = "a = 1\nb = 2\nc = 3\nd = 4\n"
    assert split_instance(code, unit="line") == ("a = 1\nb = 2", "c = 3\nd = 4")


def test_overlap_and_matches() -> None:
    assert rouge_l("the cat sat", "the cat sat") == 1.0
    assert rouge_l("", "the cat") == 0.0
    assert match_kind(" the  cat\n", "the cat", 1.0, 0.75) == "exact"
    assert match_kind("the cat sat here", "the cat sat", 0.86, 0.75) == "near_exact"
    test = paired_bootstrap([1.0, 0.9, 0.8, 1.0], [0.2, 0.1, 0.3, 0.2], resamples=2000)
    assert test["p_value"] == 0.0 and test["difference"] == pytest.approx(0.725)
    same = paired_bootstrap([0.5, 0.2, 0.4], [0.5, 0.2, 0.4], resamples=2000)
    assert same["p_value"] == 1.0  # no difference is ever above 0


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="itself"):
        ContaminationProbe({"task": "contamination"})
    probe = ContaminationProbe({**OPTIONS, "field": "metadata.record.nope"})
    with pytest.raises(ConfigError, match="no field"):
        list(probe.samples())


async def _probe(tmp_path: Path, name: str, script: dict) -> dict:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(script))
    summary = await run_async(
        RunConfig(
            task="contamination",
            model=f"scripted/{path}",
            task_options={**OPTIONS, "resamples": 2000},
            run_dir=str(tmp_path / "runs"),
            run_name=name,
            progress="none",
            sandbox="local",
        )
    )
    assert summary.errors == 0
    return summary.metrics["contamination"]


async def test_guided_completions_that_copy_the_remainder_are_flagged(tmp_path: Path) -> None:
    samples = list(ContaminationProbe(OPTIONS).samples())
    assert len(samples) == 5
    # The contaminated model reproduces the remainder when the dataset is named, and writes
    # something plausible but different when it is not.
    script = {
        s.id: {"guided": s.target, "general": '    Return the answer.\n    """\n'} for s in samples
    }
    verdict = await _probe(tmp_path, "dirty", script)
    assert verdict["contaminated"] is True and verdict["significant"] is True
    assert verdict["exact_matches"] == 5
    assert verdict["mean_guided"] == 1.0 and verdict["mean_general"] < 0.5
    assert verdict["p_value"] < 0.05
    assert verdict["test"] == "one-sided paired bootstrap over samples"


async def test_a_clean_model_is_not_flagged(tmp_path: Path) -> None:
    samples = list(ContaminationProbe(OPTIONS).samples())
    # A clean model writes the same kind of text whichever instruction it gets.
    script = {
        s.id: {"guided": "    Return the result.\n", "general": "    Return the result.\n"}
        for s in samples
    }
    verdict = await _probe(tmp_path, "clean", script)
    assert verdict["contaminated"] is False
    assert verdict["difference"] == 0.0 and verdict["p_value"] == 1.0
    assert verdict["exact_matches"] == 0 and verdict["near_exact_matches"] == 0
