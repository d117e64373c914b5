"""Observability under chaos: the target's own traces checked against what the run did.

``context`` derives the W3C trace context the load sends with each request; ``receiver``
takes the target's spans over OTLP/HTTP into the run directory; ``traces`` judges them
against the records and the providers' ledger.
"""
