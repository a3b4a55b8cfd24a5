"""The evaluator's metrics by name (`evaluator.func`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    apps,
    audio,
    basic_os,
    chrome,
    chrome_more,
    docs,
    docs_more,
    files,
    general,
    gimp,
    images,
    media,
    slides,
    slides_more,
    table,
    vlc,
)

_MORE = (audio, docs_more, files, media, slides_more, chrome_more)  # LibreOffice, media, files, web

METRICS: dict[str, Callable[..., Any]] = {
    name: fn
    for module in (general, basic_os, table, docs, slides, apps, images, chrome, vlc, gimp, *_MORE)
    for name, fn in vars(module).items()
    if callable(fn)
    and not name.startswith("_")
    and getattr(fn, "__module__", "") == module.__name__
    and name not in {"sheet_values", "match_value_to_rule", "ssim", "same_url"}
}

__all__ = ["METRICS"]
