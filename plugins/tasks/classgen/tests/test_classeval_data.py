"""Loading ClassEval data: a local file, bad records, and the pinned download (trust on first
use, enforced afterwards) against a local HTTP server."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from agentbench_classgen.classeval.data import load_tasks, resolve_data
from agentbench_classgen.classeval.task import ClassEval

from agentbench import DataError

TINY = Path(__file__).parent / "fixtures" / "classeval_tiny.json"


class _Files(http.server.BaseHTTPRequestHandler):
    payloads: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self) -> None:
        body = self.payloads.get(self.path)
        self.hits.append(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Files.hits.clear()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_samples_from_a_local_file() -> None:
    samples = list(ClassEval({"data": str(TINY)}).samples())
    assert [s.id for s in samples] == ["Fixture_0", "Fixture_1"]
    assert [m.role for m in samples[0].input] == ["system", "user"]


def test_missing_and_bad_files_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        resolve_data(str(tmp_path / "nope.json"))
    bad = json.loads(TINY.read_text())
    del bad[0]["test_classes"]
    bad[1]["methods_info"][0].pop("solution_code")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([*bad, bad[1]]))
    with pytest.raises(DataError) as info:
        load_tasks(path)
    message = str(info.value)
    assert "Fixture_0: missing field(s) 'test_classes'" in message
    assert "Fixture_1: a methods_info entry lacks" in message
    path.write_text("{")
    with pytest.raises(DataError, match="not valid JSON"):
        load_tasks(path)


def test_download_is_trusted_on_first_use_then_enforced(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    _Files.payloads = {"/ClassEval_data.json": TINY.read_bytes()}
    url = server + "/ClassEval_data.json"
    task = ClassEval({"data_url": url})
    assert [s.id for s in task.samples()] == ["Fixture_0", "Fixture_1"]
    cached = next((tmp_path / "cache").rglob("ClassEval_data.json"))
    assert cached.with_name("ClassEval_data.json.sha256").is_file()
    # a second use reads the cache
    assert resolve_data(None, url=url) == cached
    assert len(_Files.hits) == 1
    # a corrupted cache is downloaded again and must match the recorded digest
    cached.write_text("[]")
    _Files.payloads = {"/ClassEval_data.json": b"[]"}
    with pytest.raises(DataError, match="checksum mismatch"):
        resolve_data(None, url=url)


def test_download_with_a_wrong_pinned_digest_fails(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    _Files.payloads = {"/d.json": TINY.read_bytes()}
    with pytest.raises(DataError, match="checksum mismatch"):
        resolve_data(None, url=server + "/d.json", sha256="0" * 64)
    with pytest.raises(DataError, match="could not download"):
        resolve_data(None, url=server + "/missing.json")


def test_repoclassbench_data_downloads_pinned_into_its_own_cache(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentbench_classgen.repoclass.data import resolve_data as resolve_repoclass

    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    fixture = Path(__file__).parent / "fixtures" / "repoclass" / "python_data.json"
    _Files.payloads = {"/python_data.json": fixture.read_bytes()}
    path = resolve_repoclass(None, url=server + "/python_data.json")
    assert path.read_bytes() == fixture.read_bytes()
    assert "repoclassbench" in str(path) and path.with_name("python_data.json.sha256").is_file()
    with pytest.raises(DataError, match=r"checksum mismatch for python_data\.json"):
        resolve_repoclass(None, url=server + "/python_data.json", sha256="0" * 64)
