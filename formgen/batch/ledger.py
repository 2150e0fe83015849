"""The ledger: an SQLite database of every file a batch has seen, and of every check's result.

Two durable tables:

- ``files``: one row per (path, sha256), a file's version as it was seen: size, mtime (ns) and
  ``received_at``, the first time the ledger saw these bytes at this path.  A file's received time is the
  earliest of its bytes at any path, so a file moved to another folder keeps it.  An earlier version of a path
  stays when its file is replaced (as ODK Central keeps a submission's versions).
- ``checks``: the result of checking some bytes, keyed by (sha256, fingerprint, expected form), where the
  fingerprint covers every installed definition and formgen's version: a changed definition or a new
  formgen re-checks, anything else is re-used.  ``record`` holds the typed record (personal data: the
  database is created with mode 0600).

Each result is committed as it arrives (WAL journal), so killing the batch at any moment loses at most
the files given to the workers then (two per worker).  A run's own view (which files are in the folder now,
their statuses) is a temporary table, rebuilt by each run.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterator

CACHE_KIB = 512  # the page cache of the ledger, and of the run's temporary table

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    relpath TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (relpath, sha256));
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256, received_at);
CREATE TABLE IF NOT EXISTS checks (
    sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, expected_form TEXT NOT NULL,
    formgen_version TEXT NOT NULL, checked_at TEXT NOT NULL,
    result TEXT NOT NULL, record TEXT, unit TEXT,
    PRIMARY KEY (sha256, fingerprint, expected_form));
"""

CURRENT = """
CREATE TEMP TABLE current (
    relpath TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, received_at TEXT NOT NULL,
    skip TEXT, failure TEXT,
    form TEXT, unit_code TEXT, unit_name TEXT, matched_by TEXT, late INTEGER NOT NULL DEFAULT 0,
    status TEXT, other TEXT, extra TEXT);
CREATE INDEX current_sha256 ON current (sha256);
"""


