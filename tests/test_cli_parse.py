"""Turning command-line options into a RunConfig: -T/-M/-S/-G values, limits, resume."""

from __future__ import annotations

from typing import Any

import pytest

from agentbench import ConfigError, GenerateConfig, Limits
from agentbench.cli import build_run_config, parse_kv, parse_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("False", False),
        ("null", None),
        ("3", 3),
        ("-2", -2),
        ("0.25", 0.25),
        ("1e3", 1000.0),
        ("[1, 2]", [1, 2]),
        ('{"a": 1}', {"a": 1}),
        ("[a, b]", ["a", "b"]),
        ("hello", "hello"),
        ("yes", "yes"),
        ("off", "off"),
        ("path/to/file.json", "path/to/file.json"),
        ("1.2.3", "1.2.3"),
        ("", ""),
        ("[unclosed", "[unclosed"),
        ("a=b", "a=b"),
    ],
)
def test_values_are_parsed_only_when_they_look_like_data(text: str, value: Any) -> None:
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_kv_splits_at_the_first_equals_and_normalises_dashes() -> None:
    assert parse_kv(("max-turns=3", "expr=a=b", "flag=true"), "-T") == {
        "max_turns": 3,
        "expr": "a=b",
        "flag": True,
    }


@pytest.mark.parametrize("item", ["novalue", "=3"])
def test_kv_without_a_key_and_value_names_the_item(item: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_kv((item,), "-T")
    assert repr(item) in info.value.message and info.value.fix == "write it as -T name=value"


def params(**given: Any) -> dict[str, Any]:
    return given


def test_run_config_takes_exactly_what_was_given() -> None:
    config = build_run_config(
        params(
            model="openai/gpt-4o",
            task_options=("n=3", "subset=[a, b]"),
            model_options=("base_url=http://x",),
            sandbox_options=("keep=true",),
            generate_options=("stop=[END]",),
            temperature=0.5,
            max_tokens_per_call=256,
            max_steps=7,
            time_limit=30.0,
            sample_ids=("a,b*", "c"),
            epochs=4,
            max_episodes=2,
            plugins="x,-y",
            seed=None,
        ),
        "humaneval-pro",
    )
    assert config.task == "humaneval-pro" and config.model == "openai/gpt-4o"
    assert config.task_options == {"n": 3, "subset": ["a", "b"]}
    assert config.model_options == {"base_url": "http://x"} and config.sandbox_options == {
        "keep": True
    }
    assert config.generate == GenerateConfig(temperature=0.5, max_tokens=256, stop=["END"])
    assert config.limits == Limits(max_steps=7, max_seconds=30.0)
    assert config.sample_ids == ["a", "b*", "c"] and config.epochs == 4 and config.max_episodes == 2
    assert config.plugins == ["x", "-y"]
    assert "seed" not in config.model_fields_set and "epochs" in config.model_fields_set


def test_seed_reaches_the_providers_unless_generate_sets_its_own() -> None:
    config = build_run_config(params(model="m", seed=7), "t")
    assert config.seed == 7 and config.generate.seed == 7
    config = build_run_config(params(model="m", seed=7, generate_options=("seed=3",)), "t")
    assert config.seed == 7 and config.generate.seed == 3
    assert build_run_config(params(model="m"), "t").generate.seed is None


def test_a_bad_generation_setting_is_named() -> None:
    with pytest.raises(ConfigError, match="'temprature'"):
        build_run_config(params(model="m", generate_options=("temprature=1",)), "t")


def test_resume_needs_neither_task_nor_model() -> None:
    config = build_run_config(params(resume="run-1", max_episodes=3), None)
    assert config.resume == "run-1" and config.model_fields_set >= {"resume", "max_episodes"}
    assert "model" not in config.model_fields_set


@pytest.mark.parametrize(
    ("given", "task", "message"), [({"model": "m"}, None, "no task"), ({}, "t", "no model")]
)
def test_a_new_run_needs_a_task_and_a_model(
    given: dict[str, Any], task: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_run_config(given, task)
