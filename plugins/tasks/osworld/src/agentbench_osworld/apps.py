"""The applications OSWorld's tasks start, where they live in the images, and the fix to show
when one is missing (the default image has none of the big ones; agentbench/desktop-apps has)."""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass
from typing import Any

APPS_IMAGE = "agentbench/desktop-apps:latest"


@dataclass(frozen=True)
class App:
    """An application: its name, the binary that must exist, whether it opens a window, the
    APPS build argument that installs it ('' when no image here can have it), and the text its
    window's title has once it is ready ('' when the first window is enough)."""

    name: str
    binary: str
    gui: bool = True
    build_arg: str = ""
    ready_title: str = ""


CHROME = App("Chromium (standing in for Google Chrome)", "chromium", build_arg="chromium")
LIBREOFFICE = App("LibreOffice", "soffice", build_arg="libreoffice")
GIMP = App("GIMP", "gimp", build_arg="gimp")
VLC = App("VLC", "vlc", build_arg="vlc")
THUNDERBIRD = App("Thunderbird", "thunderbird", build_arg="thunderbird")
NAUTILUS = App("Files (nautilus)", "nautilus", build_arg="nautilus")
# code-server in a Chromium app window, whose title is the URL until VS Code's workbench loads
VSCODE = App(
    "Visual Studio Code (code-server)",
    "code-server",
    build_arg="vscode",
    ready_title="Visual Studio Code",
)
TERMINAL = App("GNOME Terminal", "gnome-terminal")

PROGRAMS = {
    "google-chrome": CHROME,
    "chromium": CHROME,
    "libreoffice": LIBREOFFICE,
    "soffice": LIBREOFFICE,
    "gimp": GIMP,
    "vlc": VLC,
    "thunderbird": THUNDERBIRD,
    "nautilus": NAUTILUS,
    "code": VSCODE,
    "gnome-terminal": TERMINAL,
}

EXTENSIONS = {
    **dict.fromkeys(
        ["docx", "doc", "odt", "rtf", "xlsx", "xls", "ods", "csv", "pptx", "ppt", "odp"],
        LIBREOFFICE,
    ),
    **dict.fromkeys(["mp4", "mp3", "wav", "avi", "mkv", "webm", "ogg", "flac"], VLC),
    **dict.fromkeys(["xcf"], GIMP),
    **dict.fromkeys(["html", "htm"], CHROME),
}


def program_of(command: Any) -> str:
    """The program a launch command runs (its first word, without a path)."""
    if isinstance(command, str):
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
    else:
        words = [str(c) for c in command]
    words = [w for w in words if "=" not in w or w.startswith("-")]
    return posixpath.basename(words[0]) if words else ""


def application(program: str) -> App | None:
    """The known application behind a program name, if any."""
    return PROGRAMS.get(program)


def application_for_file(path: str) -> App | None:
    """The application that opens a file of this extension in OSWorld's VM."""
    return EXTENSIONS.get(posixpath.splitext(path)[1].lstrip(".").lower())


def fix_for(app: App | str | None) -> str:
    """The one-line fix for a missing application."""
    if isinstance(app, App) and app.build_arg:
        return (
            f"run the task in the applications image: -T image={APPS_IMAGE} (build it with "
            f"agentbench sandbox build desktop-apps; "
            f"APPS={app.build_arg} installs only {app.name})"
        )
    if isinstance(app, App):
        return (
            f"{app.name} cannot be installed from the registries here; run it with upstream OSWorld"
        )
    return f"install {app or 'the program'} in the image"
