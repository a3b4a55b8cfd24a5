"""`desktopctl <command> [json]`: run one controller command and print its JSON result.

The arguments are a JSON object, given as the second argument or on stdin (`-`). The desktop
services are started first if they are not running. Exit code 0 unless the controller crashed;
a failed command says so in its `status` field.
"""

from __future__ import annotations

import json
import os
import pwd
import sys
import traceback


def _as_desktop_user(argv: list[str]) -> None:
    """Root runs the controller as the desktop user, so its X server and files stay theirs."""
    if os.getuid() != 0:
        return
    try:
        pwd.getpwnam("user")
    except KeyError:
        return
    os.execvp("runuser", ["runuser", "-u", "user", "--", "desktopctl", *argv])


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        from .commands import COMMANDS

        print(__doc__.strip() + "\n\ncommands: " + ", ".join(sorted(COMMANDS)))
        return 0
    _as_desktop_user(argv)
    from . import services
    from .commands import COMMANDS

    name = argv[0].replace("-", "_")
    raw = argv[1] if len(argv) > 1 else "{}"
    if raw == "-":
        raw = sys.stdin.read()
    command = COMMANDS.get(name)
    if command is None:
        print(json.dumps({"status": "error", "message": f"unknown command {argv[0]!r}"}))
        return 2
    try:
        args = json.loads(raw or "{}")
        started = services.ensure()
        result = command(args)
        if started and name != "start":
            result["started"] = started
    except Exception as exc:
        print(
            json.dumps(
                {
                    "status": "error",
                    "message": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc()[-2000:],
                }
            )
        )
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
