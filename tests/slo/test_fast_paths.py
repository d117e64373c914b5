"""The loader's fast paths answer exactly as the plain ones: a chunk decoded in one call
as line by line, the id index as a dict, a run read in small chunks as in one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.records import dump_record
from chaos.rundir import RunDir
from chaos.slo.builder import RunDataBuilder
from chaos.slo.data import NONE, RunData
from chaos.slo.ids import RequestIndex
from chaos.slo.loading import load_run, read_blocks
from chaos.slo.wire import BadRecord, Wire, decode_chunk
from tests.slo.slo_runs import Run, scenario

ONE_LINE = msgspec.json.Decoder(Wire)


def varied_run() -> Run:
    """Every kind of record, optional fields set and not, an id with quotes and non-ASCII."""
    run = Run()
    for second in range(40):
        run.request(second, ok=second % 7 != 3, served=["primary", "model-b", "other", None][second % 4])
    run.request(41, request_id='q"uot\\ed é \u2603', degraded="cached")
    run.request(42, ends=False, request_id="still-flying")
    run.ledger(1.1, "primary", status=503, request_id="r1", input_tokens=3)
    run.ledger(1.2, "secondary", request_id="r1", output_tokens=7, canary=True)
    run.fault("outage", 20, 30)
    run.proxy(1, "primary", accepted=5, cut=1)
    run.stop(50)
    return run


def test_a_chunk_decodes_as_its_lines_one_by_one(monkeypatch):
    lines = [dump_record(record).encode() for record in varied_run().records]
    one_by_one = [ONE_LINE.decode(line) for line in lines]
    with monkeypatch.context() as patch:
        patch.setattr("chaos.slo.wire._decode_each", None)  # the fast path alone
        assert decode_chunk(b"".join(lines)) == one_by_one
    # Blank lines, CRLF and indented lines leave the fast path, and decode all the same.
    odd = b"\n" + lines[1].replace(b"\n", b"\r\n") + b"  " + lines[2] + b"\n\n" + lines[3]
    assert decode_chunk(odd) == [ONE_LINE.decode(line) for line in lines[1:4]]


START = b'{"record":"load","event":"start","t":1}'
STOP = b'{"record":"load","event":"stop","t":2}'


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # Each would decode in one ``decode_lines`` call: a line is one record, or none.
        (START + b"\n" + STOP + b" " + STOP + b"\n", 1),
        (START + b" " + STOP[:-1] + b',"more":\n{"a":1}}\n', 0),
        (START[:17] + b"\n" + START[17:] + b"\n", 0),
    ],
)
def test_a_line_holding_more_or_less_than_one_record_is_bad(text, line):
    assert ONE_LINE.decode_lines(text)  # what the check after the one call is for
    with pytest.raises(BadRecord) as caught:
        decode_chunk(text)
    assert caught.value.line == line


ids = st.sampled_from(["a", "b", "c", "", "é", "a\x00", "b\x00"])


@settings(max_examples=300, deadline=None)
@given(
    batches=st.lists(st.lists(ids, max_size=12), max_size=4),
    probes=st.lists(st.one_of(st.none(), ids, st.just("unknown")), max_size=20),
    collide=st.booleans(),
)
def test_the_id_index_answers_as_a_dict_of_the_last_rows(batches, probes, collide):
    index = RequestIndex((lambda value: len(str(value))) if collide else hash)  # collide: many ids, one hash
    last: dict[str, int] = {}
    for batch in batches:
        index.add(batch)
        last.update((request_id, len(index) - len(batch) + row) for row, request_id in enumerate(batch))
        assert index.rows(probes).tolist() == [NONE if p is None else last.get(p, NONE) for p in probes]


def test_the_id_index_answers_as_a_dict_between_and_after_batches():
    index, rows = RequestIndex(lambda value: 1), {}
    for row, request_id in enumerate(["x", "y", "x", "z", "y"]):
        index.add([request_id])
        rows[request_id] = row
        assert index.rows(["x", "y", "z", None, "w"]).tolist() == [rows.get(k, NONE) for k in "xyz"] + [NONE, NONE]


def test_a_line_longer_than_the_buffer_is_read_whole(tmp_path):
    path = tmp_path / "records.jsonl"
    lines = [b"a" * 10 + b"\n", b"b" * 300 + b"\n", b"c" * 5 + b"\n", b"cut short"]
    path.write_bytes(b"".join(lines))
    blocks = [(offset, bytes(block)) for offset, block in read_blocks(path, size=64)]
    assert b"".join(block for _, block in blocks) == b"".join(lines[:3])  # the cut line left out
    assert [offset for offset, _ in blocks] == [sum(len(b) for _, b in blocks[:i]) for i in range(len(blocks))]
    assert len(blocks) > 1


def columns(data: RunData) -> dict[str, tuple[str, bytes]]:
    """Every column, to the bit (NaN equal to NaN)."""
    found = {}
    for part in (data.requests, data.ledger):
        for f in dataclasses.fields(part):
            column = getattr(part, f.name)
            found[f"{type(part).__name__}.{f.name}"] = (column.dtype.str, column.tobytes())
    return found


def test_a_run_read_in_small_chunks_gives_the_columns_of_one_chunk(tmp_path: Path):
    run = varied_run()
    run.ledger(42.5, "primary", request_id="still-flying")  # the request still in flight
    whole = run.data(scenario())
    builder = RunDataBuilder(scenario())
    text = "".join(dump_record(record) for record in run.records).encode()
    lines = text.splitlines(keepends=True)
    for start in range(0, len(lines), 3):  # sent and ended records fall in different chunks
        builder.add_chunk(b"".join(lines[start : start + 3]))
    assert columns(builder.build()) == columns(whole)
    assert whole.requests.in_flight.sum() == 1
    assert whole.ledger.request[-1] == np.flatnonzero(whole.requests.in_flight)[0]


def test_the_loaded_columns_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    run = varied_run()
    RunDir(tmp_path).records.write_text("".join(dump_record(record) for record in run.records))
    whole = load_run(tmp_path, scenario())
    monkeypatch.setattr("chaos.slo.loading.CHUNK_BYTES", 256)
    assert columns(load_run(tmp_path, scenario())) == columns(whole)
