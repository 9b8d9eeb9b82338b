"""Units' monthly reporting: the grid, its checks, the unit Excel sheet and their pages."""
