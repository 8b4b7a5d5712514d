"""The Nitinol Scar Ledger: hash-chained scars, their hypervector encoding, and what reads them.

docs/architect-k.md §3 explains the ledger, its fields and its vocabulary.

- :mod:`~architect_k.ledger.chain`: the JSONL file: sealing, verifying, locked appends.
- :mod:`~architect_k.ledger.vsa`: the martensite phase encoding (10,000-bit hypervectors).
- :mod:`~architect_k.ledger.match`: ranking scars against a context.
- :mod:`~architect_k.ledger.fipi`: render-time scar warnings for copier answers.
- :mod:`~architect_k.ledger.debride`: pruning expired, weak, rule-less scars.
- :mod:`~architect_k.ledger.reflect`: minting and reinforcing scars from PSI reports and CI logs.
- :mod:`~architect_k.ledger.cli`: ``architect-k ledger verify|match|mint|debride|reflect``.
"""
