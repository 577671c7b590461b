"""The needs schema's enums, registered once before any type names them, and its constants.

Every module of this package takes ``Sector`` and ``NeedStatus`` from here, not from contracts:
importing this module is what gives them their GraphQL descriptions, and a type that named
them first would register them a second time under the same name."""

from __future__ import annotations

import strawberry

from contracts.needs import NeedStatus, ReferralTarget, Sector

__all__ = ["CURSOR_KIND", "PRIVATE_TEXT", "NeedStatus", "ReferralTarget", "Sector"]

strawberry.enum(Sector, description="The five CIP sectors.")
strawberry.enum(NeedStatus, description="Where a need is in its lifecycle.")
strawberry.enum(ReferralTarget, description="Where a council refers a need beyond the commune.")

CURSOR_KIND = "need"


# The PublicNeed.description of a sensitive kind (non-null in the schema, so a note in both
# languages rather than an empty string).
PRIVATE_TEXT = "ព័ត៌មានលម្អិតរក្សាជាការសម្ងាត់។ Details are kept private."
