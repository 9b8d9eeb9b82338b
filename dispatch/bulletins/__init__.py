"""Bulletins (调度通报): figures from snapshots, the Word and Excel files, the generation job, pages."""
