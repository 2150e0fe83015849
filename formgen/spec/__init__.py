"""Form definitions: the model, the registry of installed forms, and lint."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from formgen.i18n import N_
from formgen.issues import Code, DefinitionError, Issue
from formgen.spec import linted
from formgen.spec.migrate import lint_sources
from formgen.spec.model import Field, FormSpec, Group, definition_hash, version_key

__all__ = ["Field", "FormSpec", "Group", "Registry", "definition_hash", "default_forms_dir", "env_forms_dirs",
           "installed_forms_dir", "load_spec", "version_key"]


def installed_forms_dir() -> Path:
    """The ``forms/`` folder beside the package: the installed forms."""
    return Path(__file__).resolve().parents[2] / "forms"


def default_forms_dir() -> Path:
    """The installed forms folder (kept for callers that want one folder)."""
    return installed_forms_dir()


def env_forms_dirs() -> list[Path]:
    """The folders named in ``$FORMGEN_FORMS`` (separated like PATH); they add to the installed forms."""
    return [Path(p) for p in os.environ.get("FORMGEN_FORMS", "").split(os.pathsep) if p.strip()]


def load_spec(path: str | Path) -> FormSpec:
    """Load and lint one definition; a broken definition raises DefinitionError. A definition whose bytes
    passed lint before is not linted again (``formgen.spec.linted``)."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raw = None
    if raw is not None and linted.passed(raw):
        return FormSpec.from_definition(json.loads(raw.decode("utf-8")), str(path))
    from formgen.spec.lint import lint_file  # the linter is loaded only for a definition not checked before
    definition, issues = lint_file(path)
    errors = [i for i in issues if i.severity.value == "error"]
    if definition is None or errors:
        raise DefinitionError(N_("The form definition {file} has {count} problem(s); run `formgen lint {file}`."),
                              file=str(path), count=len(errors))
    if raw is not None and _parsed(raw) == definition:  # the bytes read first are the definition linted
        linted.remember(raw)
    return FormSpec.from_definition(definition, str(path))


