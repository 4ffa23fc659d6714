"""Which database a shop runs on, from its `DATABASE_URL` (or `DATABASE_PATH`)."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database
from storage.postgres import PostgresDatabase
from storage.sqlite import SqliteDatabase

SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


class UnknownDatabase(ValueError):
    pass


def database_for(url: str | None, path: Path | None = None) -> Database:
    """`postgresql://user:password@host:port/db` or `sqlite:///path` (relative; four slashes for
    an absolute path). Without a URL, SQLite at `path`."""
    if url is None:
        if path is None:
            raise UnknownDatabase("neither a database URL nor a path")
        return SqliteDatabase(path)
    if url.startswith(POSTGRES_SCHEMES):
        return PostgresDatabase(url)
    if url.startswith(SQLITE_SCHEME) and len(url) > len(SQLITE_SCHEME):
        return SqliteDatabase(Path(url[len(SQLITE_SCHEME) :]))
    raise UnknownDatabase("a database URL starts with postgresql:// or sqlite:///")
