"""The baseline prompt agent in OSWorld's style and the step loop that runs it on the desktop.

Each step: observe (screenshot and/or linearised accessibility tree), ask the model with the last
few steps as history, parse its actions, run them, record them. WAIT sleeps, DONE and FAIL end
the episode. Every step's screenshot is saved as an episode artifact.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from agentbench import EpisodeContext, ImagePart, Message, TextPart

from . import a11y, prompts
from .actions import ActionError, computer_13_to_code, describe, parse_computer_13, parse_pyautogui
from .controller import DesktopController


@dataclass
class AgentConfig:
    """How the agent observes and acts."""

    action_space: str = "pyautogui"
    observation: str = "screenshot"
    max_steps: int = 15
    history: int = 3
    a11y_max_tokens: int = 10000
    sleep_after_action: float = 0.5
    wait_seconds: float = 2.0
    password: str = "password"


@dataclass
class Observation:
    screenshot: bytes | None = None
    a11y_text: str | None = None


@dataclass
class Trajectory:
    """What the agent did: model responses, parsed actions, and the flat action history."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    done: bool = False


class PromptAgent:
    """Builds the messages of each step from the instruction, the observation and the history."""

    def __init__(self, instruction: str, config: AgentConfig, screen: tuple[int, int]) -> None:
        self.instruction = instruction
        self.config = config
        self.system = prompts.system_prompt(
            config.observation, config.action_space, screen, config.password
        )
        self.turns: list[tuple[Message, Message]] = []

    def messages(self, obs: Observation, feedback: str = "") -> list[Message]:
        history = self.turns[-self.config.history :] if self.config.history > 0 else []
        out = [Message.system(self.system)]
        for user, assistant in history:
            out += [user, assistant]
        out.append(self.user_message(obs, feedback))
        return out

    def user_message(self, obs: Observation, feedback: str = "") -> Message:
        text = prompts.step_prompt(
            self.config.observation, self.instruction, obs.a11y_text, feedback
        )
        parts: list[TextPart | ImagePart] = [TextPart(text=text)]
        if obs.screenshot is not None and self.config.observation != "a11y_tree":
            parts.append(ImagePart.from_bytes(obs.screenshot))
        return Message.user(parts)

    def remember(self, user: Message, assistant: Message) -> None:
        self.turns.append((user, assistant))

    def parse(self, response: str) -> list[Any]:
        if self.config.action_space == "computer_13":
            return parse_computer_13(response)
        return parse_pyautogui(response)


async def observe(controller: DesktopController, config: AgentConfig) -> Observation:
    obs = Observation()
    if config.observation in {"screenshot", "screenshot_a11y_tree"}:
        obs.screenshot = await controller.screenshot()
    if config.observation in {"a11y_tree", "screenshot_a11y_tree"}:
        tree = a11y.linearize(await controller.accessibility_tree())
        obs.a11y_text = a11y.trim(tree, config.a11y_max_tokens)
    return obs


async def run_action(
    controller: DesktopController, action: Any, config: AgentConfig, screen: tuple[int, int]
) -> str:
    """Run one non-special action; return a problem to tell the agent, or ""."""
    try:
        code = computer_13_to_code(action, screen) if isinstance(action, dict) else action
    except ActionError as exc:
        return f"action {describe(action)} was not run: {exc}"
    result = await controller.run_python(code)
    if result.get("returncode") not in (0, None) or result.get("status") != "success":
        error = (result.get("error") or result.get("message") or "").strip().splitlines()
        last = error[-1] if error else f"exit code {result.get('returncode')}"
        return f"your code failed: {last}"
    return ""


async def run_agent(
    ctx: EpisodeContext,
    controller: DesktopController,
    instruction: str,
    config: AgentConfig,
    screen: tuple[int, int],
) -> Trajectory:
    """The step loop. Returns the trajectory (also kept in `ctx.state["trajectory"]`)."""
    agent = PromptAgent(instruction, config, screen)
    trajectory = Trajectory()
    ctx.state["trajectory"] = trajectory
    feedback = ""
    try:
        for step in range(config.max_steps):
            obs = await observe(controller, config)
            if obs.screenshot is not None:
                ctx.log.artifact(f"step_{step:03d}.png", obs.screenshot)
            messages = agent.messages(obs, feedback)
            output = await ctx.generate(messages)
            response = output.text
            agent.remember(messages[-1], Message.assistant(response))
            actions = agent.parse(response)
            ctx.log.add("actions", step=step, actions=[describe(a) for a in actions])
            problems = []
            for action in actions:
                trajectory.actions.append(action)
                if action == "WAIT":
                    await asyncio.sleep(config.wait_seconds)
                    continue
                if action in ("DONE", "FAIL"):
                    trajectory.done = True
                    break
                problem = await run_action(controller, action, config, screen)
                if problem:
                    problems.append(problem)
                await asyncio.sleep(config.sleep_after_action)
            trajectory.steps.append(
                {
                    "step": step,
                    "response": response,
                    "actions": [describe(a) for a in actions],
                    "problems": problems,
                }
            )
            if trajectory.done:
                break
            feedback = (
                "; ".join(problems)
                if problems
                else ("" if actions else "no action was found in it")
            )
    finally:
        final = await _final_screenshot(controller)
        if final is not None:
            ctx.log.artifact("final.png", final)
    return trajectory


async def _final_screenshot(controller: DesktopController) -> bytes | None:
    try:
        return await controller.screenshot()
    except Exception:
        return None
