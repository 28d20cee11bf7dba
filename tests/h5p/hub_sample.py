"""Real H5P hub content for browser tests, from a package registry (never committed).

h5p-standalone 2.1.3 on npm ships, in its test workspace, a True/False
question made with the H5P editor: H5P.TrueFalse 1.6 with the hub's own
H5P.Question 1.4, H5P.JoubelUI 1.3, FontAwesome 4.5, Drop, Tether and the
rest of its dependencies. package.json installs it as the devDependency
``h5p-hub-sample`` (an npm alias, so the player's own h5p-standalone 3.x is
untouched); here it is zipped into a .h5p package at test time.

H5P.TrueFalse's library.json allows only the "iframe" embed type (as most
hub content types do), and the player runs it so: in an inner iframe of its
own, the frame-in-a-frame layout whose heights must follow the content.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parents[2] / "node_modules" / "h5p-hub-sample" / "test" / "full_workspace"
TITLE = "Hello World"
QUESTION = "Is this false?"
CORRECT_ANSWER = "False"
WRONG_ANSWER = "True"


def available() -> bool:
    return (WORKSPACE / "h5p.json").is_file()


def package() -> bytes:
    """The workspace as a .h5p file: h5p.json, content/ and one folder per library."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(WORKSPACE.rglob("*")):
            relative = path.relative_to(WORKSPACE).as_posix()
            # The workspace's placeholder note is no part of an exported package.
            if path.is_file() and relative != "H5P_CONTENT_HERE.txt":
                archive.write(path, relative)
    return buffer.getvalue()
