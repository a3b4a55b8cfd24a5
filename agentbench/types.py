"""Pydantic models shared by the core and every plugin."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentbench.roles import RoleModel

Role = Literal["system", "user", "assistant", "tool"]


class TextPart(BaseModel):
    """A piece of text inside a message."""

    type: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An image inside a message, held as base64 data (PNG by default)."""

    type: Literal["image"] = "image"
    data: str = Field(description="base64-encoded image bytes")
    mime_type: str = "image/png"

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str = "image/png") -> ImagePart:
        """Build an image part from raw bytes."""
        return cls(data=base64.b64encode(data).decode("ascii"), mime_type=mime_type)

    @classmethod
    def from_file(cls, path: str | Path) -> ImagePart:
        """Build an image part from a PNG or JPEG file."""
        path = Path(path)
        mime = "image/jpeg" if path.suffix.lower() in {".jpg", ".jpeg"} else "image/png"
        return cls.from_bytes(path.read_bytes(), mime)

    def to_bytes(self) -> bytes:
        """The raw image bytes."""
        return base64.b64decode(self.data)

    @property
    def data_url(self) -> str:
        """The image as a `data:` URL, as the OpenAI wire format wants it."""
        return f"data:{self.mime_type};base64,{self.data}"


ContentPart = TextPart | ImagePart


class ToolCall(BaseModel):
    """A model's request to call a tool."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    parse_error: str | None = Field(
        default=None, description="set when the arguments were not JSON"
    )
    raw_arguments: str | None = Field(
        default=None,
        description="the arguments as the model sent them (JSON text), kept when they did not "
        "parse into an object, so that they are sent back unchanged",
    )


class Message(BaseModel):
    """One chat message: text and image parts, tool calls (assistant) or a tool result (tool)."""

    role: Role
    content: str | list[TextPart | ImagePart] = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """The text of the message with image parts left out."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> list[ImagePart]:
        """The image parts of the message."""
        if isinstance(self.content, str):
            return []
        return [p for p in self.content if isinstance(p, ImagePart)]

    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role="system", content=text)

    @classmethod
    def user(cls, content: str | list[TextPart | ImagePart]) -> Message:
        return cls(role="user", content=content)

    @classmethod
    def assistant(cls, text: str = "", tool_calls: list[ToolCall] | None = None) -> Message:
        return cls(role="assistant", content=text, tool_calls=tool_calls or [])

    @classmethod
    def tool(
        cls, tool_call_id: str, content: str | list[TextPart | ImagePart], name: str | None = None
    ) -> Message:
        return cls(role="tool", content=content, tool_call_id=tool_call_id, name=name)


class ToolSpec(BaseModel):
    """A tool offered to the model: a name, a description and a JSON schema of its parameters."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class GenerateConfig(BaseModel):
    """Sampling settings for one model call. `None` means the provider's default."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None
    timeout: float | None = Field(
        default=None, description="seconds for one call; None = the model's default"
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, description="provider-specific request fields"
    )

    def merged(self, other: GenerateConfig | None) -> GenerateConfig:
        """This config with the fields that `other` sets explicitly laid over it."""
        if other is None:
            return self
        data = self.model_dump()
        data.update(other.model_dump(exclude_unset=True))
        return GenerateConfig(**data)


class Usage(BaseModel):
    """Token usage and cost (USD; None where the price is unknown)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None
            if self.cost is None and other.cost is None
            else (self.cost or 0.0) + (other.cost or 0.0)
        )
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cost=cost,
        )


class TopLogprob(BaseModel):
    """An alternative token at one position, with its log probability."""

    token: str
    logprob: float


class TokenLogprob(BaseModel):
    """One generated token with its log probability and, if asked, the top alternatives."""

    token: str
    logprob: float
    top: list[TopLogprob] = Field(default_factory=list)


StopReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "unknown"]


class ModelChoice(BaseModel):
    """One sampled completion."""

    message: Message
    stop_reason: StopReason = "stop"
    logprobs: list[TokenLogprob] | None = None


class ModelOutput(BaseModel):
    """What a provider returns for one call: one or more choices, usage, and provider metadata."""

    model: str = ""
    choices: list[ModelChoice]
    usage: Usage = Field(default_factory=Usage)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def message(self) -> Message:
        """The first choice's message."""
        return self.choices[0].message

    @property
    def text(self) -> str:
        """The first choice's text."""
        return self.choices[0].message.text

    @property
    def stop_reason(self) -> StopReason:
        return self.choices[0].stop_reason

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self.choices[0].message.tool_calls

    @classmethod
    def from_text(cls, text: str, model: str = "", **kwargs: Any) -> ModelOutput:
        """A single-choice output holding `text`."""
        return cls(model=model, choices=[ModelChoice(message=Message.assistant(text))], **kwargs)


