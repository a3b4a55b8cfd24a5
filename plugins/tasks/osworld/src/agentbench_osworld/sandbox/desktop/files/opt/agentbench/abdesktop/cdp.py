"""Chrome's DevTools protocol inside the container (Chromium on port 9222, as OSWorld's VM).

The HTTP endpoints (/json/version, /json/list, /json/new) list and open tabs; Runtime.evaluate
over the tab's WebSocket (python3-websocket, Debian's websocket-client) reads a page's HTML.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

NOT_RUNNING = (
    "Chrome's remote debugging (http://localhost:{port}) does not answer: the task must launch "
    "google-chrome --remote-debugging-port=1337 and forward 9222 with socat first; Chromium is "
    "only in the applications image (agentbench/desktop-apps, --build-arg APPS=all)"
)


def _http(port: int, path: str, method: str = "GET", timeout: float = 5) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "null")


def wait_ready(port: int, wait: float) -> bool:
    """Poll /json/version until the browser answers or `wait` seconds pass."""
    deadline = time.monotonic() + wait
    while True:
        try:
            _http(port, "/json/version")
            return True
        except (OSError, urllib.error.URLError, ValueError):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


def tabs(port: int) -> list[dict[str, Any]]:
    """The open page targets, the most recently active first (Chrome's /json/list order)."""
    return [t for t in _http(port, "/json/list") if t.get("type") == "page"]


def open_tabs(port: int, urls: list[str]) -> list[dict[str, Any]]:
    """Open each URL in a new tab of the running browser."""
    return [
        _http(port, "/json/new?" + urllib.parse.quote(url, safe=":/?&=#%+@,;"), method="PUT")
        for url in urls
    ]


def close_tabs(port: int, urls: list[str]) -> int:
    """Close the tabs whose URL starts with one of `urls`; returns how many."""
    closed = 0
    for tab in tabs(port):
        if any(tab.get("url", "").startswith(u) for u in urls):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{tab['id']}", timeout=5)
            closed += 1
    return closed


def evaluate(tab: dict[str, Any], expression: str, timeout: float = 20) -> Any:
    """Runtime.evaluate in a tab; returns the expression's value."""
    import websocket

    # Without an Origin header: Chromium refuses DevTools WebSockets from other origins.
    ws = websocket.create_connection(
        tab["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
    )
    try:
        ws.send(
            json.dumps(
                {
                    "id": 1,
                    "method": "Runtime.evaluate",
                    "params": {"expression": expression, "returnByValue": True},
                }
            )
        )
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == 1:
                return message.get("result", {}).get("result", {}).get("value")
    finally:
        ws.close()


def command(args: dict) -> dict:
    """`desktopctl cdp {"op": tabs|open|close|html|eval, "port": 9222, "wait": 60, ...}`."""
    port = int(args.get("port", 9222))
    if not wait_ready(port, float(args.get("wait", 60))):
        return {"status": "error", "message": NOT_RUNNING.format(port=port)}
    op = args.get("op", "tabs")
    try:
        if op == "open":
            return {"status": "success", "opened": open_tabs(port, list(args["urls"]))}
        if op == "close":
            return {"status": "success", "closed": close_tabs(port, list(args["urls"]))}
        pages = tabs(port)
        if op == "tabs":
            return {"status": "success", "tabs": pages}
        if op in {"html", "eval"}:
            if not pages:
                return {"status": "error", "message": "no open tab"}
            if op == "eval":
                value = evaluate(pages[0], str(args["expression"]))
                return {"status": "success", "url": pages[0].get("url"), "value": value}
            html = evaluate(pages[0], "document.documentElement.outerHTML")
            return {"status": "success", "url": pages[0].get("url"), "html": html}
    except Exception as exc:  # the browser's answer, whatever it is, goes back as an error
        return {"status": "error", "message": f"DevTools protocol: {type(exc).__name__}: {exc}"}
    return {"status": "error", "message": f"unknown cdp op {op!r}"}
