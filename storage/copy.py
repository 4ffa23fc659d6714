"""Moving a shop from its SQLite file to PostgreSQL (`python -m bot copy-db --to postgresql://...`).

For the operator who grows past one process. The copy is all or nothing and checked before it
counts:

1. the SQLite file's shop lock is taken for the whole copy, so it refuses while a shop runs there
   and no shop starts in the middle; the file is brought to the newest schema (as `run` would);
2. the target must hold no shop data: a table of the shop's with a row in it refuses the copy, as
   do shop tables without a schema version (something else made them) and a schema newer than
   this code. It is then migrated to the newest schema, which both sides now share;
3. every table of the source (read from its schema, never listed by hand) is copied in one
   PostgreSQL transaction, parents before the tables whose foreign keys point at them, and each
   identity sequence is moved past the largest id copied, so new rows never collide with old ones;
4. the target is then checked as the shop will see it: the ledger audit `python -m bot check`
   runs, the row count of every table and the balance of every ledger account against the
   source's.

The ledger's rules hold in PostgreSQL while the rows go in (each transaction sums to zero, checked
at the commit; no customer account below zero), so a source that breaks them is refused by the
target too, and nothing is left behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from storage.audit import AuditReport, audit_ledger
from storage.database import Reads
from storage.migrations import SchemaTooNew, available_migrations
from storage.postgres import (
    CONNECT_TIMEOUT_SECONDS,
    PostgresDatabase,
    _asyncpg_dsn,
    current_version,
    migrate,
)
from storage.process_lock import LockHeld
from storage.sqlite import SqliteDatabase

# The target's own bookkeeping, not the shop's data: never copied, never compared.
TARGET_ONLY = frozenset({"schema_version"})


class CopyRefused(Exception):
    """Nothing was copied; the message says why, in one line."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]


@dataclass
class CopyReport:
    source: str
    target: str  # as an operator names it: no password
    schema_was: int  # the source's schema version before the copy
    schema: int  # both databases' schema version now
    target_migrations: list[str]  # applied to the target before the copy
    copied: dict[str, int] = field(default_factory=dict)  # rows, by table, in the order copied
    sequences: int = 0  # identity sequences moved past the copied ids
    audit: AuditReport | None = None  # of the target, after the copy
    mismatches: list[str] = field(default_factory=list)  # what the verification found

    @property
    def ok(self) -> bool:
        return self.audit is not None and self.audit.ok and not self.mismatches


async def copy_database(source: Path, target_url: str) -> CopyReport:
    """Copy the shop at the SQLite file `source` into the empty PostgreSQL at `target_url` and
    verify it. Raises `CopyRefused` when the shop runs on `source`, the target is not empty, or
    either cannot be used: then no row of the shop is in the target (an empty one may have been
    migrated, and a copy run again goes on from there). Returns the report, whose `ok` says
    whether the verification passed."""
    if not await asyncio.to_thread(source.is_file):
        raise CopyRefused(f"no database at {source}")
    lock = SqliteDatabase(source).shop_lock()
    try:
        lock.acquire()
    except LockHeld as held:
        raise CopyRefused(
            f"a shop runs on {source} ({held.who}); stop it first, then copy"
        ) from None
    try:
        schema_was = await asyncio.to_thread(_sqlite_version, source)
        async with SqliteDatabase(source) as src:
            return await _copy(src, schema_was, target_url)
    finally:
        lock.release()