def _parsed(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        return None


#: The subfolder of a forms folder that holds the earlier versions of its forms (``versions/ID@1.0.0.json``).
VERSIONS = "versions"


class Registry:
    """The installed forms: every ``*.json`` directly in the forms folders and in their ``versions/``
    subfolders, one file per form and version (``forms/ID.json`` the current version, ``forms/versions/
    ID@1.0.0.json`` an earlier one still read when its returns arrive; only the content names the version).

    ``Registry()`` reads the installed ``forms/`` folder plus the folders of ``$FORMGEN_FORMS``;
    ``Registry(folder)`` reads only ``folder``; ``extra`` folders (``--forms``) add to either.  Listing reads
    only each file's id and version; a definition is linted and modelled the first time it is used, so
    `formgen generate X` does not pay for checking every other form.  A broken definition, or a form and
    version defined in two files, is kept out and listed in ``problems``; the other forms keep working.
    """

    def __init__(self, folder: str | Path | None = None, extra: tuple | list = ()):
        folders = [Path(folder)] if folder else [installed_forms_dir(), *env_forms_dirs()]
        self.folders: list[Path] = []
        for candidate in [*folders, *(Path(e) for e in extra)]:
            if all(candidate.resolve() != known.resolve() for known in self.folders):
                self.folders.append(candidate)
        self.folder = self.folders[0]
        self._index: dict[tuple[str, str], Path] | None = None
        self._twice: dict[tuple[str, str], list[Path]] = {}
        self._specs: dict[tuple[str, str], FormSpec] = {}
        self._broken: dict[Path, list[Issue]] = {}

    @property
    def problems(self) -> list[Issue]:
        """What keeps a definition out (its lint errors, or a second file for one form and version), and a
        migration that does not fit the version it migrates from."""
        out = [issue for issues in self._broken.values() for issue in issues]
        for (form_id, version), paths in sorted(self._twice.items()):
            out.append(Issue(Code.DEF_DUPLICATE, params={"file": str(paths[1]), "form": form_id, "version": version,
                                                         "other": str(paths[0])}))
        return out

    def _load(self) -> dict[tuple[str, str], Path]:
        if self._index is None:
            index: dict[tuple[str, str], Path] = {}
            for folder in self.folders:
                if not folder.is_dir():
                    raise DefinitionError(N_("The forms folder {folder} does not exist. Set FORMGEN_FORMS or use "
                                             "--forms."), folder=str(folder))
                for path in [*sorted(folder.glob("*.json")), *sorted((folder / VERSIONS).glob("*.json"))]:
                    key = self._identity(path)
                    if key is None:
                        continue
                    if key in index or key in self._twice:
                        self._twice.setdefault(key, [index.pop(key)] if key in index else []).append(path)
                    else:
                        index[key] = path
            self._index = index
        return self._index

    def _identity(self, path: Path) -> tuple[str, str] | None:
        """A definition's (id, version), read without checking the rest of it; None when unreadable."""
        try:
            ident = json.loads(path.read_text("utf-8"))["x-formgen"]
            key = (ident["id"], ident["version"])
        except (OSError, ValueError, KeyError, TypeError):
            key = None
        if key is None or not all(isinstance(part, str) for part in key):
            self._broken[path] = _lint_errors(path)
            return None
        return key

    def _spec(self, key: tuple[str, str]) -> FormSpec:
        if key not in self._specs:
            self._specs[key] = load_spec(self._load()[key])
        return self._specs[key]

    def all(self) -> list[FormSpec]:
        """The newest good version of every form, sorted by id; broken ones go to ``problems``."""
        by_id: dict[str, list[str]] = {}
        for form_id, version in self._load():
            by_id.setdefault(form_id, []).append(version)
        out = []
        for form_id in sorted(by_id):
            for version in sorted(by_id[form_id], key=version_key, reverse=True):
                try:
                    out.append(self._spec((form_id, version)))
                    break
                except DefinitionError:
                    path = self._load()[(form_id, version)]
                    self._broken.setdefault(path, _lint_errors(path))
        return out

    def check(self) -> list[Issue]:
        """Lint every definition of every version (listing alone checks only the newest), and each migration
        against the versions it migrates from, and return ``problems``."""
        for key, path in self._load().items():
            try:
                self._spec(key)
            except DefinitionError:
                self._broken.setdefault(path, _lint_errors(path))
        versions = self.versions()
        for spec in versions:
            found = list(lint_sources(spec, versions, spec.source))
            if found:
                self._broken.setdefault(Path(spec.source), found)
        return self.problems

    def defines(self, form_id: str) -> bool:
        """Whether some file of the forms folders defines ``form_id`` (even a broken or a doubled one)."""
        return any(f == form_id for f, _v in [*self._load(), *self._twice])

    def versions(self, form_id: str | None = None) -> list[FormSpec]:
        """Every good installed version of every form (or of ``form_id``), sorted by id and version; broken
        ones go to ``problems``."""
        out = []
        for key in sorted(self._load(), key=lambda k: (k[0], version_key(k[1]))):
            if form_id is not None and key[0] != form_id:
                continue
            try:
                out.append(self._spec(key))
            except DefinitionError:
                path = self._load()[key]
                self._broken.setdefault(path, _lint_errors(path))
        return out

    def get(self, form_id: str, version: str | None = None) -> FormSpec:
        index = self._load()
        if version is None:
            versions = [v for f, v in [*index, *self._twice] if f == form_id]
            if not versions:
                raise DefinitionError(N_("There is no form '{form}'. Run `formgen forms` to list the installed "
                                         "forms."), form=form_id)
            version = max(versions, key=version_key)
        twice = self._twice.get((form_id, version))
        if twice:
            raise DefinitionError(Code.DEF_DUPLICATE.template, file=str(twice[1]), form=form_id, version=version,
                                  other=str(twice[0]))
        if (form_id, version) not in index:
            raise DefinitionError(N_("Form '{form}' version {version} is not installed."), form=form_id, version=version)
        return self._spec((form_id, version))

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


def _lint_errors(path: Path) -> list[Issue]:
    from formgen.spec.lint import lint_file
    _definition, issues = lint_file(path)
    return [i for i in issues if i.severity.value == "error"]
