"""Loading data: local files, bad records, the demo set, and downloads from a local server."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest
from agentbench_selfinvoke.tasks import BigCodeBenchLitePro, HumanEvalPro, MbppPro

from agentbench import ConfigError, DataError
from agentbench.fakeservers import FileServer

FIXTURES = Path(__file__).parent / "fixtures"
HE = FIXTURES / "humaneval_pro_tiny.json"


@pytest.fixture
def server(file_server: FileServer) -> FileServer:
    (file_server.root / "humaneval_pro.json").write_bytes(HE.read_bytes())
    (file_server.root / "mbpp_pro.json").write_bytes((FIXTURES / "mbpp_pro_tiny.json").read_bytes())
    return file_server


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(path))
    return path


def test_local_file_gives_one_sample_per_record_with_upstream_ids() -> None:
    samples = list(HumanEvalPro({"data": str(HE)}).samples())
    assert [s.id for s in samples] == ["0", "1", "2"]
    assert {s.subset for s in samples} == {"pro"}


def test_base_adds_a_base_sample_after_each_pro_sample() -> None:
    samples = list(HumanEvalPro({"data": str(HE), "base": "true"}).samples())
    assert [s.id for s in samples] == ["0", "0:base", "1", "1:base", "2", "2:base"]
    assert [s.subset for s in samples[:2]] == ["pro", "base"]


def test_demo_data_ships_with_the_plugin() -> None:
    for task_cls in (HumanEvalPro, MbppPro, BigCodeBenchLitePro):
        assert len(list(task_cls({"data": "demo"}).samples())) >= 3


def test_missing_file_is_a_data_error_saying_how_to_pass_one(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        list(HumanEvalPro({"data": str(tmp_path / "nope.json")}).samples())
    assert "-T data=PATH" in str(err.value)


def test_bad_json_names_path_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n{"id": 0,\n')
    with pytest.raises(DataError, match=r"bad\.json:\d+: not valid JSON"):
        list(HumanEvalPro({"data": str(bad)}).samples())


def test_bad_records_fail_the_run_naming_each_id() -> None:
    with pytest.raises(DataError) as err:
        list(HumanEvalPro({"data": str(FIXTURES / "bad_records.json")}).samples())
    message = str(err.value)
    assert "5 bad record(s)" in message
    assert "1: missing field(s) 'test_code'" in message
    assert "2: field(s) 'new_solution' must be strings" in message
    assert "#3: missing field 'id'" in message
    assert "0: duplicate id" in message
    assert "on_bad_record=skip" in message


def test_bad_records_can_be_skipped_and_are_reported() -> None:
    task = HumanEvalPro({"data": str(FIXTURES / "bad_records.json"), "on_bad_record": "skip"})
    assert [s.id for s in task.samples()] == ["0"]
    skipped = task.metrics([])["skipped_records"]
    assert [s["id"] for s in skipped] == ["1", "2", "#3", "0", "#5"]


def test_bigcodebench_has_no_cot_variant_upstream() -> None:
    with pytest.raises(ConfigError, match="variant"):
        BigCodeBenchLitePro({"variant": "cot"})


def test_download_is_cached_and_checksum_recorded(server: FileServer, cache: Path) -> None:
    opts = {"data_url": server.url + "humaneval_pro.json"}
    assert len(list(HumanEvalPro(opts).samples())) == 3
    assert len(list(HumanEvalPro(opts).samples())) == 3
    assert server.requests == ["/humaneval_pro.json"]  # the second run used the cache
    cached = next(cache.rglob("humaneval_pro.json"))
    recorded = cached.with_name("humaneval_pro.json.sha256").read_text().strip()
    assert recorded == hashlib.sha256(HE.read_bytes()).hexdigest()


def test_corrupt_cache_is_downloaded_again(server: FileServer, cache: Path) -> None:
    opts = {"data_url": server.url + "humaneval_pro.json"}
    list(HumanEvalPro(opts).samples())
    cached = next(cache.rglob("humaneval_pro.json"))
    cached.write_text("[]")
    assert len(list(HumanEvalPro(opts).samples())) == 3
    assert len(server.requests) == 2


def test_changed_upstream_file_fails_trust_on_first_use(
    server: FileServer, cache: Path, tmp_path: Path
) -> None:
    opts = {"data_url": server.url + "humaneval_pro.json"}
    list(HumanEvalPro(opts).samples())
    next(cache.rglob("humaneval_pro.json")).unlink()
    (tmp_path / "www" / "humaneval_pro.json").write_text("[]")
    with pytest.raises(DataError, match="checksum mismatch"):
        list(HumanEvalPro(opts).samples())


def test_given_checksum_is_enforced(server: FileServer) -> None:
    opts = {"data_url": server.url + "humaneval_pro.json", "data_sha256": "0" * 64}
    with pytest.raises(DataError, match="checksum mismatch"):
        list(HumanEvalPro(opts).samples())


def test_pinned_checksum_rejects_a_different_mbpp_pro_file(server: FileServer) -> None:
    with pytest.raises(DataError, match="checksum mismatch"):
        list(MbppPro({"data_url": server.url + "mbpp_pro.json"}).samples())


def test_offline_download_is_a_one_line_data_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DataError) as err:
        list(HumanEvalPro({"data_url": f"http://127.0.0.1:{port}/humaneval_pro.json"}).samples())
    text = str(err.value)
    assert "could not download humaneval_pro.json" in text
    assert "-T data=PATH" in text
    assert "\n" not in text
