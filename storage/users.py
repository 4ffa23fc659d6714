"""The shop's customers, as Telegram introduced them."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, Row, utc_now


@dataclass(frozen=True)
class Customer:
    id: int
    username: str | None
    first_name: str
    language: str
    banned: bool
    created_at: str
    blocked_bot_at: str | None = None  # when a message to them found the bot blocked
    is_new: bool = False

    @classmethod
    def from_row(cls, row: Row, *, is_new: bool = False) -> Customer:
        return cls(
            id=row["id"],
            username=row["username"],
            first_name=row["first_name"],
            language=row["language"],
            banned=bool(row["banned"]),
            created_at=row["created_at"],
            blocked_bot_at=row["blocked_bot_at"],
            is_new=is_new,
        )


class CustomerStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> Customer | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else Customer.from_row(row)

    async def with_username(self, username: str) -> list[Customer]:
        """Every customer stored with that username, in any case (usually one, but a username
        can pass from one account to another), the latest to introduce themselves first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM users WHERE lower(username) = lower(?) ORDER BY updated_at DESC, id",
            (username.lstrip("@"),),
        )
        return [Customer.from_row(row) for row in rows]

    async def register(
        self, user_id: int, *, username: str | None, first_name: str, language: str
    ) -> Customer:
        """Register a customer on first contact, or refresh the names Telegram reports; a
        customer who blocked the bot and writes again has unblocked it.

        Most updates come from known customers whose names did not change: that path only reads.
        """
        known = await self.get(user_id)
        if (
            known is not None
            and (known.username, known.first_name) == (username, first_name)
            and known.blocked_bot_at is None
        ):
            return known
        now = utc_now()
        async with self._db.write() as tx:
            await tx.execute(
                "INSERT INTO users (id, username, first_name, language, banned, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET username = excluded.username,"
                " first_name = excluded.first_name, blocked_bot_at = NULL,"
                " updated_at = excluded.updated_at",
                (user_id, username, first_name, language, now, now),
            )
            row = await tx.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        assert row is not None
        return Customer.from_row(row, is_new=known is None)

    async def set_language(self, user_id: int, language: str) -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
                (language, utc_now(), user_id),
            )

    async def set_banned(self, user_id: int, banned: bool) -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE users SET banned = ?, updated_at = ? WHERE id = ?",
                (int(banned), utc_now(), user_id),
            )
