"""Impress getters (OSWorld's `getters/impress.py`): media that a slide uses.

Both copy the presentation at `ppt_file_path` from the desktop and look at slide `slide_index`
(0-based) of the .pptx. A file embedded in the presentation is written to `dest` in the cache
folder (upstream extracts it under its own path inside the package, e.g. `ppt/media/...`; the
content is the same); a linked file (`file://` target) is copied from the desktop to `dest`.
None when the slide, the relationship or the file is missing.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
from typing import Any
from xml.etree import ElementTree

from .getters import EvalEnv, get_vm_file

_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_BG_PR = "{http://schemas.openxmlformats.org/presentationml/2006/main}bgPr"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


async def _local_presentation(env: EvalEnv, config: dict[str, Any]) -> str | None:
    path = config["ppt_file_path"]
    local = await get_vm_file(env, {"path": path, "dest": os.path.basename(path)})
    return local if isinstance(local, str) else None


def _slide_xml(archive: zipfile.ZipFile, index: int) -> ElementTree.Element | None:
    name = f"ppt/slides/slide{index + 1}.xml"
    if name not in archive.namelist():
        return None
    return ElementTree.fromstring(archive.read(name))


def _relationships(archive: zipfile.ZipFile, index: int) -> list[ElementTree.Element]:
    name = f"ppt/slides/_rels/slide{index + 1}.xml.rels"
    if name not in archive.namelist():
        return []
    return list(ElementTree.fromstring(archive.read(name)).iter(_REL))


def _background_image_id(slide: ElementTree.Element) -> str | None:
    """The relationship id of the first picture in the slide's background properties."""
    for background in slide.iter(_BG_PR):
        for blip in background.iter(_BLIP):
            if blip.get(_EMBED):
                return blip.get(_EMBED)
    return None


async def _fetch_target(
    env: EvalEnv, archive: zipfile.ZipFile, target: str, dest: str
) -> str | None:
    """Write the relationship's target to `dest`: from the package when it is a part of it, from
    the desktop when it is a `file://` link."""
    if target.startswith("file://"):
        linked = await get_vm_file(env, {"path": target[len("file://") :], "dest": dest})
        return linked if isinstance(linked, str) else None
    member = posixpath.normpath(posixpath.join("ppt/slides", target))
    if member not in archive.namelist():
        return None
    local = env.cache_dir / dest
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(archive.read(member))
    return str(local)


async def get_audio_in_slide(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """The first audio file the slide refers to (embedded or linked), saved as `dest`."""
    local = await _local_presentation(env, config)
    if local is None:
        return None
    index = int(config["slide_index"])
    with zipfile.ZipFile(local) as archive:
        for rel in _relationships(archive, index):
            if "audio" in rel.get("Type", ""):
                return await _fetch_target(env, archive, rel.get("Target", ""), config["dest"])
    return None


async def get_background_image_in_slide(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """The picture filling the slide's background (embedded or linked), saved as `dest`."""
    local = await _local_presentation(env, config)
    if local is None:
        return None
    index = int(config["slide_index"])
    with zipfile.ZipFile(local) as archive:
        slide = _slide_xml(archive, index)
        image_id = _background_image_id(slide) if slide is not None else None
        if image_id is None:
            return None
        for rel in _relationships(archive, index):
            if "image" in rel.get("Type", "") and rel.get("Id") == image_id:
                return await _fetch_target(env, archive, rel.get("Target", ""), config["dest"])
    return None


GETTERS = {
    "audio_in_slide": get_audio_in_slide,
    "background_image_in_slide": get_background_image_in_slide,
}
