# ruff: noqa: UP031, UP036, UP041  (a standalone program for any python3 >= 3.7)
"""The in-container executor: one process per container that runs the commands it is sent.

This file is a standalone program (stdlib only, Python 3.7+). The docker backend starts it as the
container's main process (`python3 -c` of this source, under docker's init) and talks to it
over the container's attached stdin/stdout: one JSON object per line each way, every request
carrying an `id` that its response repeats, so many commands run at once over one stream.

It runs as root inside the container (with only the capabilities it needs to switch user, kill
and clean up) and runs each command as the requested unprivileged user, in its own session, so
that a timeout kills the whole process tree, and so that commands cannot signal the executor.

Requests (`op`): hello, exec, cancel, read, write, reset. Responses: `{"id", "ok": true, ...}` or
`{"id", "ok": false, "error": <exception class name>, "message": str}`.
"""

import asyncio
import base64
import grp
import json
import os
import pwd
import shutil
import signal
import sys
import time

VERSION = 1
CHUNK = 65536
EOF_GRACE_S = 0.2  # how long to wait for output of background children after the command exits
FALLBACK_UID = 1000  # "sandbox" in images that have no such user
RUNNING = {}  # type: dict  # request id -> pid of a running command (for cancel)
KEPT = []  # non-empty once the sandbox is kept: the executor then outlives its stdin


def send(message):
    data = (json.dumps(message) + "\n").encode()
    out = sys.stdout.buffer
    out.write(data)
    out.flush()


def resolve_user(user, workdir):
    """(uid, gid, groups, name, home) for a user name, "uid" or "uid:gid"; None for root/self."""
    if user in (None, "", "root", "0"):
        return None
    name, _, group = str(user).partition(":")
    try:
        entry = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
        uid, gid, home, name = entry.pw_uid, entry.pw_gid, entry.pw_dir, entry.pw_name
    except (KeyError, ValueError):
        if name.isdigit():
            uid, gid, home = int(name), int(name), workdir
        elif name == "sandbox":
            uid, gid, home = FALLBACK_UID, FALLBACK_UID, workdir
        else:
            raise LookupError("no user %r in this image" % name) from None
    if group:
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    try:
        groups = os.getgrouplist(name, gid)
    except (OSError, TypeError):
        groups = [gid]
    return uid, gid, groups, name, home


def first_to_go(pid):
    """Make a command the OOM killer's first choice (its children inherit it), so a program
    that exhausts the sandbox's memory kills itself, not the executor."""
    try:
        with open("/proc/%d/oom_score_adj" % pid, "w") as f:
            f.write("1000")
    except OSError:
        pass


def spawn_kwargs(ident):
    if ident is None:
        return {}
    uid, gid, groups = ident[0], ident[1], ident[2]
    if sys.version_info >= (3, 9):
        return {"user": uid, "group": gid, "extra_groups": groups}

    def demote():
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)

    return {"preexec_fn": demote}


def proc_stats():
    """pid -> (ppid, pgid, sid, state) for every process of the container."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        stats[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]), fields[0])
    return stats


def kill_tree(pid):
    """Kill the process group and session of `pid` and every process descending from it."""
    for _ in range(20):
        stats = proc_stats()
        doomed = {p for p, (_pp, pg, sid, _st) in stats.items() if pg == pid or sid == pid}
        doomed.add(pid)
        grew = True
        while grew:  # descendants that moved to another group or session
            grew = False
            for p, (ppid, _pg, _sid, _st) in stats.items():
                if ppid in doomed and p not in doomed:
                    doomed.add(p)
                    grew = True
        alive = [
            p for p in doomed if p in stats and stats[p][3] != "Z" and p not in (1, os.getpid())
        ]
        if not alive:
            return
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.005)


class Capped:
    """Keeps the first half and the last half of `limit` bytes of a stream; counts the rest."""

    def __init__(self, limit):
        self.head_limit = limit - limit // 2
        self.tail_limit = limit // 2
        self.parts, self.size, self.dropped = [], 0, 0
        self.tail = bytearray()

    def add(self, data):
        room = self.head_limit - self.size
        if room > 0:
            self.parts.append(data[:room])
            self.size += min(room, len(data))
            data = data[room:]
        if not data:
            return
        self.tail += data
        extra = len(self.tail) - self.tail_limit
        if extra > 0:
            del self.tail[:extra]
            self.dropped += extra

    def text(self):
        head = b"".join(self.parts).decode("utf-8", "replace")
        tail = bytes(self.tail).decode("utf-8", "replace")
        if self.dropped:
            return head + "\n[output truncated: %d bytes left out]\n" % self.dropped + tail
        return head + tail


async def pump(fd, sink):
    """Read a pipe until EOF into `sink` (closes the fd when done or cancelled)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0)
    )
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return
            sink.add(data)
    finally:
        transport.close()


