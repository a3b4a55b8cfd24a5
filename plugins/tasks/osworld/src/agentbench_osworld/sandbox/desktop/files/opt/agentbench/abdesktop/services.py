"""Starting the desktop services on demand: Xvfb, a D-Bus session bus and the window manager.

Every controller command calls `ensure()` first, so the desktop comes up on first use whether or
not the image's entrypoint ran. A file lock keeps concurrent commands from starting it twice.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import subprocess
import time
from pathlib import Path

DISPLAY = os.environ.get("DISPLAY", ":0")
RUNTIME = Path(os.environ.get("XDG_RUNTIME_DIR", "/run/user/1000"))
BUS = os.environ.get("DBUS_SESSION_BUS_ADDRESS", f"unix:path={RUNTIME}/bus")
STATE = Path("/tmp/agentbench-desktop")
XDG_DIRS = (
    "Desktop",
    "Documents",
    "Downloads",
    "Music",
    "Pictures",
    "Public",
    "Templates",
    "Videos",
)


def screen_size() -> tuple[int, int]:
    """The configured screen size (SCREEN_WIDTH x SCREEN_HEIGHT, 1920x1080 by default)."""
    return int(os.environ.get("SCREEN_WIDTH", "1920")), int(os.environ.get("SCREEN_HEIGHT", "1080"))


def desktop_env() -> dict[str, str]:
    """The environment of every process started on the desktop."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        home = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        home = env.get("HOME", "/tmp")
    env.update(
        DISPLAY=DISPLAY,
        XDG_RUNTIME_DIR=str(RUNTIME),
        DBUS_SESSION_BUS_ADDRESS=BUS,
        HOME=home,
        LANG=env.get("LANG", "C.UTF-8"),
    )
    return env


def _alive(name: str) -> bool:
    try:
        pid = int((STATE / f"{name}.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _record(name: str, pid: int) -> None:
    (STATE / f"{name}.pid").write_text(str(pid))


def running() -> bool:
    """Whether all desktop services are up."""
    return all(_alive(n) for n in ("xvfb", "dbus", "wm"))


def ensure() -> dict[str, float]:
    """Start whatever desktop service is not running; return the seconds each start took."""
    if running():
        return {}
    STATE.mkdir(parents=True, exist_ok=True)
    RUNTIME.mkdir(mode=0o700, parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with open(STATE / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _prepare_home()
        for name, start in (("xvfb", _start_xvfb), ("dbus", _start_dbus), ("wm", _start_wm)):
            if not _alive(name):
                t0 = time.monotonic()
                start()
                timings[name] = round(time.monotonic() - t0, 3)
    return timings


def _prepare_home() -> None:
    """Recreate what a fresh (e.g. tmpfs-mounted) home lacks: the XDG folders and skel files."""
    home = Path(desktop_env()["HOME"])
    for name in XDG_DIRS:
        (home / name).mkdir(parents=True, exist_ok=True)
    for skel in Path("/etc/skel").rglob("*"):
        target = home / skel.relative_to("/etc/skel")
        if skel.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(skel.read_bytes())
    x11 = Path("/tmp/.X11-unix")
    if not x11.exists():
        x11.mkdir(mode=0o1777)
        x11.chmod(0o1777)


def _spawn(argv: list[str], log: str, **kwargs) -> subprocess.Popen:
    out = open(STATE / log, "ab")
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=out,
        env=desktop_env(),
        start_new_session=True,
        **kwargs,
    )


def _start_xvfb() -> None:
    number = DISPLAY.lstrip(":").split(".")[0]
    lock = Path(f"/tmp/.X{number}-lock")
    if lock.exists():  # left over by a previous run of this container
        lock.unlink(missing_ok=True)
        Path(f"/tmp/.X11-unix/X{number}").unlink(missing_ok=True)
    width, height = screen_size()
    read_fd, write_fd = os.pipe()
    proc = _spawn(
        [
            "Xvfb",
            DISPLAY,
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
            "-ac",
            "+extension",
            "RANDR",
            "-dpi",
            "96",
            "-displayfd",
            str(write_fd),
        ],
        "xvfb.log",
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as ready:  # Xvfb writes the display number once it accepts clients
        if not ready.readline().strip():
            raise RuntimeError(f"Xvfb did not start: {(STATE / 'xvfb.log').read_text()[-500:]}")
    _record("xvfb", proc.pid)


def _start_dbus() -> None:
    path = BUS.split("unix:path=", 1)[-1].split(",")[0]
    Path(path).unlink(missing_ok=True)
    out = subprocess.run(
        ["dbus-daemon", "--session", f"--address={BUS}", "--fork", "--print-pid", "--nopidfile"],
        env=desktop_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    _record("dbus", int(out.stdout.split()[0]))


def _start_wm() -> None:
    proc = _spawn(["openbox", "--sm-disable"], "wm.log")
    _record("wm", proc.pid)
    from Xlib import X, display  # the WM is ready when it sets _NET_SUPPORTING_WM_CHECK

    disp = display.Display(DISPLAY)
    try:
        atom = disp.intern_atom("_NET_SUPPORTING_WM_CHECK")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if disp.screen().root.get_full_property(atom, X.AnyPropertyType):
                break
            time.sleep(0.02)
    finally:
        disp.close()
    subprocess.Popen(
        ["xsetroot", "-solid", "#2e3440"],
        env=desktop_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_vnc() -> int:
    """Start x11vnc (no password, shared) on port 5900 for a person to watch; return its pid."""
    if _alive("vnc"):
        return int((STATE / "vnc.pid").read_text())
    proc = _spawn(
        [
            "x11vnc",
            "-display",
            DISPLAY,
            "-forever",
            "-shared",
            "-nopw",
            "-quiet",
            "-rfbport",
            "5900",
        ],
        "vnc.log",
    )
    _record("vnc", proc.pid)
    return proc.pid
