"""Form definitions: the model, the registry of installed forms, and lint."""

from __future__ import annotations

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
    """The installed forms: every ``*.json`` directly in the forms folder, one file per form and version."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else default_forms_dir()
        self._specs: dict[tuple[str, str], FormSpec] | None = None

    def _load(self) -> dict[tuple[str, str], FormSpec]:
        if self._specs is None:
            if not self.folder.is_dir():
                raise DefinitionError(N_("The forms folder {folder} does not exist. Set FORMGEN_FORMS or use --forms."),
                                      folder=str(self.folder))
            specs: dict[tuple[str, str], FormSpec] = {}
            for path in sorted(self.folder.glob("*.json")):
                spec = load_spec(path)
                specs[(spec.id, spec.version)] = spec
            self._specs = specs
        return self._specs

    def all(self) -> list[FormSpec]:
        """The newest version of every form, sorted by id."""
        latest: dict[str, FormSpec] = {}
        for spec in self._load().values():
            if spec.id not in latest or _vkey(spec.version) > _vkey(latest[spec.id].version):
                latest[spec.id] = spec
        return [latest[k] for k in sorted(latest)]

    def get(self, form_id: str, version: str | None = None) -> FormSpec:
        specs = self._load()
        if version is not None:
            spec = specs.get((form_id, version))
            if spec is None:
                raise DefinitionError(N_("Form '{form}' version {version} is not installed."), form=form_id, version=version)
            return spec
        for spec in self.all():
            if spec.id == form_id:
                return spec
        raise DefinitionError(N_("There is no form '{form}'. Run `formgen forms` to list the installed forms."), form=form_id)

    def find(self, form_id: str, version: str) -> FormSpec | None:
        return self._load().get((form_id, version))


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
