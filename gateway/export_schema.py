"""Write the GraphQL SDL to contracts/schema.graphql (``make schemas``); a test checks drift."""

from __future__ import annotations

import sys
from pathlib import Path

from gateway.graphql import sdl

SDL_PATH = Path(__file__).resolve().parents[1] / "contracts" / "schema.graphql"


def main() -> int:
    SDL_PATH.write_text(sdl(), encoding="utf-8")
    print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
