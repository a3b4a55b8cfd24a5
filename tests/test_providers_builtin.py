"""The built-in offline models: scripted, oracle, null and replay."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentbench import (
    DataError,
    EpisodeInfo,
    ImagePart,
    Message,
    Model,
    ModelError,
    Sample,
    Task,
    load_plugins,
)
from agentbench.model import set_current_episode

PNG = b"\x89PNG\r\n\x1a\n fake image bytes"
HELLO = [Message.user("hello there")]


@pytest.fixture(scope="module")
def providers():
    return load_plugins().providers


def provider(providers, name: str, model_name: str = "", **options):
    return providers[name][0](model_name, **options)


async def call(prov, sample_id: str = "s1", epoch: int = 0, task: Task | None = None, info=None):
    """One model call inside an episode (a fresh one unless `info` is given)."""
    info = info or EpisodeInfo(task=task, sample=Sample(id=sample_id), epoch=epoch)
    set_current_episode(info)
    try:
        return await Model(prov.name, prov).generate(HELLO)
    finally:
        set_current_episode(None)


def test_the_four_are_registered_by_agentbench(providers) -> None:
    for name in ("scripted", "oracle", "null", "replay"):
        assert providers[name][1] == "agentbench-runner", name


# -- scripted --------------------------------------------------------------------------------


async def test_scripted_plays_the_nth_response_on_the_nth_call_of_each_episode(providers) -> None:
    prov = provider(providers, "scripted", responses=["first", "second"])
    a, b = (
        EpisodeInfo(task=None, sample=Sample(id="a")),
        EpisodeInfo(task=None, sample=Sample(id="b")),
    )
    texts = [(await call(prov, info=info)).text for info in (a, b, a, b)]
    assert texts == ["first", "first", "second", "second"]


async def test_scripted_episodes_in_parallel_do_not_share_a_position(providers) -> None:
    prov = provider(providers, "scripted", responses=["1", "2", "3"])
    model = Model("scripted", prov)

    async def episode(sample_id: str) -> list[str]:
        set_current_episode(EpisodeInfo(task=None, sample=Sample(id=sample_id)))
        out = []
        for _ in range(3):
            out.append((await model.generate(HELLO)).text)
            await asyncio.sleep(0)
        return out

    results = await asyncio.gather(*(episode(f"s{i}") for i in range(5)))
    assert results == [["1", "2", "3"]] * 5


async def test_scripted_tool_calls_images_and_usage(providers) -> None:
    script = [
        {"tool_calls": [{"name": "bash", "arguments": {"cmd": "ls"}}]},
        {"text": "look", "images": [{"data": ImagePart.from_bytes(PNG).data}]},
        {"text": "done", "usage": {"input_tokens": 7, "output_tokens": 2, "cost": 0.5}},
    ]
    prov = provider(providers, "scripted", responses=script)
    info = EpisodeInfo(task=None, sample=Sample(id="s"))
    first, second, third = [await call(prov, info=info) for _ in range(3)]
    assert first.stop_reason == "tool_calls"
    assert first.tool_calls[0].name == "bash" and first.tool_calls[0].arguments == {"cmd": "ls"}
    assert first.tool_calls[0].id  # every call gets an id a tool result can refer to
    assert second.message.text == "look" and second.message.images[0].to_bytes() == PNG
    assert (third.usage.input_tokens, third.usage.output_tokens, third.usage.cost) == (7, 2, 0.5)
    assert first.usage.input_tokens > 0  # estimated from the prompt when the script says nothing


async def test_scripted_mapping_per_sample_with_a_default(providers) -> None:
    prov = provider(providers, "scripted", responses={"s1": ["for s1"], "*": ["for the rest"]})
    assert (await call(prov, "s1")).text == "for s1"
    assert (await call(prov, "s9")).text == "for the rest"
    only = provider(providers, "scripted", responses={"s1": ["x"]})
    with pytest.raises(ModelError, match="no responses for sample 's2'"):
        await call(only, "s2")


async def test_scripted_running_out_is_a_clear_error_and_not_retried(providers) -> None:
    prov = provider(providers, "scripted", responses=["only one"])
    info = EpisodeInfo(task=None, sample=Sample(id="s7"))
    await call(prov, info=info)
    with pytest.raises(
        ModelError, match=r"ran out of responses for sample 's7': call #2, but .* has 1"
    ):
        await call(prov, info=info)


async def test_scripted_from_json_and_yaml_files(providers, tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "script.json").write_text(json.dumps({"s1": ["json answer"]}))
    (tmp_path / "script.yaml").write_text(
        "- text: see the picture\n  images: [shot.png]\n"
        "- tool_calls:\n    - {name: click, arguments: {x: 1, y: 2}, id: c1}\n"
    )
    from_json = provider(providers, "scripted", str(tmp_path / "script.json"))
    assert (await call(from_json, "s1")).text == "json answer"
    from_yaml = provider(providers, "scripted", file=str(tmp_path / "script.yaml"))
    info = EpisodeInfo(task=None, sample=Sample(id="any"))
    picture = await call(from_yaml, info=info)
    click = await call(from_yaml, info=info)
    assert picture.message.images[0].to_bytes() == PNG  # read relative to the script file
    assert click.tool_calls[0].id == "c1" and click.tool_calls[0].arguments == {"x": 1, "y": 2}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '[\n  "ok",\n  oops\n]', r"bad\.json:3: malformed JSON"),
        ("bad.yaml", "- ok\n- [unclosed\n", r"bad\.yaml:\d+: malformed YAML"),
        ("keys.yaml", "- ok\n- {txet: typo}\n", r"response #2: unknown response key\(s\) txet"),
        ("scalar.yaml", "just a string\n", r"a list of responses"),
        ("img.yaml", "- {text: x, images: [missing.png]}\n", r"cannot read image .*missing\.png"),
    ],
)
def test_bad_script_files_name_the_path_and_place(providers, tmp_path, name, text, message) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        provider(providers, "scripted", str(path))


def test_scripted_without_a_script_says_how_to_give_one(providers) -> None:
    with pytest.raises(DataError, match="needs a script") as info:
        provider(providers, "scripted")
    assert "scripted/" in (info.value.fix or "")


# -- oracle and null ---------------------------------------------------------------------------


class RefTask(Task):
    name = "ref"

    def __init__(self, reference) -> None:
        super().__init__()
        self._reference = reference

    def reference(self, sample: Sample):
        return self._reference


async def test_oracle_answers_with_the_reference(providers) -> None:
    prov = provider(providers, "oracle")
    assert (await call(prov, task=RefTask("42"))).text == "42"
    message = Message.assistant("as a message")
    assert (await call(prov, task=RefTask(message))).text == "as a message"


async def test_oracle_list_reference_gives_one_item_per_call(providers) -> None:
    prov = provider(providers, "oracle")
    steps = [{"tool_calls": [{"name": "python", "arguments": {"code": "1"}}]}, "final"]
    info = EpisodeInfo(task=RefTask(steps), sample=Sample(id="s"))
    first, second = await call(prov, info=info), await call(prov, info=info)
    assert first.tool_calls[0].name == "python" and second.text == "final"
    with pytest.raises(ModelError, match="has 2 step"):
        await call(prov, info=info)


async def test_oracle_without_reference_or_episode_is_an_error(providers) -> None:
    prov = provider(providers, "oracle")
    with pytest.raises(ModelError, match="no reference answer for sample 's1'"):
        await call(prov, task=RefTask(None))
    with pytest.raises(ModelError, match="only inside an episode"):
        await Model("oracle", prov).generate(HELLO)


async def test_null_answers_a_constant(providers) -> None:
    assert (await call(provider(providers, "null"))).text == ""
    assert (await call(provider(providers, "null"))).usage.input_tokens > 0  # estimated
    configured = provider(providers, "null", answer="I give up")
    assert [(await call(configured)).text for _ in range(2)] == ["I give up"] * 2


# -- replay ------------------------------------------------------------------------------------


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


async def test_replay_keys_by_sample_and_epoch_and_reports_the_field(providers, tmp_path) -> None:
    path = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            {"task_id": "HumanEval/0", "completion": "    return 1\n"},
            {"task_id": "HumanEval/0", "completion": "    return 2\n"},
            "",
            {"sample_id": "s2", "solution": "def f(): pass", "epoch": 3},
            {"task_id": "s3", "output": "plain output"},
        ],
    )
    prov = provider(providers, "replay", str(path))
    first = await call(prov, "HumanEval/0", epoch=0)
    second = await call(prov, "HumanEval/0", epoch=1)
    assert (first.text, second.text) == ("    return 1\n", "    return 2\n")
    assert first.metadata["replay_field"] == "completion"
    solution = await call(prov, "s2", epoch=3)
    assert solution.text == "def f(): pass" and solution.metadata["replay_field"] == "solution"
    assert (await call(prov, "s3")).metadata["replay_field"] == "output"
    with pytest.raises(
        ModelError,
        match=r"no completion for sample 'HumanEval/0' epoch 2 \(it has epochs \[0, 1\]\)",
    ):
        await call(prov, "HumanEval/0", epoch=2)


async def test_replay_list_answers_are_consecutive_epochs(providers, tmp_path) -> None:
    path = write_jsonl(
        tmp_path / "multi.jsonl",
        [
            {"task_id": "a", "completion": ["one", "two", "three"]},
            {"task_id": "a", "completion": "four"},
            {"task_id": "b", "solution": ["x", "y"], "epoch": 5},
        ],
    )
    prov = provider(providers, "replay", str(path))
    assert [(await call(prov, "a", epoch=e)).text for e in range(4)] == [
        "one",
        "two",
        "three",
        "four",
    ]
    assert [(await call(prov, "b", epoch=e)).text for e in (5, 6)] == ["x", "y"]


async def test_replay_reads_a_json_array_of_predict_records(providers, tmp_path) -> None:
    # The shape of ClassEval's published outputs: task records with one code per sample.
    path = tmp_path / "model_output.json"
    records = [
        {"task_id": "ClassEval_0", "skeleton": "...", "predict": ["class A: pass", "class A: x"]},
        {"task_id": "ClassEval_1", "predict": ["class B: pass"]},
    ]
    path.write_text(json.dumps(records, indent=2))
    prov = provider(providers, "replay", str(path))
    assert [(await call(prov, "ClassEval_0", epoch=e)).text for e in (0, 1)] == [
        "class A: pass",
        "class A: x",
    ]
    output = await call(prov, "ClassEval_1")
    assert output.text == "class B: pass" and output.metadata["replay_field"] == "predict"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"task_id": "a", "completion": []}', "no answer text"),
        ('{"task_id": "a", "completion": ["ok", 3]}', "no answer text"),
        ("{not json", "malformed JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"completion": "x"}', "no sample id"),
        ('{"task_id": "a"}', "no answer text"),
        ('{"task_id": "a", "completion": 5}', "no answer text"),
        ('{"task_id": "a", "completion": "x", "epoch": -1}', "epoch must be an integer"),
        (
            '{"task_id": "s0", "completion": "again", "epoch": 0}',
            "a second completion for sample 's0' epoch 0",
        ),
    ],
)
def test_replay_bad_lines_name_path_and_line(providers, tmp_path, line, message) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"task_id": "s0", "completion": "ok"}, "", line])
    with pytest.raises(DataError, match=message) as info:
        provider(providers, "replay", file=str(path))
    assert f"{path}:3:" in str(info.value)


def test_replay_missing_file_is_a_data_error(providers, tmp_path) -> None:
    with pytest.raises(DataError, match="cannot read replay file"):
        provider(providers, "replay", str(tmp_path / "nope.jsonl"))
