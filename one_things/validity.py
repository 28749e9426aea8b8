"""When a licence issued under a declared validity (`Item.result_valid_for`) stops being valid.

A licence is valid through whole Shanghai calendar days: one issued on 2026-12-06 for one year is valid
through 2027-12-05 and expires at 2027-12-06 00:00 Shanghai time. The instant is what is stored and
compared; people are shown the last valid day, never the day of that instant (which is one day later).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from core.calendar import TZ
from one_things.schema import Validity


def expires_at(validity: Validity, issued_at: datetime) -> datetime:
    # relativedelta, not hand-written month arithmetic: it clamps 31 January + 1 month to the month's
    # last day and 29 February + 1 year to 28 February, as a licence office does.
    issued_on = issued_at.astimezone(TZ).date()
    end = issued_on + relativedelta(years=validity.years, months=validity.months, days=validity.days)
    return datetime.combine(end, time.min, tzinfo=TZ)


def last_valid_day(expires_at: datetime) -> date:
    """The last Shanghai day on which the licence is still valid (any expiry instant, not only midnight)."""
    return (expires_at.astimezone(TZ) - timedelta(microseconds=1)).date()
