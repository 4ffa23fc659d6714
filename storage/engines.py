"""Which database a shop runs on, from its `DATABASE_URL` (or `DATABASE_PATH`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from storage.database import Database
from storage.postgres import PostgresDatabase
from storage.sqlite import SqliteDatabase

SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


# What a database that cannot be reached or used raises (the server down or refusing us, no such
# database, a file that is no database), for the command line to say in one line. asyncpg's
# messages never carry the URL's password.
DATABASE_TROUBLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
)


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
        try:
            _ = urlsplit(url).port
        except ValueError:  # said without any part of the URL: it may hold a password
            raise UnknownDatabase(
                "a PostgreSQL URL whose address cannot be read (percent-encode / # ? in the"
                " password)"
            ) from None
        return PostgresDatabase(url)
    if url.startswith(SQLITE_SCHEME) and len(url) > len(SQLITE_SCHEME):
        return SqliteDatabase(Path(url[len(SQLITE_SCHEME) :]))
    raise UnknownDatabase("a database URL starts with postgresql:// or sqlite:///")
