"""Python blocks in a response: which program upstream runs, how, and what it feeds back.

Upstream (RealCritic `math_eval.py`, with Qwen2.5-Math's `trajectory.extract_program` and
`python_executor.PythonExecutor(get_answer_from_stdout=True)`): a response containing
"```python" has its program extracted, run with a 5 s limit, and the result is sent back as a
user turn "\\n```output\\n{result}\\n```\\n"; the model is called again, 4 calls at most per
round. The program runs like a REPL cell: if its last line contains "print(", the whole program
runs and its stdout is the result; otherwise the other lines run and the last line is evaluated.
On an exception the result is the last line of the traceback; results are stripped and cut to
400 characters (200 + "..." + 200).

Our code; the program runs in the episode's sandbox, never on the host.
"""

from __future__ import annotations

import json

from agentbench import EpisodeContext

#: Upstream's limit on one program (PythonExecutor timeout_length).
PROGRAM_TIMEOUT = 5.0
#: Most model calls in one round (upstream `max_func_call` for these prompt types).
MAX_CALLS = 4
LIMIT_NOTE = "\nReach max function call limit."
RUNNER_FILE = "_critique_runner.py"
_SENTINEL = "__agentbench_critique_result__"
_INVALID = "raise ValueError('Invalid trajectory')"
_ERROR_WORDS = ("error", "exception", "no algorithms", "cannot", "nan", "...")

# Runs the program from stdin as upstream's executor does (auto mode, answer from stdout) and
# prints the (result, report) pair after a sentinel line.
RUNNER_SOURCE = f"""\
import contextlib, io, json, pickle, re, signal, sys, traceback

class _Timeout(BaseException):
    pass

def _alarm(signum, frame):
    raise _Timeout()

lines = sys.stdin.read().strip().split("\\n")
scope = {{}}

def _exec(piece):
    if re.search(r"(\\s|^)?input\\(", piece):
        raise RuntimeError()
    exec(piece, scope)

def _run():
    if "print(" in lines[-1]:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            _exec("\\n".join(lines))
        return buffer.getvalue()
    _exec("\\n".join(lines[:-1]))
    return eval(lines[-1], scope)

signal.signal(signal.SIGALRM, _alarm)
signal.setitimer(signal.ITIMER_REAL, float(sys.argv[1]))
try:
    result = _run()
    report = "Done"
    str(result)
    pickle.dumps(result)
except _Timeout:
    result, report = "", "Timeout Error"
except BaseException:
    result, report = "", traceback.format_exc().split("\\n")[-2]
signal.setitimer(signal.ITIMER_REAL, 0)
sys.stdout.flush()
sys.__stdout__.write("\\n{_SENTINEL}" + json.dumps([str(result), str(report)]) + "\\n")
sys.__stdout__.flush()
"""


def _trajectory(text: str) -> list[tuple[str, str]]:
    """Split a response into rationale / program / output pieces (upstream's line grammar).

    Raises:
        ValueError: the pieces are not in upstream's order (e.g. two programs with no output).
    """
    pieces: list[tuple[str, str]] = []
    role, content = "rationale", ""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line == "```python":
            if role != "rationale":
                raise ValueError("a program starts inside a program or an output")
            if content:
                pieces.append((role, content))
                content = ""
            role = "program"
        elif role == "program" and line == "```":
            if not content:
                raise ValueError("an empty program")
            pieces.append((role, content))
            content, role = "", "output"
        elif role == "output" and line.startswith("```output"):
            if content:
                raise ValueError("an output block after text")
        elif role == "output" and line == "```":
            pieces.append((role, content))
            content, role = "", "rationale"
        else:
            content += line + ("\n" if index < len(lines) - 1 else "")
    if content:
        pieces.append((role, content))
    return pieces


def _succeeded(output: str) -> bool:
    return all(word not in output.lower() for word in _ERROR_WORDS)


def extract_program(text: str) -> str:
    """The program upstream runs for a response (all its python blocks, as `extract_program`)."""
    try:
        pieces = _trajectory(text)
    except ValueError:
        return _INVALID
    programs: list[str] = []
    imports: list[str] = []
    for index, (role, content) in enumerate(pieces):
        if role != "program":
            continue
        if index == len(pieces) - 1:
            programs.append(content)
            continue
        if pieces[index + 1][0] != "output":
            return _INVALID
        if _succeeded(pieces[index + 1][1].strip()):
            programs.append(content)
        else:
            imports += [line for line in content.split("\n") if line.startswith(("import", "from"))]
    programs = programs or [""]
    if imports:
        programs[0] = "\n".join(imports) + "\n" + programs[0]
    for index, program in enumerate(programs[:-1]):
        programs[index] = "\n".join(
            line for line in program.split("\n") if not line.strip().startswith("print(")
        )
    return "\n".join(programs)


def truncate(text: str, limit: int = 400) -> str:
    """Upstream's cut: the first and last halves around "..."."""
    half = limit // 2
    return text[:half] + "..." + text[-half:] if len(text) > limit else text


def feedback(result: str, report: str) -> str:
    """The user turn that carries a program's result back to the model."""
    shown = result if result else report
    return f"\n```output\n{shown}\n```\n"


def parse_runner_output(stdout: str, stderr: str, timed_out: bool) -> tuple[str, str]:
    """(result, report) from the runner's output, stripped and cut as upstream does."""
    if timed_out:
        return "", "Timeout Error"
    marker = stdout.rfind(_SENTINEL)
    try:
        result, report = json.loads(stdout[marker + len(_SENTINEL) :].strip().splitlines()[0])
    except (ValueError, IndexError, TypeError):
        last = [line for line in stderr.strip().splitlines() if line.strip()]
        result, report = "", (last[-1] if last else "the program ended without a result")
    return truncate(str(result).strip()), truncate(str(report).strip())


async def run_program(ctx: EpisodeContext, program: str, python: str = "python") -> tuple[str, str]:
    """Run `program` in the episode's sandbox; (result, report) as upstream's executor gives."""
    ctx.log.artifact(f"program_{ctx.steps}.py", program)
    outcome = await ctx.exec(
        [python, RUNNER_FILE, str(PROGRAM_TIMEOUT)],
        timeout=PROGRAM_TIMEOUT + 20.0,
        input=program,
    )
    return parse_runner_output(outcome.stdout, outcome.stderr, outcome.timed_out)
