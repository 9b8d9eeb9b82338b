"""The period cycle: opening, closing and publishing periods, the snapshots publishing freezes, reminders."""
