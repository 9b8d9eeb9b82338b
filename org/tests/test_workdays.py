from __future__ import annotations

from datetime import date, timedelta

import pytest

from org.workdays import WorkCalendar

CAL = WorkCalendar()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class TestIsWorkday:
    def test_national_day_week_2026_is_holiday(self) -> None:
        for day in days(date(2026, 10, 1), date(2026, 10, 7)):
            assert not CAL.is_workday(day), day

    def test_national_day_2026_adjusted_working_days(self) -> None:
        # Per chinese_calendar 1.11.0 the 2026 Mid-autumn/National Day
        # 调休 makes Sun 20 Sep and Sat 10 Oct working days.
        assert date(2026, 9, 20).weekday() == 6
        assert date(2026, 10, 10).weekday() == 5
        assert CAL.is_workday(date(2026, 9, 20))
        assert CAL.is_workday(date(2026, 10, 10))
        assert not CAL.is_workday(date(2026, 10, 11))  # the Sunday after stays off
        assert CAL.is_workday(date(2026, 10, 8))
        assert CAL.is_workday(date(2026, 10, 9))

    def test_mid_autumn_2026_friday_off(self) -> None:
        assert date(2026, 9, 25).weekday() == 4
        assert not CAL.is_workday(date(2026, 9, 25))

    def test_spring_festival_2026(self) -> None:
        for day in days(date(2026, 2, 15), date(2026, 2, 23)):
            assert not CAL.is_workday(day), day
        # Saturdays 14 and 28 Feb are 调休 working days.
        assert CAL.is_workday(date(2026, 2, 14))
        assert CAL.is_workday(date(2026, 2, 28))
        assert CAL.is_workday(date(2026, 2, 24))

    def test_ordinary_weekend_and_weekdays(self) -> None:
        assert not CAL.is_workday(date(2026, 11, 21))  # Saturday
        assert not CAL.is_workday(date(2026, 11, 22))  # Sunday
        assert CAL.is_workday(date(2026, 11, 23))  # Monday
        assert CAL.is_workday(date(2026, 11, 27))  # Friday

    def test_overrides_beat_chinese_calendar(self) -> None:
        cal = WorkCalendar({date(2026, 10, 1): True, date(2026, 11, 23): False})
        assert cal.is_workday(date(2026, 10, 1))
        assert not cal.is_workday(date(2026, 11, 23))
        # Days without an override keep the official answer.
        assert not cal.is_workday(date(2026, 10, 2))

    def test_overrides_are_snapshotted(self) -> None:
        source = {date(2026, 11, 23): False}
        cal = WorkCalendar(source)
        source[date(2026, 11, 23)] = True
        assert not cal.is_workday(date(2026, 11, 23))

    def test_2027_falls_back_to_monday_to_friday(self) -> None:
        assert date(2027, 1, 1).weekday() == 4
        assert CAL.is_workday(date(2027, 1, 1))
        assert not CAL.is_workday(date(2027, 1, 2))
        assert not CAL.is_workday(date(2027, 1, 3))

    def test_2027_with_override(self) -> None:
        cal = WorkCalendar({date(2027, 1, 1): False, date(2027, 1, 3): True})
        assert not cal.is_workday(date(2027, 1, 1))
        assert cal.is_workday(date(2027, 1, 3))
        assert cal.is_workday(date(2027, 1, 4))


class TestIsKnown:
    def test_years_chinese_calendar_knows(self) -> None:
        assert CAL.is_known(date(2026, 12, 31))
        assert CAL.is_known(date(2004, 1, 1))

    def test_unknown_years(self) -> None:
        assert not CAL.is_known(date(2027, 1, 1))
        assert not CAL.is_known(date(2003, 12, 31))

    def test_override_makes_day_known(self) -> None:
        cal = WorkCalendar({date(2027, 1, 1): False})
        assert cal.is_known(date(2027, 1, 1))
        assert not cal.is_known(date(2027, 1, 4))


class TestArithmetic:
    def test_add_workdays_forward_across_national_day(self) -> None:
        assert CAL.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
        assert CAL.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
        assert CAL.add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)

    def test_add_workdays_backward_across_national_day(self) -> None:
        assert CAL.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
        assert CAL.add_workdays(date(2026, 10, 12), -2) == date(2026, 10, 9)
        # Back over Mid-autumn (25-27 Sep) as well.
        assert CAL.add_workdays(date(2026, 9, 28), -1) == date(2026, 9, 24)

    def test_add_workdays_from_non_workday(self) -> None:
        assert CAL.add_workdays(date(2026, 11, 22), 1) == date(2026, 11, 23)
        assert CAL.add_workdays(date(2026, 11, 22), -1) == date(2026, 11, 20)

    def test_add_zero_on_sunday_rolls_back(self) -> None:
        assert CAL.add_workdays(date(2026, 11, 22), 0) == date(2026, 11, 20)

    def test_add_zero_on_workday_is_identity(self) -> None:
        assert CAL.add_workdays(date(2026, 11, 23), 0) == date(2026, 11, 23)
        # A 调休 Sunday is a working day, so it stays.
        assert CAL.add_workdays(date(2026, 9, 20), 0) == date(2026, 9, 20)

    def test_add_workdays_in_unknown_year(self) -> None:
        assert CAL.add_workdays(date(2027, 1, 1), 1) == date(2027, 1, 4)

    def test_previous_or_same_workday(self) -> None:
        assert CAL.previous_or_same_workday(date(2026, 10, 7)) == date(2026, 9, 30)
        assert CAL.previous_or_same_workday(date(2026, 10, 11)) == date(2026, 10, 10)
        assert CAL.previous_or_same_workday(date(2026, 10, 9)) == date(2026, 10, 9)

    def test_workdays_between_sign(self) -> None:
        # (30 Sep, 12 Oct] holds 8, 9, 10 and 12 Oct.
        assert CAL.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
        assert CAL.workdays_between(date(2026, 10, 12), date(2026, 9, 30)) == -4
        assert CAL.workdays_between(date(2026, 10, 12), date(2026, 10, 12)) == 0

    def test_workdays_between_is_half_open(self) -> None:
        # Start excluded, end included.
        assert CAL.workdays_between(date(2026, 11, 23), date(2026, 11, 24)) == 1
        assert CAL.workdays_between(date(2026, 11, 20), date(2026, 11, 22)) == 0

    @pytest.mark.parametrize("n", [-25, -7, -1, 1, 7, 25])
    def test_add_and_between_agree(self, n: int) -> None:
        start = date(2026, 9, 30)
        assert CAL.workdays_between(start, CAL.add_workdays(start, n)) == n
