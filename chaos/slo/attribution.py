"""Who served a request, by time, when the call that served it carries no request id.

A target that does not pass ``x-request-id`` on to its providers (LiteLLM's proxy does
not) leaves ledger rows that name no request. Such a call can have served a request only
if it lay inside it: received after the request was sent, ended before the request
ended. Of those *candidate calls*, the one that ended last is taken (a gateway answers as
its provider's answer ends), each call serving one request at most; requests are matched
in the order they ended. A request with one candidate call is attributed for certain;
with several, the provider is certain when they all name one (``BY_TIME_SEVERAL``) and
a guess when they do not (``BY_TIME_PROVIDERS``). The journal counts each, per segment.

Only answered requests are matched (not failed, not marked degraded: a cached answer was
served by no call), and only calls that served one (``Ledger.serving``).
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from chaos.slo.data import BY_ID, BY_TIME, BY_TIME_PROVIDERS, BY_TIME_SEVERAL, NONE, Codes, Ints, Ledger, Requests


def attribute(requests: Requests, ledger: Ledger, serving_row: Ints) -> tuple[Ints, Codes]:
    """``(serving row, attribution)`` per request: ``serving_row`` (found by id) completed
    with calls matched by time; ``ledger.request`` is set, in place, for the calls matched."""
    attribution = np.where(serving_row != NONE, BY_ID, NONE).astype(np.int16)
    calls = np.flatnonzero(ledger.serving & ~ledger.has_id)
    wanted = np.flatnonzero((serving_row == NONE) & ~requests.failed & ~requests.degraded & ~np.isnan(requests.ended))
    if not len(calls) or not len(wanted):
        return serving_row, attribution
    calls = calls[np.argsort(ledger.t_end[calls], kind="stable")]
    ends, starts = ledger.t_end[calls].tolist(), ledger.t[calls].tolist()
    providers = ledger.provider[calls].tolist()
    taken = bytearray(len(calls))
    serving_row = serving_row.copy()
    wanted = wanted[np.argsort(requests.ended[wanted], kind="stable")]
    for request, sent, ended in zip(
        wanted.tolist(), requests.sent[wanted].tolist(), requests.ended[wanted].tolist(), strict=True
    ):
        chosen, candidates, named = NONE, 0, set()
        index = bisect_right(ends, ended) - 1
        while index >= 0 and ends[index] >= sent:
            if starts[index] >= sent:
                candidates += 1
                named.add(providers[index])
                if chosen == NONE and not taken[index]:
                    chosen = index
            index -= 1
        if chosen == NONE:
            continue
        taken[chosen] = 1
        row = int(calls[chosen])
        serving_row[request] = row
        ledger.request[row] = request
        attribution[request] = BY_TIME if candidates == 1 else BY_TIME_SEVERAL if len(named) == 1 else BY_TIME_PROVIDERS
    return serving_row, attribution
