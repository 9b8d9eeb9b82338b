"""Timing ``services.collision_candidates`` and ``lead_save`` against 50,000 stored leads (not a test: pytest
collects only test_*.py). It creates a throw-away test database (``test_`` + the configured name) and drops it.

    DJANGO_SETTINGS_MODULE=diaodu.test_settings .venv/bin/python -m investment.tests.bench_leads [count]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inv DJANGO_SETTINGS_MODULE=diaodu.test_settings \
        .venv/bin/python -m investment.tests.bench_leads [count]

Prints the first lookup of a process (it builds the name index from the database), then per lookup with the
index built (median, 95th percentile, maximum, and the queries each makes) for variants of stored names, for
new names and for a stored credit code; then a ``lead_save`` with its collision check, and the next lookup,
which brings the index up to date with the saved lead instead of building it again.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable


def _ms(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def _summary(times: list[float]) -> str:
    times = sorted(times)
    return (f"median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms, "
            f"max {times[-1]:.2f} ms")


def main(count: int = 50_000) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from investment import creditcode, names
    from investment.bench import generated_names, variant
    from investment.models import Lead, NameCounter
    from investment.services import collision_candidates, lead_save, name_index_forget
    from org.models import Unit, User

    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"{connection.vendor} ({test_name}), {count} leads")
        unit = Unit.objects.create(name="招商局", kind=Unit.Kind.DEPARTMENT)
        office = User.objects.create_user(username="office", password="x-123456789", role=User.Role.OFFICE)
        rng = random.Random(5)
        enterprise_names = generated_names(count)
        codes: list[str] = []

        def code_for(number: int) -> str:
            body = f"{number:08d}"
            first17 = "91370700" + body + creditcode.organization_check_digit(body)
            return first17 + creditcode.check_digit(first17)

        start = time.perf_counter()
        rows = []
        for number, name in enumerate(enterprise_names, start=1):
            code = code_for(number) if rng.random() < 0.3 else ""
            if code:
                codes.append(code)
            normalised = names.normalise_name(name)
            rows.append(Lead(enterprise=name, credit_code=code, name_normalised=normalised,
                             name_key=names.name_key(normalised), name_stamp=number, source_unit=unit))
        Lead.objects.bulk_create(rows, batch_size=2000)
        NameCounter.objects.create(pk=NameCounter.SINGLETON_PK, value=count)
        if connection.vendor == "postgresql":  # the statistics a live table has (autovacuum would gather them)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Lead._meta.db_table}")
        print(f"  stored {count} leads in {time.perf_counter() - start:.1f} s")

        name_index_forget()
        first, _result = _ms(lambda: collision_candidates("恒瑞医药股份有限公司"))
        print(f"  first lookup of the process (builds the index from the database): {first:.0f} ms")

        variants = [variant(rng.choice(enterprise_names), rng) for _ in range(300)]
        fresh = generated_names(count + 300, seed=10)[-300:]
        code_queries = [("某某有限公司", rng.choice(codes)) for _ in range(100)]
        for label, queries in (("variants of stored names", [(q, "") for q in variants]),
                               ("new names", [(q, "") for q in fresh]),
                               ("a stored credit code", code_queries)):
            times, found, queries_made = [], 0, []
            for name, code in queries:
                names.analyse_name.cache_clear()
                with CaptureQueriesContext(connection) as captured:
                    took, result = _ms(lambda n=name, c=code: collision_candidates(n, c))
                times.append(took)
                queries_made.append(len(captured))
                found += bool(result)
            print(f"  {label}: {_summary(times)}; queries {min(queries_made)}–{max(queries_made)}; "
                  f"{found} of {len(queries)} found a match")

        saves, after = [], []
        for number in range(20):
            lead = Lead(enterprise=variant(rng.choice(enterprise_names), rng) + f"{number}", source_unit=unit)
            took, _result = _ms(lambda lead=lead: lead_save(by=office, lead=lead))
            saves.append(took)
            took, _result = _ms(lambda: collision_candidates("新名字测试有限公司"))
            after.append(took)
        print(f"  lead_save with its collision check and audit: {_summary(saves)}")
        print(f"  the lookup after a save (index brought up to date, not rebuilt): {_summary(after)}")
    finally:
        connection.creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