def _sqlite_version(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as trouble:
        raise CopyRefused(f"{path} cannot be read as a database: {trouble}") from None


async def _copy(src: SqliteDatabase, schema_was: int, target_url: str) -> CopyReport:
    target = PostgresDatabase(target_url)
    tables = await source_tables(src)
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(target_url), timeout=CONNECT_TIMEOUT_SECONDS)
    except (
        OSError,
        TimeoutError,
        ValueError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as trouble:
        raise CopyRefused(f"cannot connect to {target.where}: {_one_line(trouble)}") from None
    try:
        await _refuse_unless_empty(conn, tables)
        try:
            applied = await migrate(conn)
        except SchemaTooNew as newer:
            raise CopyRefused(f"the target: {newer}") from None
        report = CopyReport(
            src.where, target.where, schema_was, await src.schema_version(), applied
        )
        target_version = await current_version(conn)
        if target_version != report.schema:
            raise CopyRefused(
                f"the target is at schema version {target_version}, the source at {report.schema}"
            )
        await _same_columns(conn, tables)
        async with src.snapshot() as reads, conn.transaction():
            # Nobody else writes these tables until the commit, and they are still empty.
            names = ", ".join(_quoted(table.name) for table in tables)
            await conn.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
            await _refuse_unless_empty(conn, tables)
            for table in tables:
                report.copied[table.name] = await _copy_table(reads, conn, table)
            report.sequences = await _reset_identities(conn, [table.name for table in tables])
    except asyncpg.PostgresError as trouble:
        raise CopyRefused(f"the target refused the copy: {_one_line(trouble)}") from None
    finally:
        await conn.close()
    await _verify(src, target, tables, report)
    return report


async def source_tables(db: SqliteDatabase) -> list[Table]:
    """The shop's tables in the SQLite database, each after every table its foreign keys point at
    (ties by name), with their columns."""
    names = sorted(
        str(row[0])
        for row in await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    )
    parents: dict[str, set[str]] = {}
    columns: dict[str, tuple[str, ...]] = {}
    for name in names:
        keys = await db.fetch_all(f"PRAGMA foreign_key_list({_quoted(name)})")
        parents[name] = {str(key["table"]) for key in keys} - {name}
        info = await db.fetch_all(f"PRAGMA table_info({_quoted(name)})")
        columns[name] = tuple(str(column["name"]) for column in info)
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(names):
        ready = [n for n in names if n not in placed and parents[n] <= placed | _absent(parents)]
        if not ready:
            cycle = sorted(set(names) - placed)
            raise CopyRefused(f"the source's foreign keys form a cycle among {', '.join(cycle)}")
        ordered.extend(ready)
        placed.update(ready)
    return [Table(name, columns[name]) for name in ordered if name not in TARGET_ONLY]


def _absent(parents: dict[str, set[str]]) -> set[str]:
    """Tables a foreign key names that do not exist: nothing to wait for."""
    return set().union(*parents.values()) - set(parents)


async def _refuse_unless_empty(conn: asyncpg.Connection, tables: Sequence[Table]) -> None:
    version = await current_version(conn)
    present = []
    for table in tables:
        if await conn.fetchval("SELECT to_regclass($1)", _quoted(table.name)) is None:
            continue
        present.append(table.name)
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_quoted(table.name)})"):
            raise CopyRefused(
                f"the target is not empty (table {table.name} has rows); "
                "copy-db only fills a database with no shop data in it"
            )
    if present and version == 0:
        raise CopyRefused(
            f"the target has tables named as the shop's ({', '.join(present[:3])}) but no schema "
            "version: copy into an empty database"
        )


async def _same_columns(conn: asyncpg.Connection, tables: Sequence[Table]) -> None:
    for table in tables:
        found = {
            str(row[0])
            for row in await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = $1",
                table.name,
            )
        }
        missing = [column for column in table.columns if column not in found]
        if not found or missing:
            what = "the table" if not found else f"column(s) {', '.join(missing)}"
            raise CopyRefused(f"the target lacks {what} of {table.name} at the same schema version")


async def _copy_table(reads: Reads, conn: asyncpg.Connection, table: Table) -> int:
    columns = ", ".join(_quoted(column) for column in table.columns)
    rows = await reads.fetch_all(f"SELECT {columns} FROM {_quoted(table.name)}")
    if rows:
        try:
            await conn.copy_records_to_table(
                table.name, records=[tuple(row) for row in rows], columns=list(table.columns)
            )
        except (asyncpg.DataError, ValueError, TypeError) as wrong:
            raise CopyRefused(
                f"a row of {table.name} does not fit the target: {_one_line(wrong)}"
            ) from None
    return len(rows)


async def _reset_identities(conn: asyncpg.Connection, tables: Sequence[str]) -> int:
    """Each identity column's next value past the largest id copied into it."""
    identities = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        " AND table_name = ANY($1::text[]) ORDER BY table_name",
        list(tables),
    )
    for row in identities:
        table, column = _quoted(row["table_name"]), _quoted(row["column_name"])
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({column}), 0) + 1,"
            f" false) FROM {table}",
            table,
            row["column_name"],
        )
    return len(identities)


async def _verify(
    src: SqliteDatabase, target: PostgresDatabase, tables: Sequence[Table], report: CopyReport
) -> None:
    async with target:
        report.audit = await audit_ledger(target)
        for table in tables:
            count = f"SELECT COUNT(*) FROM {_quoted(table.name)}"
            here, there = await src.fetch_value(count), await target.fetch_value(count)
            if int(here) != int(there):
                report.mismatches.append(
                    f"table {table.name}: {here} rows in the source, {there} in the target"
                )
        balances = "SELECT code, balance FROM ledger_accounts"
        source_balances = {row[0]: int(row[1]) for row in await src.fetch_all(balances)}
        target_balances = {row[0]: int(row[1]) for row in await target.fetch_all(balances)}
        for code in sorted(source_balances.keys() | target_balances.keys()):
            here_balance, there_balance = source_balances.get(code), target_balances.get(code)
            if here_balance != there_balance:
                report.mismatches.append(
                    f"account {code}: balance {_or_missing(here_balance)} in the source, "
                    f"{_or_missing(there_balance)} in the target"
                )
    if report.schema != len(available_migrations()):
        report.mismatches.append(f"schema version {report.schema} is not the newest")


def _or_missing(value: int | None) -> str:
    return "missing" if value is None else str(value)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_line(trouble: BaseException) -> str:
    return " ".join(str(trouble).split()) or type(trouble).__name__


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
