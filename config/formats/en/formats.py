"""How dates and times read on every page: one format, day month year ("3 Dec 2026"),
never "Dec. 3, 2026" beside "2026-12-03". Times are shown in the viewer's own time zone
(``psops.accounts.middleware``). Date inputs keep ISO values; only display changes."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
