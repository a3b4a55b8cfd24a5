"""Drives one new Chrome tab over the DevTools protocol; runs INSIDE the desktop container.

The host sends this file to `python3 -c` with a JSON job on stdin and reads one JSON line back:
`{"port": 9222, "launch": true, "timeout": 60, "ops": [{"op": "goto", "url": ...}, ...]}` gives
`{"status": "success", "results": [...]}` (one result per op) or
`{"status": "error", "message": ..., "step": i, "results": [...]}`.

Ops: goto (navigate and wait for the load event), eval (a JavaScript expression, promises
awaited), wait_for (a CSS selector, optionally visible), click (a CSS selector; waits for the page
it loads, if any), fill (an input's value, with input/change events), sleep, html (url, title and
outerHTML), pdf (Page.printToPDF into `path`), adopt_new_tab (continue in the tab the last click
opened). The tabs opened here are closed at the end.

Only the standard library is used (a minimal WebSocket client), so the same file also runs against
a local Chromium in the tests.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from typing import Any


class DriverError(Exception):
    """A step that failed, with the reason the host reports."""


def http_json(port: int, path: str, method: str = "GET") -> Any:
    """One DevTools HTTP endpoint (/json/version, /json/list, /json/new, /json/close)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
    try:
        return json.loads(body or "null")
    except json.JSONDecodeError:
        return body


