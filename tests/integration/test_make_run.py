"""`make run`'s runner: prints the URL and the demo logins, stops every process on Ctrl-C,
and finds its data again on the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from infra.stack import REPO_ROOT, free_port
from tests.conftest import DEMO_PASSWORD, NOTIFICATIONS, SUBMIT_NEED, GraphQL, wait_for


def _start(var: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PORT": str(port), "KHUM_VAR": str(var)}
    runner = subprocess.Popen(
        [sys.executable, "-m", "infra.run"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert runner.stdout is not None
    while time.monotonic() < deadline:
        line = runner.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("GraphQL:"):
            return runner, lines
    runner.kill()
    raise AssertionError("runner did not come up:\n" + "\n".join(lines))


def _children_pids(var: Path) -> list[int]:
    """Processes whose command line points into this run's data folder (nats-server, stores)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(var).encode() in environ or str(var).encode() in cmdline:
            found.append(int(proc.name))
    return found


MEETING_TITLE = "កិច្ចប្រជុំសាកល្បង"


async def _page_if(port: int, needle: str) -> str | None:
    page = httpx.get(f"http://127.0.0.1:{port}/demo/messages")
    return page.text if needle in page.text else None


async def _announce_with(port: int, need_id: str) -> None:
    """The council schedules a meeting ten days ahead with the need on its agenda, and announces it."""
    council = GraphQL(f"http://127.0.0.1:{port}")
    await council.login("dara")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    body = await council.execute(
        "mutation($i: ScheduleMeetingInput!) { scheduleMeeting(input: $i) { id } }",
        {
            "i": {
                "communeCode": "160101",
                "type": "COMMUNE_PRIORITISATION",
                "title": MEETING_TITLE,
                "venue": {"villageCode": "16010101", "place": "សាលាឃុំ"},
                "startsAt": start.isoformat(),
                "endsAt": (start + timedelta(hours=2)).isoformat(),
            }
        },
    )
    meeting = body["data"]["scheduleMeeting"]["id"]  # type: ignore[index]
    agenda = "mutation($id: ID!, $items: [AgendaItemInput!]!) { publishAgenda(meetingId: $id, items: $items) { id } }"
    items = [{"kind": "NEED", "needId": need_id, "minutes": 30, "owner": "មេឃុំ"}]

    async def published() -> bool:  # once meetings has the need as an agenda candidate
        return "errors" not in await council.execute(agenda, {"id": meeting, "items": items})

    await wait_for(published)
    announced = await council.execute(
        "mutation($id: ID!) { announceMeeting(meetingId: $id) { id } }", {"id": meeting}
    )
    assert "errors" not in announced, announced
    await council.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find child processes")
async def test_make_run_prints_the_url_stops_on_ctrl_c_and_keeps_its_data(tmp_path: Path) -> None:
    var = tmp_path / "var"
    port = free_port()
    runner, lines = _start(var, port)
    try:
        text = "\n".join(lines)
        assert f"Khum is running at http://127.0.0.1:{port}" in text
        assert f"password for all: {DEMO_PASSWORD}" in text
        assert "sophea" in text and "dara" in text
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        assert len(_children_pids(var)) >= 6  # nats + four services + gateway

        facilitator = GraphQL(f"http://127.0.0.1:{port}")
        await facilitator.login("sophea")
        body = await facilitator.execute(
            SUBMIT_NEED,
            {"i": {"villageCode": "16010101", "description": "ទឹកស្អាត", "idempotencyKey": uuid.uuid4().hex}},
        )
        code = body["data"]["submitNeed"]["trackingCode"]
        # The demo's channels: a citizen's receipt by SMS, Telegram and e-mail shows on the page.
        texts = {"sms": "+85512777001", "telegram": "777001", "email": "sokha@demo.example"}
        needs: dict[str, str] = {}
        for channel, address in texts.items():
            raised = await facilitator.execute(
                SUBMIT_NEED,
                {
                    "i": {
                        "villageCode": "16010101",
                        "description": f"អណ្តូងទឹក {channel}",
                        "idempotencyKey": uuid.uuid4().hex,
                        "raisedBy": {
                            "consent": "verbal",
                            "contactChannel": channel,
                            "contactAddress": address,
                        },
                    }
                },
            )
            texts[channel] = raised["data"]["submitNeed"]["trackingCode"]
            needs[channel] = raised["data"]["submitNeed"]["id"]
        await facilitator.close()
        await _announce_with(port, needs["sms"])
        assert "/demo/messages" in text

        async def shown() -> str | None:
            page = httpx.get(f"http://127.0.0.1:{port}/demo/messages")
            return page.text if all(c in page.text for c in texts.values()) else None

        demo = await wait_for(shown, timeout=30)
        assert 'id="demo-banner"' in demo and "+85512777001" in demo and "sokha@demo.example" in demo
        assert "លេខតាមដាន" in demo  # the receipts, in Khmer
        # The meeting announced with the SMS raiser's need on its agenda reached them too.
        invited = await wait_for(lambda: _page_if(port, MEETING_TITLE), timeout=30)
        assert "ម៉ោង" in invited and "បើមក ផ្ញើ «មក " in invited  # Khmer time and the COME code
    finally:
        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0
    assert "Stopped." in output
    assert _children_pids(var) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")

    runner, _ = _start(var, port)
    try:
        council = GraphQL(f"http://127.0.0.1:{port}")
        await council.login("dara")

        async def still_there() -> bool:
            result = await council.execute(NOTIFICATIONS, {"n": 100})
            return any(e["node"]["ref"] == code for e in result["data"]["notifications"]["edges"])

        assert await wait_for(still_there)
        await council.close()
    finally:
        runner.send_signal(signal.SIGINT)
        runner.communicate(timeout=60)
    assert _children_pids(var) == []
