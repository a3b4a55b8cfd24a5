"""Loading ClassEval data: a local file, bad records, and the pinned download (trust on first
use, enforced afterwards) against a local HTTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_classgen.classeval.data import load_tasks, resolve_data
from agentbench_classgen.classeval.task import ClassEval

from agentbench import DataError
from agentbench.fakeservers import FileServer

TINY = Path(__file__).parent / "fixtures" / "classeval_tiny.json"


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
    file_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    (file_server.root / "ClassEval_data.json").write_bytes(TINY.read_bytes())
    url = file_server.url + "ClassEval_data.json"
    task = ClassEval({"data_url": url})
    assert [s.id for s in task.samples()] == ["Fixture_0", "Fixture_1"]
    cached = next((tmp_path / "cache").rglob("ClassEval_data.json"))
    assert cached.with_name("ClassEval_data.json.sha256").is_file()
    # a second use reads the cache
    assert resolve_data(None, url=url) == cached
    assert len(file_server.requests) == 1
    # a corrupted cache is downloaded again and must match the recorded digest
    cached.write_text("[]")
    (file_server.root / "ClassEval_data.json").write_text("[]")
    with pytest.raises(DataError, match="checksum mismatch"):
        resolve_data(None, url=url)


def test_download_with_a_wrong_pinned_digest_fails(
    file_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    (file_server.root / "d.json").write_bytes(TINY.read_bytes())
    with pytest.raises(DataError, match="checksum mismatch"):
        resolve_data(None, url=file_server.url + "d.json", sha256="0" * 64)
    with pytest.raises(DataError, match="could not download"):
        resolve_data(None, url=file_server.url + "missing.json")


def test_repoclassbench_data_downloads_pinned_into_its_own_cache(
    file_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentbench_classgen.repoclass.data import resolve_data as resolve_repoclass

    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    fixture = Path(__file__).parent / "fixtures" / "repoclass" / "python_data.json"
    (file_server.root / "python_data.json").write_bytes(fixture.read_bytes())
    path = resolve_repoclass(None, url=file_server.url + "python_data.json")
    assert path.read_bytes() == fixture.read_bytes()
    assert "repoclassbench" in str(path) and path.with_name("python_data.json.sha256").is_file()
    with pytest.raises(DataError, match=r"checksum mismatch for python_data\.json"):
        resolve_repoclass(None, url=file_server.url + "python_data.json", sha256="0" * 64)
