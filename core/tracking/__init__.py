"""A generic tracked item (督办事项): something assigned to a unit with a deadline, moved by a
transitions table, escalated as its deadline passes, with extension and return requests and a history.

Problems (督办问题, dispatch) use it now; enterprise demands (企业诉求) will use it next.

- ``escalation``: the one escalation rule (pure) and its SQL twin, derived from the same bands;
- ``decisions``: ``Decision`` and the ``DecisionRequest`` base every request the office decides is on,
  with the one ``decide`` helper;
- ``items``: the abstract ``TrackedItem`` and ``TrackedEvent`` and the request bases for items;
- ``transitions``: the transitions table and the one ``transition`` service;
- ``requests``: extension (申请延期) and return (退回申请) requests on an item.

Kept free of model imports here so the pure ``escalation`` module can be imported before the apps are ready.
"""