def browser_ready(port: int, wait: float) -> bool:
    """Poll /json/version for up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            http_json(port, "/json/version")
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


def ensure_browser(port: int, launch: bool) -> None:
    """As upstream: when Chrome does not answer, start `google-chrome --remote-debugging-port=1337`
    (the task's socat forwards `port` to it) and wait for it."""
    if browser_ready(port, 5):
        return
    if launch:
        subprocess.Popen(
            ["google-chrome", "--remote-debugging-port=1337"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if browser_ready(port, 30):
            return
    raise DriverError(f"Chrome's remote debugging (http://127.0.0.1:{port}) does not answer")


def page_ids(port: int) -> set[str]:
    return {t["id"] for t in http_json(port, "/json/list") if t.get("type") == "page"}


class Socket:
    """A minimal WebSocket client (RFC 6455 text frames, client-masked), enough for DevTools.

    Bytes are buffered here and a frame is taken off the buffer only once it is complete, so a
    read that times out (waiting for an event that does not come) leaves the stream intact.
    """

    def __init__(self, url: str, timeout: float) -> None:
        parts = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        self.buffer = bytearray()
        self.partial = b""
        key = base64.b64encode(os.urandom(16)).decode()
        # No Origin header: Chromium refuses DevTools connections from other origins.
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        while b"\r\n\r\n" not in self.buffer:
            self._receive_more()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise DriverError(f"DevTools WebSocket refused: {head[:200].decode(errors='replace')}")
        self.buffer = bytearray(rest)

    def send(self, text: str) -> None:
        data = text.encode()
        head = bytes([0x81])
        if len(data) < 126:
            head += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _receive_more(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise DriverError("the DevTools connection closed")
        self.buffer += chunk

    def _need(self, size: int) -> None:
        while len(self.buffer) < size:
            self._receive_more()

    def _frame(self) -> tuple[int, bytes]:
        """The next complete frame's first byte and payload, taken off the buffer."""
        self._need(2)
        size, offset = self.buffer[1] & 0x7F, 2
        if size == 126:
            self._need(4)
            size, offset = struct.unpack(">H", self.buffer[2:4])[0], 4
        elif size == 127:
            self._need(10)
            size, offset = struct.unpack(">Q", self.buffer[2:10])[0], 10
        self._need(offset + size)
        first, payload = self.buffer[0], bytes(self.buffer[offset : offset + size])
        del self.buffer[: offset + size]
        return first, payload

    def receive(self) -> str:
        """The next text message (continuation frames joined, pings skipped)."""
        while True:
            first, payload = self._frame()
            opcode = first & 0x0F
            if opcode == 0x8:
                raise DriverError("the browser closed the DevTools connection")
            if opcode in (0x0, 0x1, 0x2):
                self.partial += payload
                if first & 0x80:
                    message, self.partial = self.partial, b""
                    return message.decode()

    def close(self) -> None:
        self.sock.close()


class Tab:
    """One page target: DevTools calls and the events they bring."""

    def __init__(self, port: int, target: dict[str, Any], timeout: float) -> None:
        self.port, self.id, self.timeout = port, target["id"], timeout
        self.socket = Socket(target["webSocketDebuggerUrl"], timeout)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.call("Page.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise DriverError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, name: str, timeout: float) -> bool:
        """Wait for a DevTools event (kept from earlier calls or still to come)."""
        deadline = time.monotonic() + timeout
        while True:
            if any(e["method"] == name for e in self.events):
                self.events = [e for e in self.events if e["method"] != name]
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.socket.sock.settimeout(remaining)
            try:
                self.events.append(json.loads(self.socket.receive()))
            except TimeoutError:
                return False
            finally:
                self.socket.sock.settimeout(self.timeout)

    def evaluate(self, expression: str) -> Any:
        answer = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
            userGesture=True,
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            text = (details.get("exception") or {}).get("description") or details.get("text")
            raise DriverError(f"script error: {text}")
        return answer.get("result", {}).get("value")

    def wait_ready(self, timeout: float) -> None:
        """Wait until the document has loaded (readyState 'complete')."""
        deadline = time.monotonic() + timeout
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() >= deadline:
                raise DriverError(f"the page did not finish loading within {timeout:g}s")
            time.sleep(0.3)

    def close(self) -> None:
        self.socket.close()
        try:
            http_json(self.port, f"/json/close/{self.id}")
        except OSError:
            pass


def _selector_js(selector: str, visible: bool) -> str:
    check = "el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length)"
    return (
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        f" return Boolean({check if visible else 'el'}); }})()"
    )


def wait_for(tab: Tab, selector: str, timeout: float, visible: bool = False) -> bool:
    deadline = time.monotonic() + timeout
    while not tab.evaluate(_selector_js(selector, visible)):
        if time.monotonic() >= deadline:
            raise DriverError(f"no element matches {selector!r} after {timeout:g}s")
        time.sleep(0.3)
    return True


def goto(tab: Tab, url: str, timeout: float) -> dict[str, Any]:
    tab.events.clear()
    answer = tab.call("Page.navigate", url=url)
    if answer.get("errorText"):
        raise DriverError(f"could not load {url}: {answer['errorText']}")
    if not tab.wait_event("Page.loadEventFired", timeout):
        raise DriverError(f"{url} did not finish loading within {timeout:g}s")
    return tab.evaluate("({url: location.href, title: document.title})")


def click(tab: Tab, selector: str, timeout: float) -> bool:
    wait_for(tab, selector, timeout)
    tab.events.clear()
    tab.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
    # A click that starts a navigation gets its load event waited for; others return at once.
    if tab.wait_event("Page.frameStartedLoading", 1.0):
        tab.wait_event("Page.loadEventFired", timeout)
    return True


FILL_JS = """((sel, value) => {
  const el = document.querySelector(sel);
  const proto = Object.getPrototypeOf(el);
  const setter = Object.getOwnPropertyDescriptor(proto, 'value');
  el.focus();
  if (setter && setter.set) setter.set.call(el, value); else el.value = value;
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
})(%s, %s)"""


def run_op(state: dict[str, Any], op: dict[str, Any], timeout: float) -> Any:
    """One op on the current tab (`state["tab"]`)."""
    tab: Tab = state["tab"]
    kind = op["op"]
    limit = float(op.get("timeout", timeout))
    if kind == "goto":
        return goto(tab, op["url"], limit)
    if kind == "eval":
        return tab.evaluate(op["expression"])
    if kind == "wait_for":
        return wait_for(tab, op["selector"], limit, bool(op.get("visible")))
    if kind == "click":
        state["known"] = page_ids(state["port"])
        return click(tab, op["selector"], limit)
    if kind == "fill":
        wait_for(tab, op["selector"], limit)
        return tab.evaluate(FILL_JS % (json.dumps(op["selector"]), json.dumps(op["value"])))
    if kind == "sleep":
        time.sleep(float(op["seconds"]))
        return None
    if kind == "html":
        return tab.evaluate(
            "({url: location.href, title: document.title,"
            " content: document.documentElement.outerHTML})"
        )
    if kind == "pdf":
        # Playwright's page.pdf() defaults, which upstream's gold files were made with: Letter
        # paper, no margins, no backgrounds.
        margins = {f"margin{side}": 0 for side in ("Top", "Bottom", "Left", "Right")}
        data = base64.b64decode(
            tab.call("Page.printToPDF", printBackground=False, **margins)["data"]
        )
        os.makedirs(os.path.dirname(op["path"]) or ".", exist_ok=True)
        with open(op["path"], "wb") as handle:
            handle.write(data)
        return {"path": op["path"], "bytes": len(data)}
    if kind == "adopt_new_tab":
        return adopt_new_tab(state, limit)
    raise DriverError(f"unknown op {kind!r}")


def adopt_new_tab(state: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Continue in the page target that appeared since the last click (a popup)."""
    deadline = time.monotonic() + timeout
    while True:
        targets = [t for t in http_json(state["port"], "/json/list") if t.get("type") == "page"]
        new = [t for t in targets if t["id"] not in state.get("known", set())]
        if new:
            break
        if time.monotonic() >= deadline:
            raise DriverError(f"no new tab opened within {timeout:g}s")
        time.sleep(0.3)
    tab = Tab(state["port"], new[0], timeout)
    state["tabs"].append(tab)
    state["tab"] = tab
    tab.wait_ready(timeout)
    return tab.evaluate("({url: location.href, title: document.title})")


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Open a blank tab, run the job's ops in order, close the tabs; the answer as a dict."""
    port, timeout = int(job.get("port", 9222)), float(job.get("timeout", 60))
    results: list[Any] = []
    state: dict[str, Any] = {"port": port, "tabs": []}
    try:
        ensure_browser(port, bool(job.get("launch", True)))
        target = http_json(port, "/json/new?about:blank", method="PUT")
        state["tab"] = Tab(port, target, timeout)
        state["tabs"].append(state["tab"])
        for op in job["ops"]:
            results.append(run_op(state, op, timeout))
        return {"status": "success", "results": results}
    except (DriverError, OSError, ValueError, KeyError) as exc:
        message = str(exc) if isinstance(exc, DriverError) else f"{type(exc).__name__}: {exc}"
        return {"status": "error", "message": message, "step": len(results), "results": results}
    finally:
        for tab in state["tabs"]:
            tab.close()


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
