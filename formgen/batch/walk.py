"""Walk a folder of returned files: every file once, sorted, litter marked rather than dropped.

Each file under the folder is yielded as a :class:`Found`, in the order of its
path relative to the folder (``/`` separated).  Office lock files and the
files operating systems leave behind are yielded too, with ``skip`` saying
why they are not read, so a report can list them.  A symbolic link is
followed only to a file inside the folder; a link leading out of it, to a
folder, or nowhere is listed as skipped, never read.  A folder that cannot be
listed is yielded as skipped, and the walk goes on.

The reasons are message ids (``formgen.i18n.N_``), translated when shown.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from formgen.i18n import N_

LOCK_FILE = N_("lock file")
SYSTEM_FILE = N_("system file")
LINK_OUTSIDE = N_("link to a place outside the folder")
LINK_TO_FOLDER = N_("link to a folder")
BROKEN_LINK = N_("link to nothing")
UNREADABLE_FOLDER = N_("folder that cannot be opened")

#: Files that operating systems and file managers write beside the user's files (compared lower-cased).
SYSTEM_NAMES = {"thumbs.db", "ehthumbs.db", "desktop.ini", ".ds_store", ".localized", ".directory"}
#: Folders whose whole content is system litter (compared lower-cased): macOS zip resource forks,
#: Spotlight and trash folders, Windows' recycle bin and volume information.
SYSTEM_FOLDERS = {"__macosx", ".spotlight-v100", ".trashes", ".fseventsd", ".temporaryitems",
                  "$recycle.bin", "system volume information"}


@dataclass(frozen=True)
class Found:
    relpath: str
    path: Path
    skip: str | None = None

    @property
    def unreadable(self) -> bool:
        """A folder that could not be listed: not litter, its files went unchecked."""
        return self.skip == UNREADABLE_FOLDER


def litter(relpath: str) -> str | None:
    """Why the file at ``relpath`` is not a returned form (LOCK_FILE or SYSTEM_FILE), or None."""
    *folders, name = relpath.split("/")
    if any(f.lower() in SYSTEM_FOLDERS for f in folders) or name.lower() in SYSTEM_NAMES:
        return SYSTEM_FILE
    if name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#")):
        return LOCK_FILE  # Microsoft Office / WPS, and LibreOffice
    if name.startswith("._"):
        return SYSTEM_FILE  # AppleDouble: a macOS file's metadata, copied to a foreign disk or zip
    return None


def walk(folder: Path) -> Iterator[Found]:
    """Every file under ``folder``, recursively, sorted by its relative path."""
    root = Path(folder)
    yield from _walk(root, root.resolve(), "")


def _walk(directory: Path, real_root: Path, prefix: str) -> Iterator[Found]:
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except OSError:
        yield Found(prefix.rstrip("/") or ".", directory, UNREADABLE_FOLDER)
        return
    listed = []
    for entry in entries:
        is_dir = _is_dir(entry)
        # sorting "name/" for a folder orders its files exactly where their relative paths sort
        listed.append((entry.name + "/" if is_dir else entry.name, entry, is_dir))
    for key, entry, is_dir in sorted(listed, key=lambda t: t[0]):
        relpath = prefix + entry.name
        path = Path(entry.path)
        if is_dir:
            yield from _walk(path, real_root, relpath + "/")
        elif entry.is_symlink():
            yield Found(relpath, path, _link_problem(path, real_root) or litter(relpath))
        else:
            yield Found(relpath, path, litter(relpath))


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _link_problem(path: Path, real_root: Path) -> str | None:
    """Why a symbolic link is not followed, or None for a link to a file inside the folder."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop of links
        return BROKEN_LINK
    if not target.is_relative_to(real_root):
        return LINK_OUTSIDE
    if target.is_dir():
        return LINK_TO_FOLDER
    return None
