"""The district leaders' part of the dispatch cycle: their home page (领导首页) and their instructions (批示).

``selectors`` reads the leader's home page in a fixed number of queries; ``services`` writes an
instruction (audited, the unit responsible and the office told); ``views`` are the pages and the
instruction section shown on a problem's page and, through ``core.hooks.project_sections``, on a
project's page.
"""
