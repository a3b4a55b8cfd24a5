"""The desktop images are the osworld plugin's own: their build context ships in its package."""

from __future__ import annotations

from pathlib import Path

import agentbench_osworld

from agentbench import SandboxImage, get_registry


def test_the_plugin_registers_its_desktop_images_from_its_own_folder() -> None:
    images = get_registry().images
    package = Path(agentbench_osworld.__file__).parent
    for name in ("desktop", "desktop-apps"):
        image, distribution = images[name]
        assert isinstance(image, SandboxImage) and distribution == "agentbench-runner-osworld"
        assert image.context.is_relative_to(package)
        assert (image.context / "Dockerfile").is_file()
    assert images["desktop-apps"][0].build_args == {"APPS": "all"}
    assert images["desktop"][0].build_args == {}
