"""Relay-style pagination pieces shared by every connection: opaque cursors and PageInfo."""

from __future__ import annotations

import base64

import strawberry

from gateway.i18n import translate
from gateway.schema.errors import graphql_error

MAX_PAGE = 100


@strawberry.type(description="Where a page sits in a list, for cursor pagination.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")


def encode_cursor(kind: str, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{item_id}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None, lang: str) -> str | None:
    if cursor is None:
        return None
    try:
        prefix, _, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        prefix, item_id = "", ""
    if prefix != kind or not item_id:
        raise graphql_error("page.cursor_invalid", translate(lang, "Invalid cursor."), "after")
    return item_id


def check_first(first: int, lang: str) -> int:
    if not 1 <= first <= MAX_PAGE:
        message = translate(lang, "`first` must be between 1 and %(max)s.", max=MAX_PAGE)
        raise graphql_error("page.size_invalid", message, "first")
    return first
