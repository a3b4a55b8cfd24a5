# ruff: noqa: UP031, B905, F821  (sent after harness_unittest.py, for any python3 >= 3.8)
"""The sealed test harness: runs untrusted code with its tests, reports a verdict it cannot forge.

This file and harness_unittest.py (sent first) make one standalone program (stdlib only, Python
3.8+), sent on the command's stdin after a one-line bootstrap (`python -I -c BOOT`), so no file
the tested program can reach holds it. The rest of stdin is one JSON header line and then the
JSON payload (files, program, tests). It runs as the sandbox's unprivileged user, in a fresh
directory of its own, and:

1. reads a random per-run token from the header (the host keeps the only other copy);
2. moves the program's stdout/stderr (fds 1, 2) to files and keeps a private duplicate of the
   real stdout for its verdict lines, so nothing the program prints can push a verdict out of the
   captured output, and a program that floods the private descriptor only loses its own verdict;
3. makes itself non-dumpable (other processes of the same user cannot read its memory) and
   installs an audit hook (which Python code cannot remove) that holds the token. The hook
   denies what would reach the token or bend control flow (tracing, profiling, gc object walks,
   raw memory through ctypes, /proc/*/mem) and writes a verdict line only for events raised
   from the harness's own frame at the harness's own call site, in the harness's own process;
4. runs the program, restores builtins, sys.modules, signal handlers and alarms it changed, then
   runs the tests; at the end it checks that protected state (builtins, sys.modules entries it
   imported, unittest's classes) was not modified while the tests ran.

A verdict line is `@@agentbench-verdict <token> <json>`. The host accepts exactly the records that
carry its token; no verdict means the run failed, whatever the exit status or the output says.
"""

import _thread
import builtins
import contextlib
import io
import json
import os
import signal
import sys

MARK = "@@agentbench-verdict "
TAIL = 4000
# Events denied once the hook is in: they reach the token or rewrite control flow.
DENIED = frozenset(
    [
        "sys.settrace",
        "sys.setprofile",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "ctypes.cdata",
        "ctypes.cdata/buffer",
        "ctypes.string_at",
        "ctypes.wstring_at",
        "ctypes.call_function",
        "ctypes.addressof",
        "sys._current_frames",
        "sys._current_exceptions",
    ]
)
PROTECTED_TYPE_MODULES = ("unittest", "__agentbench_harness__")


def read_input():
    """(header, payload) from the rest of stdin, read in full before any untrusted code runs."""
    data = sys.stdin.buffer.read()
    os.close(0)
    head, _, body = data.partition(b"\n")
    return json.loads(head.decode()), json.loads(body.decode() or "{}")


def set_non_dumpable():
    """PR_SET_DUMPABLE 0: processes of the same user can no longer ptrace us or read our memory."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)
    except Exception:
        pass


def reap_strays():
    """Kill every other process of this user (what earlier runs left behind)."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


def prepare_dir(payload, base):
    """A fresh directory with the payload's files; it becomes the cwd and the first import path."""
    work = os.path.join(base, "agentbench-run-" + os.urandom(8).hex())
    os.mkdir(work, 0o700)
    for name, content in (payload.get("files") or {}).items():
        path = os.path.join(work, name)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
    os.chdir(work)
    sys.path.insert(0, work)
    return work


def redirect_output(work):
    """Point fds 1 and 2 at files in `work`; return the private verdict fd and the file names."""
    verdict_fd = os.dup(1)
    names = (os.path.join(work, ".stdout"), os.path.join(work, ".stderr"))
    for fd, name in zip((1, 2), names):
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
    return verdict_fd, names