class Ledger:
    """One batch's connection to the ledger database at ``path`` (created 0600 when new)."""

    def __init__(self, path: Path, fingerprint: str, expected_form: str | None, formgen_version: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # point look-ups by key and one pass over the run: a small page cache is as fast (the system caches the
        # file) and keeps the batch's memory flat; SQLite's default of 2 MiB each, filled by 10,000 files, is not
        for schema in ("main", "temp"):
            self.db.execute(f"PRAGMA {schema}.cache_size=-{CACHE_KIB}")
        self.db.executescript(SCHEMA + CURRENT)
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)
        self.key = (fingerprint, expected_form or "")
        self.formgen_version = formgen_version
        self.db.execute("BEGIN")

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self.db.close()

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    # -- what is in the folder now -------------------------------------------------------------

    def known_sha256(self, relpath: str, size: int, mtime_ns: int) -> str | None:
        """The hash of the file at ``relpath`` when the ledger saw it with this size and mtime, else None."""
        row = self.db.execute("SELECT sha256 FROM files WHERE relpath=? AND size=? AND mtime_ns=? "
                              "ORDER BY received_at DESC LIMIT 1", (relpath, size, mtime_ns)).fetchone()
        return row[0] if row else None

    def known(self, relpath: str, size: int, mtime_ns: int) -> tuple[str, str, bool] | None:
        """For a file the ledger saw at ``relpath`` with this size and mtime: (its hash, the first time these bytes
        were seen at any path, whether they are checked); else None.  One query for what a re-run asks of each
        file."""
        row = self.db.execute(
            "SELECT f.sha256, (SELECT MIN(received_at) FROM files WHERE sha256=f.sha256), EXISTS (SELECT 1 FROM "
            "checks WHERE sha256=f.sha256 AND fingerprint=? AND expected_form=?) FROM files f "
            "WHERE f.relpath=? AND f.size=? AND f.mtime_ns=? ORDER BY f.received_at DESC LIMIT 1",
            (*self.key, relpath, size, mtime_ns)).fetchone()
        return (row[0], row[1], bool(row[2])) if row else None

    def see(self, relpath: str, sha256: str, size: int, mtime_ns: int, now: str, received_at: str | None,
            skip: str | None, failure: dict | None = None, first_seen: str | None = None) -> None:
        """Record a file found in the folder now; ``received_at`` overrides the ledger's first-seen time.
        ``first_seen``: what :meth:`known` said of these bytes at this path, size and mtime (the ledger holds them
        so already)."""
        if first_seen is not None:
            self.db.execute("INSERT INTO current (relpath, sha256, size, received_at) VALUES (?,?,?,?)",
                            (relpath, sha256, size, received_at or first_seen))
            return
        self.db.execute("INSERT INTO files VALUES (?,?,?,?,?) ON CONFLICT (relpath, sha256) DO UPDATE SET "
                        "mtime_ns=excluded.mtime_ns", (relpath, sha256, size, mtime_ns, now))
        # without ``received_at``, the first time these bytes were seen, at any path: moving a file keeps its time
        first = ("(SELECT MIN(received_at) FROM files WHERE sha256=?)", sha256) if sha256 else \
            ("(SELECT received_at FROM files WHERE relpath=? AND sha256='')", relpath)
        self.db.execute(f"INSERT INTO current (relpath, sha256, size, received_at, skip, failure) "
                        f"SELECT ?, ?, ?, COALESCE(?, {first[0]}), ?, ?",
                        (relpath, sha256, size, received_at, first[1], skip, json.dumps(failure) if failure else None))

    def met_before(self, sha256: str) -> bool:
        """Whether another file of this run, recorded before the one just recorded, has these bytes to check
        (so a run remembers the contents it met in the ledger, not in memory)."""
        return self.db.execute("SELECT COUNT(*) FROM current WHERE sha256=? AND skip IS NULL AND failure IS NULL",
                               (sha256,)).fetchone()[0] > 1

    # -- checks ------------------------------------------------------------------------------

    def checked(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM checks WHERE sha256=? AND fingerprint=? AND expected_form=?",
                               (sha256, *self.key)).fetchone() is not None

    def store(self, sha256: str, out: dict[str, Any], now: str) -> None:
        """Keep one check's result and commit it at once."""
        record = out.get("record")
        result = {k: v for k, v in out.items() if k not in ("record", "unit")}
        self.db.execute("INSERT OR REPLACE INTO checks VALUES (?,?,?,?,?,?,?,?)",
                        (sha256, *self.key, self.formgen_version, now, _dumps(result),
                         None if record is None else _dumps(record), out.get("unit")))
        self.commit()

    # -- reading the run back, one row at a time ------------------------------------------------------

    def rows(self, where: str = "1", params: tuple = (), records: bool = True,
             limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The files of this run joined with their checks, sorted by path: one dict per file (its ``record``
        None unless ``records``: the typed record is most of a row to decode), the first ``limit`` of them."""
        cursor = self.db.execute(
            "SELECT c.relpath, c.sha256, c.size, c.received_at, c.skip, c.failure, c.form, c.unit_code, "
            "c.unit_name, c.matched_by, c.late, c.status, c.other, c.extra, k.result, "
            f"{'k.record' if records else 'NULL AS record'}, k.unit "
            "FROM current c LEFT JOIN checks k ON k.sha256=c.sha256 AND k.fingerprint=? AND k.expected_form=? "
            f"WHERE {where} ORDER BY c.relpath{'' if limit is None else f' LIMIT {int(limit)}'}",
            (*self.key, *params))
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            check = json.loads(row.pop("failure") or row.pop("result") or "null")
            row.pop("result", None)
            row["check"] = check
            row["record"] = json.loads(row["record"]) if row["record"] else None
            row["extra"] = json.loads(row["extra"]) if row["extra"] else []
            yield row

    def records(self, form: str) -> Iterator[tuple[str | None, str, str, str, dict]]:
        """The valid returns of ``form`` in this run as (version, unit code, unit name, path, record), in the
        order of unit code, unit name and path (codes and names compare as Python compares them: SQLite's
        binary order of UTF-8 is the order of code points); only the record and the version are decoded."""
        cursor = self.db.execute(
            "SELECT json_extract(k.result, '$.version'), COALESCE(c.unit_code, ''), COALESCE(c.unit_name, ''), "
            "c.relpath, k.record FROM current c JOIN checks k "
            "ON k.sha256=c.sha256 AND k.fingerprint=? AND k.expected_form=? "
            "WHERE c.status='valid' AND c.form=? ORDER BY 2, 3, 4", (*self.key, form))
        for version, code, name, relpath, record in cursor:
            yield version, code, name, relpath, json.loads(record)

    def pages(self, records: bool = True, size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """The rows of this run (as :meth:`rows` gives them) in pages of ``size``, each read whole before it is
        given, so that the rows may be updated meanwhile (memory holds one page, however many files)."""
        last = ""
        while True:
            page = list(self.rows("c.relpath > ?", (last,), records, size))
            if not page:
                return
            yield page
            last = page[-1]["relpath"]

    def update_all(self, columns: tuple[str, ...], values: list[tuple]) -> None:
        """Set ``columns`` of many rows of this run: ``values`` holds, for each, its values of them and its relpath
        (``extra``, a list of issues, is kept as JSON)."""
        if "extra" in columns:
            at = columns.index("extra")
            values = [(*v[:at], json.dumps(v[at], ensure_ascii=False) if v[at] else None, *v[at + 1:]) for v in values]
        sets = ", ".join(f"{name}=?" for name in columns)
        self.db.executemany(f"UPDATE current SET {sets} WHERE relpath=?", values)

    def mark_duplicates(self) -> None:
        """Same bytes as an earlier file (by received time, then path): status duplicate of that file."""
        self.db.execute("""
            WITH ranked AS (
                SELECT relpath, FIRST_VALUE(relpath) OVER (PARTITION BY sha256 ORDER BY received_at, relpath) AS first
                FROM current WHERE skip IS NULL AND size > 0)
            UPDATE current SET status='duplicate', other=ranked.first
            FROM ranked WHERE current.relpath=ranked.relpath AND ranked.first <> ranked.relpath""")

    def mark_superseded(self) -> None:
        """Earlier returns of the same unit and form (by received time, then path): superseded by the latest."""
        self.db.execute("""
            WITH ranked AS (
                SELECT relpath, LAST_VALUE(relpath) OVER (
                    PARTITION BY unit_code, form ORDER BY received_at, relpath
                    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS latest
                FROM current WHERE status IS NULL AND unit_code IS NOT NULL AND form IS NOT NULL)
            UPDATE current SET status='superseded', other=ranked.latest
            FROM ranked WHERE current.relpath=ranked.relpath AND ranked.latest <> ranked.relpath""")

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM current GROUP BY status"))

    def forms_with(self, status: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT form FROM current WHERE status=? AND form IS NOT NULL "
                                              "ORDER BY form", (status,))]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
