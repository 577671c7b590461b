"""What the gateway and meetings exchange over HTTP: request and answer models, used on both sides
(meetings's routes declare them, so its OpenAPI is generated from them; gateway/clients/meetings.py
reads its answers into them). One module per concept: ``meeting`` (a meeting, a page of them, its
calendar file), ``changes`` (what scheduling and changing a meeting send) and ``scheduling``
(slots, agenda candidates, holidays, a commune's profile, facilitators' availability)."""
