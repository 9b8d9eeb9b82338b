"""The project office's review: the period board, approving and returning reports, corrections."""
