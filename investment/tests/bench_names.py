"""Timing ``NameIndex`` against 50,000 generated leads (not a test: pytest collects only test_*.py).

    DJANGO_SETTINGS_MODULE=diaodu.test_settings .venv/bin/python -m investment.tests.bench_names [count]

Prints the time to normalise the names (done once, when a lead is saved), to build the index from the
stored normalised names, and per lookup (median, 95th percentile, maximum) for names that are variants of
indexed leads and for new names; and, for comparison, comparing one name with every lead.
``investment/tests/test_names.py`` checks on the same kind of data that the index finds what comparing
with every lead finds.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable

from investment.bench import generated_names, variant


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main(count: int = 50_000) -> None:
    import django

    django.setup()
    from investment.names import DEFAULT_THRESHOLD, Candidate, NameIndex, _Query, analyse_name, match, normalise_name
    from projects.importing.values import _fold

    names = generated_names(count)
    start = time.perf_counter()
    rows = [Candidate(i, name, "", normalise_name(name)) for i, name in enumerate(names)]
    normalising = time.perf_counter() - start
    start = time.perf_counter()
    index = NameIndex(rows)
    building = time.perf_counter() - start
    print(f"{count} names: normalising {normalising:.2f} s ({normalising / count * 1e6:.0f} µs a name), "
          f"building the index from the normalised names {building:.2f} s")

    rng = random.Random(1)
    variants = [variant(rng.choice(names), rng) for _ in range(500)]
    fresh = generated_names(count + 500, seed=10)[-500:]
    for label, queries in (("variants of indexed leads", variants), ("new names", fresh)):
        times, compared, found = [], [], 0
        for query in queries:
            analyse_name.cache_clear()  # time the query's normalising too, as on a real entry
            _fold.cache_clear()
            times.append(_timed(lambda q=query: index.match(q, "", DEFAULT_THRESHOLD)))
            found += bool(index.match(query, "", DEFAULT_THRESHOLD))
            compared.append(len(index._candidates(_Query.of(query, ""), DEFAULT_THRESHOLD)))
        times.sort()
        print(f"  {label}: median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms, "
              f"max {times[-1]:.2f} ms; rows compared in full: median {statistics.median(compared):.0f}, "
              f"max {max(compared)}; {found} of {len(queries)} found a match")
    brute = [_timed(lambda q=query: match(q, "", rows, DEFAULT_THRESHOLD)) for query in variants[:5]]
    print(f"  comparing one name with every lead instead: median {statistics.median(brute):.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
