"""`python -m bot run | demo | migrate | check | backup PATH | restore PATH | copy-db --to URL`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bot.services.config import ConfigError, Settings, load_settings
from bot.wiring.extra import import_extra_modules
from bot.wiring.logs import apply_log_settings, configure_logging
from storage.migrations import SchemaTooNew


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Telegram storefront")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot (long polling, or BOT_MODE's choice)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="take updates on the webhook (PUBLIC_BASE_URL + WEBHOOK_PATH), as BOT_MODE=webhook",
    )
    demo = commands.add_parser("demo", help="run the whole shop offline, in a browser tab")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080, help="the playground's port (0: any free)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("check", help="verify the ledger's invariants; non-zero exit if broken")
    backup = commands.add_parser("backup", help="copy the database while it is in use")
    backup.add_argument("path", type=Path)
    restore = commands.add_parser(
        "restore", help="put a backup in the database's place (the shop stopped)"
    )
    restore.add_argument("path", type=Path)
    copy_db = commands.add_parser(
        "copy-db", help="move the shop from its SQLite file to an empty PostgreSQL database"
    )
    copy_db.add_argument("--to", required=True, metavar="postgresql://...", dest="target")
    args = parser.parse_args(argv)

    configure_logging()
    try:
        import_extra_modules(os.environ)  # a test's own product line, if any
        if args.command == "demo":
            from bot.wiring.demo import run_demo

            return asyncio.run(run_demo(args.host, args.port))
        config = load_settings()
        apply_log_settings(config)  # until here plain: a bad setting is said in one line
        if args.command == "run":
            config.require_bot_token()
            webhook = args.webhook or config.bot_mode == "webhook"
            if webhook:
                config.require_webhook()
            return _run(config, webhook=webhook)
        if args.command == "migrate":
            return _on_the_database(config, _migrate(config))
        if args.command == "check":
            return _on_the_database(config, _check(config))
        if args.command == "backup":
            if args.path.exists():
                print(f"{args.path} already exists; choose a new file", file=sys.stderr)
                return 2
            return _on_the_database(config, _backup(config, args.path))
        if args.command == "restore":
            return _on_the_database(config, _restore(config, args.path))
        if args.command == "copy-db":
            return asyncio.run(_copy_db(config, args.target))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except SchemaTooNew as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


def _on_the_database(config: Settings, command: Coroutine[Any, Any, int]) -> int:
    """Run an operator's command; a database that cannot be reached or used (the server down,
    refusing us, no such database) is said in one line: never a traceback, and never the URL's
    password (asyncpg's messages carry none)."""
    from storage.engines import DATABASE_TROUBLE

    try:
        return asyncio.run(command)
    except DATABASE_TROUBLE as trouble:
        print(
            f"cannot use the database {config.database_name}: {_one_line(trouble)}", file=sys.stderr
        )
        return 2


def _one_line(trouble: BaseException) -> str:
    return " ".join(str(trouble).split()) or type(trouble).__name__


def _run(config: Settings, *, webhook: bool) -> int:
    from bot.wiring.app import main_polling, main_webhook
    from bot.wiring.webhook.serve import WebhookNotSet
    from storage.process_lock import LockHeld

    try:
        (main_webhook if webhook else main_polling)(config)
    except LockHeld as held:
        print(
            f"not started: another shop already runs on {config.database_name} ({held.who}); "
            "stop it first (check, migrate and backup may run beside it)",
            file=sys.stderr,
        )
        return 2
    except WebhookNotSet as unanswered:  # not a configuration error: a restart may well do
        print(f"stopped: {unanswered}", file=sys.stderr)
        return 1
    return 0


async def _migrate(config: Settings) -> int:
    async with config.database() as db:
        version = await db.schema_version()
    print(f"database {db.where} is at schema version {version}")
    return 0


async def _check(config: Settings) -> int:
    from storage.audit import audit_ledger
    from storage.sqlite import SqliteDatabase

    db = config.database()
    if isinstance(db, SqliteDatabase) and not db.path.exists():
        print(f"no database at {db.path}", file=sys.stderr)
        return 2
    async with db:
        report = await audit_ledger(db)
    print(
        f"checked {report.transactions} transactions, {report.accounts} accounts, "
        f"{report.open_holds} open holds"
    )
    if report.ok:
        print("ledger OK: every invariant holds")
        return 0
    print(f"ledger BROKEN: {len(report.problems)} problem(s)")
    for problem in report.problems:
        print(f"  - {problem}")
    return 1


async def _backup(config: Settings, target: Path) -> int:
    async with config.database() as db:
        try:
            await db.backup(target)
        except RuntimeError as failed:  # pg_dump's own words: never the password
            print(f"not backed up: {failed}", file=sys.stderr)
            return 1
    how = "pg_dump, custom format: restore it with pg_restore" if db.is_server else "SQLite"
    print(f"backed up {db.where} to {target} ({how})")
    return 0


async def _restore(config: Settings, backup: Path) -> int:
    """Exit 0 restored, 1 the backup's ledger is broken, 2 refused for any other reason."""
    from datetime import UTC, datetime

    from storage.process_lock import LockHeld
    from storage.restore import RestoreRefused, postgres_restore_by_hand, restore_database
    from storage.sqlite import SqliteDatabase

    db = config.database()
    if not isinstance(db, SqliteDatabase):
        print(f"not restored: {postgres_restore_by_hand(db.where)}", file=sys.stderr)
        return 2
    try:
        done = await restore_database(db.path, backup, datetime.now(UTC))
    except LockHeld as held:
        print(
            f"not restored: a shop runs on {db.path} ({held.who}); stop it first",
            file=sys.stderr,
        )
        return 2
    except RestoreRefused as refused:
        print(f"not restored: {refused}", file=sys.stderr)
        for problem in refused.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1 if refused.problems else 2
    audit = done.audit
    print(
        f"checked {backup}: {audit.transactions} transactions, {audit.accounts} accounts, "
        f"{audit.open_holds} open holds; ledger OK"
    )
    if done.schema_was < done.schema_now:
        print(f"brought its schema from version {done.schema_was} to {done.schema_now}")
    else:
        print(f"its schema is current (version {done.schema_now})")
    if done.kept is not None:
        print(f"kept the previous database as {done.kept}")
    print(f"restored {backup} to {done.database}")
    return 0


async def _copy_db(config: Settings, target_url: str) -> int:
    """Exit 0 copied and verified, 1 copied but the verification failed (it says what), 2
    refused (nothing copied)."""
    from storage.copy import CopyRefused, copy_database, plural
    from storage.engines import POSTGRES_SCHEMES, UnknownDatabase, database_for
    from storage.sqlite import SqliteDatabase

    source = config.database()
    if not isinstance(source, SqliteDatabase):
        print(
            f"not copied: the shop already runs on PostgreSQL ({source.where}); copy-db moves a "
            "shop from its SQLite file (DATABASE_PATH or a sqlite:/// DATABASE_URL)",
            file=sys.stderr,
        )
        return 2
    if not target_url.startswith(POSTGRES_SCHEMES):
        print("not copied: --to takes a postgresql:// URL", file=sys.stderr)
        return 2
    try:
        database_for(target_url)
    except UnknownDatabase as unreadable:  # said without the URL: it may hold a password
        print(f"not copied: --to is {unreadable}", file=sys.stderr)
        return 2
    try:
        report = await copy_database(source.path, target_url)
    except CopyRefused as refused:
        print(f"not copied: {refused}", file=sys.stderr)
        return 2
    if report.schema_was < report.schema:
        print(f"brought {report.source} from schema version {report.schema_was} to {report.schema}")
    if report.target_migrations:
        print(f"migrated {report.target} to schema version {report.schema}")
    rows = sum(report.copied.values())
    print(
        f"copied {plural(len(report.copied), 'table')}, {plural(rows, 'row')} from "
        f"{report.source} to {report.target} in one transaction:"
    )
    for table, count in report.copied.items():
        print(f"  {table}: {count}")
    print(f"moved {plural(report.sequences, 'identity sequence')} past the copied ids")
    audit = report.audit
    if audit is not None:
        state = "OK" if audit.ok else f"BROKEN: {plural(len(audit.problems), 'problem')}"
        print(
            f"checked the target: {audit.transactions} transactions, {audit.accounts} accounts, "
            f"{audit.open_holds} open holds; ledger {state}"
        )
        for problem in audit.problems:
            print(f"  - {problem}")
    if not report.ok:
        failed = [] if audit is not None and audit.ok else ["the ledger check"]
        if report.mismatches:
            failed.append(f"{plural(len(report.mismatches), 'difference')} from the source")
        print(f"verification FAILED: {' and '.join(failed)}")
        for mismatch in report.mismatches:
            print(f"  - {mismatch}")
        return 1
    print(
        f"verified: the row counts of all {plural(len(report.copied), 'table')} and the balances "
        "of all accounts match"
    )
    print(
        f"the shop is on {report.target} now: set DATABASE_URL to it and start the shop there "
        f"({report.source} is left as it was)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
