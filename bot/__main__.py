"""`python -m bot run | demo | migrate | check | backup PATH | restore PATH`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

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
            return asyncio.run(_migrate(config))
        if args.command == "check":
            return asyncio.run(_check(config))
        if args.command == "backup":
            if args.path.exists():
                print(f"{args.path} already exists; choose a new file", file=sys.stderr)
                return 2
            return asyncio.run(_backup(config, args.path))
        if args.command == "restore":
            return asyncio.run(_restore(config, args.path))
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


def _run(config: Settings, *, webhook: bool) -> int:
    from bot.wiring.app import main_polling, main_webhook
    from bot.wiring.webhook.serve import WebhookNotSet
    from storage.process_lock import LockHeld

    try:
        (main_webhook if webhook else main_polling)(config)
    except LockHeld as held:
        print(
            f"not started: another shop already runs on {config.database_path} ({held.who}); "
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
        await db.backup(target)
    print(f"backed up {db.where} to {target}")
    return 0


async def _restore(config: Settings, backup: Path) -> int:
    """Exit 0 restored, 1 the backup's ledger is broken, 2 refused for any other reason."""
    from datetime import UTC, datetime

    from storage.process_lock import LockHeld
    from storage.restore import RestoreRefused, restore_database

    try:
        done = await restore_database(config.database_path, backup, datetime.now(UTC))
    except LockHeld as held:
        print(
            f"not restored: a shop runs on {config.database_path} ({held.who}); stop it first",
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


if __name__ == "__main__":
    sys.exit(main())