def tail(path):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - TAIL))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def encode(value):
    """JSON text of plain data made only of exact builtin types (nothing program-defined runs)."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return "%d" % value
    if kind is float:
        finite = value == value and value not in (float("inf"), float("-inf"))
        return repr(value) if finite else "null"
    if kind is str:
        return quote(value)
    if kind is list or kind is tuple:
        return "[" + ",".join([encode(v) for v in value]) + "]"
    if kind is dict:
        items = [quote(k) + ":" + encode(v) for k, v in value.items() if type(k) is str]
        return "{" + ",".join(items) + "}"
    return "null"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text):
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code > 0x7E:
            if code > 0xFFFF:
                code -= 0x10000
                out.append("\\u%04x\\u%04x" % (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF)))
            else:
                out.append("\\u%04x" % code)
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def plain(value, depth=0):
    """A copy of `value` made of exact builtin types only (str/int/float/bool/None/list/dict)."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if depth < 4 and kind in (list, tuple):
        return [plain(v, depth + 1) for v in value]
    if depth < 4 and kind is dict:
        return {k: plain(v, depth + 1) for k, v in value.items() if type(k) is str}
    return None


def call_site_line(code, name):
    """The line of the only place where `code` loads the local `name` (the verdict call)."""
    import opcode

    index = code.co_varnames.index(name)
    raw, found = code.co_code, []
    for offset in range(0, len(raw), 2):
        op_name = opcode.opname[raw[offset]]
        arg = raw[offset + 1]
        if op_name == "LOAD_FAST_LOAD_FAST":  # 3.13: two locals in one instruction
            hit = index in (arg >> 4, arg & 15)
        else:
            hit = op_name.startswith("LOAD_FAST") and arg == index
        if hit:
            found.append(offset)
    if len(found) != 1:
        raise RuntimeError("harness: %r is loaded %d times in main()" % (name, len(found)))
    for start, end, line in code.co_lines():
        if start <= found[0] < end:
            return line
    raise RuntimeError("harness: no line for the verdict call")


def install_hook(
    token, verdict_fd, main_frame, verdict_line, result_codes, collect_code, harness_globals
):
    """Install the audit hook that holds the token and is the only writer of verdict lines.

    Everything it uses is bound here, before untrusted code runs, and it calls nothing a program
    can replace or intercept: builtin functions and methods of exact builtin types only.
    """
    write, getpid, get_ident = os.write, os.getpid, _thread.get_ident
    getframe, str_type, dict_type, function_type = sys._getframe, str, dict, type(install_hook)
    raw_dict = type.__dict__["__dict__"].__get__
    prefix = (MARK + token + " ").encode()
    del token
    pid, main_thread = getpid(), get_ident()
    unittest = sys.modules.get("unittest")
    unittest_dir = os.path.dirname(unittest.__file__) if unittest else "\0"
    guard = [0]  # the thread inside the hook (its own nested events are skipped)
    state = {"verdicts": 0, "collected": 0, "denied": []}

    def emit(record):
        data = prefix + encode(record).encode() + b"\n"
        while data:
            data = data[write(verdict_fd, data) :]

    def protected(target):
        kind = type(target)
        if kind is function_type:
            return target.__globals__ is harness_globals
        if issubclass(kind, type):
            module = raw_dict(target).get("__module__")
            return type(module) is str_type and module.startswith(PROTECTED_TYPE_MODULES)
        return False

    def authentic_verdict():
        frame = getframe(2)  # 0: this function, 1: the hook, 2: who called sys.audit
        return (
            frame is main_frame
            and frame.f_lineno == verdict_line
            and getpid() == pid
            and get_ident() == main_thread
        )

    def authentic_test_event():
        frame = getframe(2)  # the harness's result class reports ...
        if frame.f_code not in result_codes:
            return False
        caller = frame.f_back
        while caller is not None and caller.f_code in result_codes:
            caller = caller.f_back
        # ... when unittest itself calls it
        return (
            caller is not None
            and caller.f_code.co_filename.startswith(unittest_dir)
            and getpid() == pid
        )

    def deny(what):
        if len(state["denied"]) < 50:
            state["denied"].append(what)

    def hook(event, args):
        me = get_ident()
        if guard[0] == me or type(event) is not str_type:
            return
        guard[0] = me
        try:
            if event in DENIED:
                deny(event)
                raise RuntimeError("agentbench: %s is not allowed in scored code" % event)
            if event == "open":
                path = args[0] if args else None
                if type(path) is str_type and path.startswith("/proc/"):
                    if path.endswith("/mem") or "/map_files/" in path:
                        deny("open " + path)
                        raise PermissionError("agentbench: reading %s is not allowed" % path)
            elif event == "object.__setattr__" or event == "object.__delattr__":
                if args and protected(args[0]):
                    deny(event)
                    raise RuntimeError("agentbench: the test harness cannot be changed")
            elif event == "agentbench.verdict":
                if state["verdicts"] or len(args) != 1 or not authentic_verdict():
                    deny("forged verdict")
                elif type(args[0]) is dict_type:
                    state["verdicts"] = 1
                    record = dict(args[0])
                    record["denied"] = list(state["denied"])
                    record["kind"] = "done"
                    emit(record)
            elif event == "agentbench.collected" or event == "agentbench.group":
                frame = getframe(1)
                authentic = (
                    len(args) == 1
                    and frame.f_code is collect_code
                    and frame.f_back is main_frame
                    and getpid() == pid
                    and get_ident() == main_thread
                )
                if not authentic:
                    deny("forged " + event)
                elif event == "agentbench.group" and type(args[0]) is dict_type:
                    record = dict(args[0])
                    record["kind"] = "group"
                    emit(record)
                elif not state["collected"] and type(args[0]) is list:
                    state["collected"] = 1
                    emit({"kind": "collected", "ids": [i for i in args[0] if type(i) is str_type]})
            elif event == "agentbench.test":
                if len(args) != 1 or type(args[0]) is not dict_type:
                    deny("forged test report")
                elif not authentic_test_event():
                    deny("forged test report")
                else:
                    record = dict(args[0])
                    record["kind"] = "test"
                    emit(record)
        finally:
            guard[0] = 0

    sys.addaudithook(hook)


