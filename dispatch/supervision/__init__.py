"""Supervision (督办): problems, their steps and requests, the supervision slip, their pages."""
