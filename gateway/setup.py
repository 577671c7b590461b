"""Operator commands for a new deployment: the first admin, and removing the demo accounts.

    python -m gateway.setup first-admin --username visal --display-name "Visal" [--phone 0...]
    python -m gateway.setup remove-demo

They read the gateway's settings (``KHUM_GATEWAY_*``, the same store as the running gateway).
``first-admin`` makes a national admin without a password and prints a one-time setup code
(valid 72 hours, stored hashed): the person sets their password with it at ``/set-password``
(or the ``setPassword`` mutation). It refuses once an active national admin exists: from then
on admins create accounts. ``remove-demo`` deactivates the demo accounts and wipes their
published password, after which a production gateway starts on that data.

Why a refusal at start and not a quiet clean-up: demo accounts carry a published password and
a national admin among them; an operator should know they were there.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from gateway.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from gateway.identity.accounts import COLLECTIONS, Account, Accounts
from gateway.identity.admin import COLLECTIONS as ADMIN_COLLECTIONS
from gateway.identity.admin import Admin, AdminError
from gateway.settings import GatewaySettings
from services.runtime.identity import Role
from services.runtime.stores import Store, open_store

# The actor named in the audit log for what these commands do.
SETUP_ACTOR = Account("setup", "setup", None, "setup command", Role.NATIONAL_ADMIN, ("*",), True)


class DemoAccountsPresent(RuntimeError):
    pass


async def published_demo_accounts(accounts: Accounts) -> list[str]:
    """Demo accounts that still sign in with the published demo password."""
    return [
        demo.username
        for demo in DEMO_ACCOUNTS
        if await accounts.authenticate(demo.username, DEMO_PASSWORD) is not None
    ]


async def refuse_demo_in_production(settings: GatewaySettings, accounts: Accounts) -> None:
    """Called at start: production does not run beside accounts anyone can sign in to."""
    if settings.environment != "production":
        return
    found = await published_demo_accounts(accounts)
    if found:
        raise DemoAccountsPresent(
            f"demo accounts with the published password exist ({', '.join(found)}): production "
            "refuses to start. Run `python -m gateway.setup remove-demo`, then create the first "
            "admin with `python -m gateway.setup first-admin` (docs/security.md)."
        )


async def remove_demo(store: Store, accounts: Accounts) -> list[str]:
    admin = Admin(store, accounts)
    removed = []
    for demo in DEMO_ACCOUNTS:
        async with store.transaction() as tx:
            doc = await tx.find_one("accounts", {"username": demo.username})
            if doc is None or (not doc.get("active", True) and not doc.get("password_hash")):
                continue
            changes: dict[str, Any] = {
                "active": False,
                "password_hash": None,
                "setup_code_hash": None,
                "setup_expires": None,
                "session_epoch": int(doc.get("session_epoch", 0)) + 1,
            }
            await tx.replace("accounts", {**doc, **changes}, expected_version=doc["version"])
            await admin._audit(
                tx,
                SETUP_ACTOR.id,
                "account.deactivated",
                doc["id"],
                {"reason": "demo account removed by the setup command"},
            )
        removed.append(demo.username)
    return removed


async def first_admin(
    store: Store, accounts: Accounts, username: str, display_name: str, phone: str | None
) -> str:
    async for doc in store.iterate("accounts", {"role": Role.NATIONAL_ADMIN.value}):
        if doc.get("active", True):
            raise AdminError(
                "setup.admin_exists", "An active national admin exists: ask them to create accounts."
            )
    _, code = await Admin(store, accounts).create_account(
        SETUP_ACTOR,
        username=username,
        display_name=display_name,
        role=Role.NATIONAL_ADMIN,
        communes=("*",),
        phone=phone,
    )
    return code


async def _run(args: argparse.Namespace) -> int:
    settings = GatewaySettings()
    store = open_store(settings.store_url, COLLECTIONS + ADMIN_COLLECTIONS)
    await store.open()
    try:
        accounts = Accounts(store, settings.session_hours)
        if args.command == "remove-demo":
            removed = await remove_demo(store, accounts)
            print(f"deactivated demo accounts: {', '.join(removed) or 'none'}")
            return 0
        try:
            code = await first_admin(store, accounts, args.username, args.display_name, args.phone)
        except AdminError as exc:
            print(f"refused ({exc.code}): {exc.message}", file=sys.stderr)
            return 1
        print(f"national admin {args.username} created; one-time setup code: {code}")
        print("Set the password at /set-password within 72 hours (the code works once).")
        return 0
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.setup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("first-admin", help="create the first national admin (one-time setup code)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--display-name", required=True)
    admin.add_argument("--phone")
    commands.add_parser("remove-demo", help="deactivate the demo accounts and wipe their password")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
