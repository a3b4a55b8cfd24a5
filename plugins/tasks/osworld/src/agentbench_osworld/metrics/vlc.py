"""VLC metrics (OSWorld's `vlc.py` semantics): vlcrc settings and the HTTP interface's status.

Like upstream, a setting's value is taken from the last vlcrc line containing `key=`, commented
defaults (`#key=...`) included, and an absent key counts as VLC's default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree


def _setting(path: str | None, key: str, default: str) -> str | None:
    if not path or not Path(path).is_file():
        return None
    value = default
    for line in Path(path).read_text(errors="replace").split("\n"):
        if f"{key}=" in line:
            value = line.split("=")[-1].strip()
    return value


def _check(path: str | None, key: str, default: str, expected: Any) -> float:
    value = _setting(path, key, default)
    return float(value is not None and value == str(expected))


def check_qt_bgcone(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    return _check(actual_config_path, "qt-bgcone", "1", rule["expected_qt_bgcone"])


def check_qt_max_volume(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    return _check(actual_config_path, "qt-max-volume", "125", rule["expected_qt_max_volume"])


def check_qt_minimal_view(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    return _check(actual_config_path, "qt-minimal-view", "0", rule["expected_qt_minimal_view"])


def check_one_instance_when_started_from_file(path: str | None, rule: dict[str, Any]) -> float:
    expected = rule["expected_one_instance_when_started_from_file"]
    return _check(path, "one-instance-when-started-from-file", "1", expected)


def check_global_key_play_pause(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    """'1' when a global play/pause key is set (a non-empty value), else '0'."""
    value = _setting(actual_config_path, "global-key-play-pause", "")
    if value is None:
        return 0.0
    return float(("1" if value else "0") == str(rule["expected_global_key_play_pause"]))


def check_qt_slider_colours(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    """`match`: the colours equal the expected string; `blackish`: every RGB value under 100."""
    default = "153;210;153;20;210;20;255;199;15;245;39;29"
    value = _setting(actual_config_path, "qt-slider-colours", default)
    if value is None:
        return 0.0
    if rule["type"] == "match":
        return float(value == rule["expected_qt_slider_colours"])
    if rule["type"] == "blackish":
        try:
            numbers = [int(x) for x in value.split(";")]
        except ValueError:
            return 0.0
        return float(all(n < 100 for n in numbers))
    return 0.0


def is_vlc_recordings_folder(actual_config_path: str | None, rule: dict[str, str]) -> float:
    """The first uncommented `input-record-path` line names the expected folder."""
    if not actual_config_path or not Path(actual_config_path).is_file():
        return 0.0
    for line in Path(actual_config_path).read_text(errors="replace").split("\n"):
        if line.startswith("#") or not line.strip():
            continue
        if "input-record-path" in line:
            return float(line.split("=")[-1].strip() == rule["recording_file_path"])
    return 0.0


def is_vlc_fullscreen(window_size: dict[str, int] | None, screen_size: dict[str, int] | None):
    """VLC's window is exactly the screen's size."""
    if not window_size or not screen_size:
        return 0.0
    return float(
        window_size["width"] == screen_size["width"]
        and window_size["height"] == screen_size["height"]
    )


def is_vlc_playing(actual_status_path: str | None, rule: dict[str, str]) -> float:
    """VLC's status.xml says playing, and the file name (or URL) ends as the rule says."""
    if not actual_status_path or not Path(actual_status_path).is_file():
        return 0.0
    try:
        tree = ElementTree.fromstring(Path(actual_status_path).read_bytes())
    except ElementTree.ParseError:
        return 0.0
    if (tree.findtext("state") or "") != "playing":
        return 0.0
    field = {"file_name": "filename", "url": "url"}.get(rule["type"])
    if field is None:
        return 0.0
    info = tree.findtext(f'information/category[@name="meta"]/info[@name="{field}"]')
    return float(bool(info) and info.endswith(rule[rule["type"]]))