def feed(fd, data):
    """Write stdin in a worker thread (blocking); a child that exits early just breaks the pipe."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        pass
    finally:
        os.close(fd)


def default_shell():
    return "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"


def command_env(req, ident):
    env = dict(os.environ)
    if ident is not None:
        env.update(HOME=ident[4], USER=ident[3], LOGNAME=ident[3])
    env.update(req.get("env") or {})
    return env


async def op_exec(req):
    workdir = req.get("workdir") or "/"
    cwd = req.get("cwd") or workdir
    ident = resolve_user(req.get("user"), workdir)
    argv = req.get("argv") or [default_shell(), "-c", req.get("shell", "")]
    limit = int(req.get("limit") or 1000000)
    stdin = base64.b64decode(req["stdin"]) if req.get("stdin") is not None else None
    if not os.path.isdir(cwd):
        return {"exit_code": 1, "stdout": "", "stderr": "cwd %s: no such directory\n" % cwd}
    start = time.monotonic()
    # Own pipes, not asyncio's: Process.wait() would also wait for EOF on them, which a
    # detached background child can hold off forever.
    (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
    in_r, in_w = os.pipe() if stdin is not None else (None, None)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=in_r if in_r is not None else asyncio.subprocess.DEVNULL,
            stdout=out_w,
            stderr=err_w,
            cwd=cwd,
            env=command_env(req, ident),
            start_new_session=True,
            **spawn_kwargs(ident),
        )
    except OSError as exc:
        for fd in (out_r, err_r, in_w):
            if fd is not None:
                os.close(fd)
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        return {"exit_code": code, "stdout": "", "stderr": "%s: %s\n" % (argv[0], exc.strerror)}
    finally:
        for fd in (out_w, err_w, in_r):
            if fd is not None:
                os.close(fd)
    first_to_go(proc.pid)
    RUNNING[req.get("id")] = proc.pid
    out, err = Capped(limit), Capped(limit)
    pumps = [asyncio.ensure_future(pump(out_r, out)), asyncio.ensure_future(pump(err_r, err))]
    if in_w is not None:
        asyncio.get_running_loop().run_in_executor(None, feed, in_w, stdin)
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), req.get("timeout"))
    except asyncio.TimeoutError:
        timed_out = True
        kill_tree(proc.pid)
        await proc.wait()
    finally:
        RUNNING.pop(req.get("id"), None)
    # Background children may hold the pipes open: take what they wrote so far, then let go.
    _done, pending = await asyncio.wait(pumps, timeout=EOF_GRACE_S)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    code = proc.returncode
    return {
        "exit_code": 124 if timed_out else (128 - code if code < 0 else code),
        "stdout": out.text(),
        "stderr": err.text(),
        "timed_out": timed_out,
        "truncated": bool(out.dropped or err.dropped),
        "duration_s": time.monotonic() - start,
    }


def make_parents(path, owner):
    missing = []
    parent = os.path.dirname(path)
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for directory in reversed(missing):
        os.mkdir(directory)
        if owner is not None:
            os.chown(directory, owner[0], owner[1])


async def op_write(req):
    path = req["path"]
    owner = resolve_user(req.get("user"), req.get("workdir") or "/")
    make_parents(path, owner)
    with open(path, "wb") as f:
        f.write(base64.b64decode(req["data"]))
    if owner is not None:
        os.chown(path, owner[0], owner[1])
    return {}


async def op_read(req):
    with open(req["path"], "rb") as f:
        return {"data": base64.b64encode(f.read()).decode()}


def wipe(path):
    """Remove everything inside `path` (the mount point itself stays)."""
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
        else:
            try:
                os.unlink(full)
            except FileNotFoundError:
                pass


def other_processes():
    me = os.getpid()
    return [p for p, st in proc_stats().items() if p not in (1, me) and st[3] != "Z"]


async def op_reset(req):
    """Kill every process but init and the executor, empty the writable dirs, restore owners."""
    killed = 0
    for _ in range(200):
        left = other_processes()
        if not left:
            break
        killed = max(killed, len(left))
        try:
            os.kill(-1, signal.SIGKILL)  # every process we may signal, except init and ourselves
        except OSError:
            pass
        await asyncio.sleep(0.005)
    left = other_processes()
    owner = resolve_user(req.get("user"), req.get("workdir") or "/")
    for spec in req.get("dirs", []):
        path, mode, owned = spec["path"], int(spec["mode"]), spec.get("owned")
        if not os.path.isdir(path):
            os.makedirs(path)
        wipe(path)
        os.chmod(path, mode)
        if owned and owner is not None:
            os.chown(path, owner[0], owner[1])
    leftovers = {
        d["path"]: os.listdir(d["path"]) for d in req.get("dirs", []) if os.listdir(d["path"])
    }
    return {"killed": killed, "processes_left": left, "files_left": leftovers}


async def op_keep(req):
    """Stop everything the episode left running and outlive the caller (the sandbox is kept)."""
    killed = 0
    for _ in range(200):
        left = other_processes()
        if not left:
            break
        killed = max(killed, len(left))
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        await asyncio.sleep(0.005)
    KEPT.append(True)
    return {"killed": killed, "processes_left": other_processes()}


async def op_cancel(req):
    """Kill the process tree of a running command (its caller gave up waiting)."""
    pid = RUNNING.get(req.get("target"))
    if pid is not None:
        kill_tree(pid)
    return {"cancelled": pid is not None}


async def op_hello(req):
    return {
        "version": VERSION,
        "python": sys.version.split()[0],
        "pid": os.getpid(),
        "uid": os.getuid(),
    }


OPS = {
    "exec": op_exec,
    "cancel": op_cancel,
    "read": op_read,
    "write": op_write,
    "reset": op_reset,
    "keep": op_keep,
    "hello": op_hello,
}


async def handle(req):
    reply = {"id": req.get("id")}
    try:
        reply.update(await OPS[req["op"]](req))
        reply["ok"] = True
    except Exception as exc:  # every failure goes back to the caller, the executor lives on
        reply.update(ok=False, error=type(exc).__name__, message=str(exc))
    send(reply)


async def main():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**31 - 1)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    tasks = set()
    while True:
        line = await reader.readline()
        if not line:
            break
        if not line.strip():
            continue
        task = asyncio.ensure_future(handle(json.loads(line)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    # stdin closed: the runner is gone (stdin_once closes it when the caller disconnects, even
    # after a SIGKILL), so the container stops with us, unless the sandbox was kept for a person.
    while KEPT:
        await asyncio.sleep(3600)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    asyncio.run(main())
