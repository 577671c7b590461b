"""What intake answers when it erased a person's personal data (POST /erasures)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ErasureDone(BaseModel):
    """How many entries, needs and drafts lost the person's details."""

    model_config = ConfigDict(populate_by_name=True)

    erasure_id: str = Field(alias="erasureId")
    people: int
    needs: int
    drafts: int
