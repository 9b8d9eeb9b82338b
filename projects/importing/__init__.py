"""Importing the key-project lists districts already have, in whatever layout they have them.

The reading layer, pure and without the database: ``fields`` (the project fields and the headers
people write for them, matched by ``core.excel.layout``) and ``values`` (the values as written:
amounts in 亿元/万元/foreign currencies, construction periods, several units in one cell, levels,
traditional characters, project codes). The mapping page, the saved profiles (``ImportProfile``) and
the import build on it.
"""