class Sentry:
    """Snapshots of what the program must not change, restored after it ran, checked at the end.

    Watched: the builtins, the sys.modules entries that existed before the program ran, the
    namespaces of unittest's modules and of the harness itself, and the signal handlers.
    """

    def __init__(self, harness_globals):
        self.modules = dict(sys.modules)
        watched = {"builtins": builtins.__dict__, "harness": harness_globals}
        for name, module in self.modules.items():
            if name == "unittest" or name.startswith("unittest."):
                watched[name] = module.__dict__
        self.namespaces = [(name, live, dict(live)) for name, live in watched.items()]
        self.signals = {}
        for sig in range(1, signal.NSIG):
            with contextlib.suppress(Exception):
                self.signals[sig] = signal.getsignal(sig)

    def changed(self):
        """Names of protected entries that were replaced or removed since the snapshot.

        Names added are not counted: libraries add their own (pybind11 keeps its internals in
        builtins), and a new name shadows nothing the tests already use.
        """
        out = []
        for label, live, saved in self.namespaces:
            for name, value in saved.items():
                if live.get(name, self) is not value:
                    out.append("%s.%s" % (label, name))
        modules = sys.modules
        for name, module in self.modules.items():
            if modules.get(name) is not module:
                out.append("sys.modules[%s]" % quote(name))
        return out

    def restore(self):
        """Undo what the program changed before the tests run; return what was restored."""
        restored = self.changed()
        for _label, live, saved in self.namespaces:
            live.update(saved)
        sys.modules.update(self.modules)
        for sig, handler in self.signals.items():
            with contextlib.suppress(Exception):
                signal.signal(sig, handler)
        for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            with contextlib.suppress(Exception):
                signal.setitimer(timer, 0)
        return restored


