"""`schemactl plan`: what `up` (or a rollback) would do to one database, changing nothing.

- ``build``: the plan, from the linter's reading of each pending migration against the live
  catalog, with the pre-flight checks and what each down section would lose;
- ``model``: the frozen result (``PlanResult``), its decision and its JSON document;
- ``preflight``: the checks derived from the operations, and running them read-only;
- ``digest``: the digest of exactly what would run, and why another one differs;
- ``render``: the plan as text and as a Markdown review brief.

Nothing is imported here: ``import schemactl`` stays cheap.
"""
