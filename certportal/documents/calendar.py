"""An iCalendar (.ics) event for a certification's expiry date, with a reminder alarm.

Built with `icalendar` (RFC 5545: escaping, line folding and date values are its job, not
string formatting of ours).
"""

from datetime import UTC, date, datetime, timedelta

import icalendar

# When the calendar reminds the candidate, before the expiry day.
ALARM_BEFORE = timedelta(days=30)


def expiry_event(
    *,
    uid: str,
    program: str,
    name: str,
    expires_on: date,
    plan_summary: str,
    url: str,
    now: datetime | None = None,
) -> bytes:
    """A one-event calendar: an all-day event on the expiry date (the last active day),
    reminding 30 days before, with what would keep the certification and a link to it."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{program} Certifications//CertPortal//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", expires_on)
    event.add("dtend", expires_on + timedelta(days=1))
    event.add("summary", f"{name} expires")
    description = f"{name} is active through {expires_on:%Y-%m-%d}."
    if plan_summary:
        description += f"\n\nTo keep it: {plan_summary}"
    event.add("description", f"{description}\n\n{url}")
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{name} expires on {expires_on:%Y-%m-%d}")
    alarm.add("trigger", -ALARM_BEFORE)
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
