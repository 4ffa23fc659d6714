"""The shared servers a run of replicas uses, each kept to the run's own corner: a PostgreSQL
schema of its own (`search_path` on the URL; created, then dropped with everything in it) and a
Redis key prefix (its keys deleted afterwards, by that prefix only: other people's keys on the
same server are never touched, and nothing is flushed)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg
import redis.asyncio as aioredis


def with_schema(url: str, schema: str) -> str:
    """`url` whose tables go into `schema`."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"search_path": schema})))


@asynccontextmanager
async def fresh_schema(base_url: str, prefix: str = "replicas") -> AsyncIterator[str]:
    """A URL of `base_url`'s database naming a new, empty schema, dropped on leaving."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(base_url, timeout=10.0)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    try:
        yield with_schema(base_url, schema)
    finally:
        conn = await asyncpg.connect(base_url, timeout=10.0)
        try:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await conn.close()


@asynccontextmanager
async def redis_prefix(url: str, prefix: str = "replicas") -> AsyncIterator[str]:
    """A key prefix of the run's own; its keys on the server at `url` are deleted on leaving."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        client = aioredis.from_url(url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{name}*", count=500)]
            for start in range(0, len(keys), 500):
                await client.delete(*keys[start : start + 500])
        finally:
            await client.aclose()
