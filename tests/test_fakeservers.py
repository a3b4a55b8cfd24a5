"""The fake provider servers, spoken to with the standard library's HTTP client (no SDK)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from agentbench import Message, ModelChoice, ModelOutput, ToolCall
from agentbench.fakeservers import FakeAnthropicServer, FakeOpenAIServer, Fault


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi there"}]}


def test_openai_server_in_a_thread_answers_faults_then_replies() -> None:
    server = FakeOpenAIServer(api_key="k")
    with server.in_thread():
        url, auth = server.base_url + "/chat/completions", {"authorization": "Bearer k"}
        assert post(url, CHAT)[0] == 401
        server.inject(Fault.status(429, retry_after=2))
        status, headers, body = post(url, CHAT, auth)
        assert (
            status == 429
            and headers["retry-after"] == "2"
            and body["error"]["type"] == "rate_limit_error"
        )
        call = ToolCall(id="c1", name="f", arguments={"x": 1})
        server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))]))
        status, _, body = post(url, CHAT, auth)
        assert status == 200
        choice = body["choices"][0]
        assert choice["finish_reason"] == "tool_calls"
        assert json.loads(choice["message"]["tool_calls"][0]["function"]["arguments"]) == {"x": 1}
        assert body["usage"]["prompt_tokens"] == 2
        assert post(url, CHAT, auth)[2]["choices"][0]["message"]["content"] == "echo: hi there"
    assert [r.fault.kind if r.fault else None for r in server.requests] == [
        None,
        "status",
        None,
        None,
    ]


def test_openai_server_refuses_a_tool_message_without_its_call() -> None:
    with FakeOpenAIServer().in_thread() as server:
        body = {
            "model": "m",
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "nope", "content": "r"},
            ],
        }
        status, _, answer = post(server.base_url + "/chat/completions", body)
    assert status == 400 and "nope" in answer["error"]["message"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
        (
            {"model": "m", "max_tokens": 5, "messages": [{"role": "assistant", "content": "x"}]},
            "first",
        ),
        ({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}, "role"),
    ],
)
def test_anthropic_server_checks_requests_like_the_api(body: dict, problem: str) -> None:
    with FakeAnthropicServer().in_thread() as server:
        status, _, answer = post(server.base_url + "/v1/messages", body)
    assert status == 400 and answer["type"] == "error" and problem in answer["error"]["message"]


def test_anthropic_overloaded_error_format() -> None:
    with FakeAnthropicServer().in_thread() as server:
        server.inject(Fault.status(529))
        body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
        status, _, answer = post(server.base_url + "/v1/messages", body)
        assert status == 529 and answer["error"]["type"] == "overloaded_error"
        status, _, answer = post(server.base_url + "/v1/messages", body)
    assert (
        status == 200
        and answer["stop_reason"] == "end_turn"
        and answer["content"][0]["text"] == "echo: x"
    )


def test_malformed_body_is_not_json() -> None:
    with FakeOpenAIServer().in_thread() as server:
        server.inject(Fault.malformed())
        request = urllib.request.Request(
            server.base_url + "/chat/completions", data=json.dumps(CHAT).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    with pytest.raises(ValueError):
        json.loads(raw)


def test_command_line_server_prints_its_url() -> None:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "agentbench.fakeservers", "openai", "--api-key", "k"),
            *("--rate-limit", "1", "--rate-window", "60"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        status, _, body = post(url + "/chat/completions", CHAT, {"authorization": "Bearer k"})
        assert status == 200 and body["choices"][0]["message"]["content"] == "ok"
        status, headers, _ = post(url + "/chat/completions", CHAT, {"authorization": "Bearer k"})
        assert status == 429 and 58 <= int(headers["retry-after"]) <= 60  # one call a minute
    finally:
        process.terminate()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


@pytest.mark.parametrize("policy", ["window", "bucket"])
def test_a_quota_refuses_calls_over_it_with_the_wait_until_the_next_slot(policy: str) -> None:
    server = FakeOpenAIServer(rate_limit=3, rate_window_s=3.0, rate_policy=policy)  # type: ignore[arg-type]
    with server.in_thread():
        url = server.base_url + "/chat/completions"
        assert [post(url, CHAT)[0] for _ in range(3)] == [200, 200, 200]
        status, headers, body = post(url, CHAT)
        assert status == 429 and body["error"]["type"] == "rate_limit_error"
        wait_ms = int(headers["retry-after-ms"])
        # window: until the first call leaves it (~3 s); bucket: until the next refill (~1 s).
        most = 3000 if policy == "window" else 1000
        assert most - 800 < wait_ms <= most, wait_ms
        assert int(headers["retry-after"]) == -(-wait_ms // 1000)  # whole seconds, rounded up
        time.sleep(wait_ms / 1000 + 0.05)
        assert post(url, CHAT)[0] == 200
    assert server.rate_limited == 1
    assert [r.fault for r in server.requests] == [None] * 5  # no injected fault was used


def test_tool_calls_with_raw_arguments_are_sent_as_the_model_wrote_them() -> None:
    call = ToolCall(id="c1", name="f", raw_arguments='{"x": 1')
    output = ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))])
    with FakeOpenAIServer().in_thread() as server:
        server.reply(output)
        _, _, body = post(server.base_url + "/chat/completions", CHAT)
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == '{"x": 1'
    listed = ToolCall(id="t1", name="f", raw_arguments="[1, 2]")
    message = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    with FakeAnthropicServer().in_thread() as server:
        server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [listed]))]))
        _, _, body = post(server.base_url + "/v1/messages", message)
    assert body["content"][0]["input"] == [1, 2]