def describe(exc):
    """(type name, traceback text) of an exception, never raising (its __str__ may be hostile)."""
    try:
        name = type(exc).__name__
        name = name if type(name) is str else "Exception"
    except BaseException:
        name = "Exception"
    try:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        text = text if type(text) is str else ""
    except BaseException:
        text = name + ": <unprintable>\n"
    return name, text[-TAIL:]


def split_script(program, tests, name):
    """Two code objects (program part, tests part) of `program + "\\n" + tests`, compiled as one.

    The script is parsed as upstream compiles it (one source); its top-level statements are split
    where the test code starts, so the harness regains control in between. A statement that
    spans the boundary keeps the script whole (returned as the program part, tests None).
    """
    import ast

    source = program + "\n" + tests
    tree = ast.parse(source, name, "exec")
    first_test_line = program.count("\n") + 2
    body = tree.body
    cut = next((i for i, node in enumerate(body) if node.lineno >= first_test_line), len(body))
    if cut and getattr(body[cut - 1], "end_lineno", 0) >= first_test_line:
        return compile(tree, name, "exec"), None
    head = ast.Module(body=body[:cut], type_ignores=[])
    rest = ast.Module(body=body[cut:], type_ignores=[])
    return compile(head, name, "exec"), compile(rest, name, "exec")


def run_script(payload, sentry):
    """Upstream's `exec(program + "\\n" + tests, {})`, with the seal between the two halves."""
    name = payload.get("name") or "main.py"
    source = payload["program"] + "\n" + payload["tests"]
    import linecache

    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    try:
        head, rest = split_script(payload["program"], payload["tests"], name)
    except SyntaxError as exc:
        kind, text = describe(exc)
        return {"ok": False, "stage": "compile", "exception": kind, "message": text}
    namespace = {}
    stage = "program"
    try:
        exec(head, namespace)
        restored = sentry.restore()
        stage = "tests"
        if rest is not None:
            exec(rest, namespace)
    except SystemExit as exc:
        return {
            "ok": False,
            "stage": stage,
            "exception": "SystemExit",
            "message": "SystemExit: the program exited early (%s)" % plain(exc.code),
        }
    except BaseException as exc:
        kind, text = describe(exc)
        return {"ok": False, "stage": stage, "exception": kind, "message": text}
    return {"ok": True, "stage": "done", "restored": restored}


def main():
    header, payload = read_input()
    if header.get("reap"):
        reap_strays()
    work = prepare_dir(payload, header.get("base") or os.getcwd())
    verdict_fd, outputs = redirect_output(work)
    set_non_dumpable()
    unittest_mode = payload.get("mode") == "unittest"
    result_cls, result_codes, loader, suite_cls = None, frozenset(), None, None
    if unittest_mode:
        import unittest

        result_cls, result_codes = make_result_class()
        loader, suite_cls = unittest.TestLoader(), unittest.TestSuite
    # Everything main() calls after untrusted code ran is bound to a local here, first.
    sentry = Sentry(globals())
    changed, make_plain, read_tail, exit_now = sentry.changed, plain, tail, os._exit
    verdict = sys.audit  # the only load of this local is the verdict's call site
    line = call_site_line(sys._getframe().f_code, "verdict")
    install_hook(
        header["token"],
        verdict_fd,
        sys._getframe(),
        line,
        result_codes,
        run_unittest.__code__,
        globals(),
    )
    del header
    if unittest_mode:
        outcome = run_unittest(payload, sentry, result_cls, loader, suite_cls, sys.audit)
    else:
        outcome = run_script(payload, sentry)
    record = make_plain(outcome) or {}
    record["tampered"] = changed()
    record["stdout_tail"] = read_tail(outputs[0])
    record["stderr_tail"] = read_tail(outputs[1])
    record = make_plain(record)
    verdict("agentbench.verdict", record)
    exit_now(0)


if __name__ == "__main__":
    try:
        main()
    finally:
        os._exit(3)