class ExecResult(BaseModel):
    """The outcome of a command run in a sandbox."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    truncated: bool = Field(default=False, description="output was cut at the sandbox's output cap")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Score(BaseModel):
    """The checker's verdict on an episode."""

    value: float = Field(description="0..1 for pass/fail tasks; any float for graded ones")
    passed: bool | None = None
    explanation: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, passed: bool, explanation: str = "", **details: Any) -> Score:
        """A pass/fail score: value 1.0 or 0.0."""
        return cls(
            value=1.0 if passed else 0.0, passed=passed, explanation=explanation, details=details
        )


class Sample(BaseModel):
    """One problem of a task."""

    id: str
    input: str | list[Message] = ""
    target: Any = None
    subset: str | None = Field(
        default=None, description="for per-subset breakdowns (domain, difficulty)"
    )
    metadata: dict[str, Any] = Field(default_factory=dict)


class Limits(BaseModel):
    """Per-episode budgets; None is unlimited."""

    max_steps: int | None = None
    max_tokens: int | None = None
    max_seconds: float | None = None


#: ok, limit: scored. error: the model's or the task's failure (scored 0). infra_error: a fault
#: outside the episode (the engine, a container killed from outside); provider_error: the model
#: provider stayed unavailable past its retries; cancelled: stopped by the user. The last three
#: are left out of every metric, listed apart, and run again by `--resume`.
EpisodeStatus = Literal["ok", "error", "infra_error", "provider_error", "limit", "cancelled"]


class EpisodeResult(BaseModel):
    """One finished episode, as stored."""

    run_id: str
    task: str
    sample_id: str
    epoch: int
    model: str
    subset: str | None = None
    status: EpisodeStatus = "ok"
    score: Score | None = None
    error: str | None = None
    error_stage: str | None = Field(
        default=None, description="where it failed: setup, solve, model, check or sandbox"
    )
    usage: Usage = Field(default_factory=Usage)
    usage_by_role: dict[str, Usage] = Field(
        default_factory=dict, description="usage per model role (set when a task uses several)"
    )
    steps: int = 0
    attempts: int = 1
    started_at: float = Field(default_factory=time.time)
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(
            self.score
            and (self.score.passed if self.score.passed is not None else self.score.value >= 1.0)
        )


class RunConfig(BaseModel):
    """Everything that defines a run. The CLI builds one; `agentbench.run()` takes one."""

    model_config = ConfigDict(extra="forbid")

    task: str
    model: str = "null"
    task_options: dict[str, Any] = Field(default_factory=dict)
    model_options: dict[str, Any] = Field(default_factory=dict)
    roles: dict[str, RoleModel] = Field(
        default_factory=dict,
        description="models of the task's other roles (`--role critic=...`); `model` is default",
    )
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    sandbox: str | None = Field(
        default=None, description="backend name; None = docker if reachable, else local"
    )
    sandbox_options: dict[str, Any] = Field(default_factory=dict)
    epochs: int = Field(default=1, ge=1)
    limit: int | None = Field(default=None, ge=1)
    sample_ids: list[str] | None = None
    max_episodes: int = Field(default=8, ge=1)
    executor: str = Field(default="local", description="where episodes run (`--executor`)")
    executor_options: dict[str, Any] = Field(default_factory=dict)
    max_connections: int = Field(default=16, ge=1)
    model_timeout: float = Field(default=600.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    limits: Limits = Field(default_factory=Limits)
    infra_retries: int = Field(default=2, ge=0)
    run_dir: str = "runs"
    run_name: str | None = None
    resume: str | None = None
    seed: int = 0
    cache: bool = False
    plugins: list[str] | None = None
    fail_fast: bool = False
    progress: Literal["auto", "rich", "plain", "none"] = "auto"


class RunSummary(BaseModel):
    """Aggregate figures of a run (also what `agentbench report --json` prints)."""

    run_id: str
    task: str
    model: str
    episodes: int
    completed: int
    errors: int
    infra_errors: int = 0
    provider_errors: int = 0
    left_out: int = Field(default=0, description="episodes no metric counts (infra, provider)")
    epochs: int = 1
    samples: int = 0
    metrics: dict[str, Any] = Field(default_factory=dict)
    subsets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    usage_by_role: dict[str, Usage] = Field(default_factory=dict)
    roles: dict[str, str] = Field(default_factory=dict, description="role -> model reference")
    sandbox: str | None = Field(default=None, description="the sandbox backend that ran")
    baseline: dict[str, Any] | None = Field(
        default=None, description="the null baseline's pass@1 and CI on the same samples"
    )
    duration_s: float = 0.0
    run_dir: str = ""
