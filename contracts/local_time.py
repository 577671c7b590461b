"""Cambodia's clock, named once for every service and the gateway: times are stored in UTC and
shown, counted by day and checked against quiet hours in Phnom Penh (UTC+7, no daylight saving)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

TIME_ZONE = "Asia/Phnom_Penh"
PHNOM_PENH = ZoneInfo(TIME_ZONE)
