"""A static file server on 127.0.0.1, for testing a loader's download-and-cache path offline."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from types import TracebackType


class FileServer:
    """Serves the files under `root` over HTTP in a background thread, recording each request.

        with FileServer(tmp_path / "www") as server:
            (server.root / "data.json").write_text("[]")
            load(url=server.url + "data.json")
            assert server.requests == ["/data.json"]     # a second load should hit the cache

    Attributes:
        root: The served directory (created if missing; files may be added while it runs).
        url: The base URL, ending in `/`.
        requests: The path of every GET, in order (missing files answer 404 and count too).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.requests: list[str] = []
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _handler(self) -> type[http.server.SimpleHTTPRequestHandler]:
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)  # type: ignore[arg-type]

            def do_GET(self) -> None:
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> FileServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
