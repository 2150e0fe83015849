"""Form definitions: the model, the registry of installed forms, and lint."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from formgen.i18n import N_
from formgen.issues import DefinitionError
from formgen.spec.lint import lint_file
from formgen.spec.model import Field, FormSpec, Group, definition_hash

__all__ = ["Field", "FormSpec", "Group", "Registry", "definition_hash", "default_forms_dir", "load_spec"]


def default_forms_dir() -> Path:
    """``$FORMGEN_FORMS`` if set, else the ``forms/`` folder beside the package."""
    env = os.environ.get("FORMGEN_FORMS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "forms"


def load_spec(path: str | Path) -> FormSpec:
    """Load and lint one definition; a broken definition raises DefinitionError."""
    definition, issues = lint_file(path)
    errors = [i for i in issues if i.severity.value == "error"]
    if definition is None or errors:
        raise DefinitionError(N_("The form definition {file} has {count} problem(s); run `formgen lint {file}`."),
                              file=str(path), count=len(errors))
    return FormSpec.from_definition(definition, str(path))


class Registry:
    """The installed forms: every ``*.json`` directly in the forms folder, one file per form and version.

    Listing reads only each file's id and version; a definition is linted and modelled the first time it is
    used, so `formgen generate X` does not pay for checking every other form.
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else default_forms_dir()
        self._index: dict[tuple[str, str], Path] | None = None
        self._specs: dict[tuple[str, str], FormSpec] = {}

    def _load(self) -> dict[tuple[str, str], Path]:
        if self._index is None:
            if not self.folder.is_dir():
                raise DefinitionError(N_("The forms folder {folder} does not exist. Set FORMGEN_FORMS or use --forms."),
                                      folder=str(self.folder))
            index: dict[tuple[str, str], Path] = {}
            for path in sorted(self.folder.glob("*.json")):
                index[_identity(path)] = path
            self._index = index
        return self._index

    def _spec(self, key: tuple[str, str]) -> FormSpec:
        if key not in self._specs:
            self._specs[key] = load_spec(self._load()[key])
        return self._specs[key]

    def _newest(self) -> dict[str, tuple[str, str]]:
        newest: dict[str, tuple[str, str]] = {}
        for form_id, version in self._load():
            if form_id not in newest or _vkey(version) > _vkey(newest[form_id][1]):
                newest[form_id] = (form_id, version)
        return newest

    def all(self) -> list[FormSpec]:
        """The newest version of every form, sorted by id."""
        newest = self._newest()
        return [self._spec(newest[k]) for k in sorted(newest)]

    def versions(self) -> list[FormSpec]:
        """Every installed version of every form, sorted by id and version."""
        return [self._spec(k) for k in sorted(self._load(), key=lambda k: (k[0], _vkey(k[1])))]

    def get(self, form_id: str, version: str | None = None) -> FormSpec:
        if version is not None:
            if (form_id, version) not in self._load():
                raise DefinitionError(N_("Form '{form}' version {version} is not installed."), form=form_id, version=version)
            return self._spec((form_id, version))
        key = self._newest().get(form_id)
        if key is None:
            raise DefinitionError(N_("There is no form '{form}'. Run `formgen forms` to list the installed forms."),
                                  form=form_id)
        return self._spec(key)

    def find(self, form_id: str, version: str) -> FormSpec | None:
        return self._spec((form_id, version)) if (form_id, version) in self._load() else None

    def preload(self) -> "Registry":
        """Load every installed definition now, so the registry can be sent to another process without its folder."""
        for key in self._load():
            self._spec(key)
        return self

    def fingerprint(self) -> str:
        """One hash over every installed definition (id, version and content): it changes when any form does."""
        digest = hashlib.sha256()
        for key in sorted(self._load()):
            digest.update(f"{key[0]}\0{key[1]}\0{self._spec(key).hash}\n".encode())
        return digest.hexdigest()


def _identity(path: Path) -> tuple[str, str]:
    """A definition's (id, version), read without checking the rest of it."""
    try:
        ident = json.loads(path.read_text("utf-8"))["x-formgen"]
        key = (ident["id"], ident["version"])
    except (OSError, ValueError, KeyError, TypeError):
        key = None
    if key is None or not all(isinstance(part, str) for part in key):
        spec = load_spec(path)  # a file without a readable id and version fails its lint: DefinitionError
        key = (spec.id, spec.version)
    return key


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
