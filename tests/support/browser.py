"""Which Chromium the browser tests drive, found the way a user expects.

In order: ``KHUM_CHROMIUM`` when set; Debian's ``/usr/bin/chromium`` (what .ci/run installs);
Playwright's own managed Chromium (``make test`` installs it when there is no system browser
and the network allows). With none of these the browser tests skip, and the run ends with one
loud line that counts them and names the command that fixes it.
"""

from __future__ import annotations

import os
from pathlib import Path

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = "browser tests skipped: no Chromium found"
FIX = "sudo apt-get install chromium   (or: .venv/bin/playwright install chromium)"


def find_chromium(managed: str | None) -> Path | None:
    """``managed`` is Playwright's own ``chromium.executable_path`` (it may not be installed)."""
    configured = os.environ.get("KHUM_CHROMIUM")
    if configured:
        return Path(configured) if Path(configured).exists() else None
    if SYSTEM_CHROMIUM.exists():
        return SYSTEM_CHROMIUM
    if managed and Path(managed).exists():
        return Path(managed)
    return None
