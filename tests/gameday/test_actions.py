"""Action items: one id per failure identity, whatever exercise found it, and the file
each exercise leaves for the drills' history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from chaos.actions import (
    ACTION_ITEMS_FILE,
    OWNER_PLACEHOLDER,
    ActionItem,
    ActionStatus,
    Failure,
    read_action_items,
    write_action_items,
)


def test_the_id_is_the_documented_hash_of_the_failure() -> None:
    # sha256("slo\x1fprovider-outage\x1favailability in primary-503")[:10], computed by hand once
    assert Failure.slo("provider-outage", "availability", "primary-503").action_id == "AI-2838d15639"


def test_the_same_failure_in_a_later_exercise_gets_the_same_id() -> None:
    first = ActionItem.of(Failure.slo("provider-outage", "availability", "primary-503"), "t", "gameday a run-1")
    later = ActionItem.of(Failure.slo("provider-outage", "availability", "primary-503"), "t2", "drill q3 run-9")
    assert first.id == later.id


@pytest.mark.parametrize(
    "other",
    [
        Failure.slo("provider-outage", "availability", "recovery"),
        Failure.slo("brownout", "availability", "primary-503"),
        Failure.slo("provider-outage", "ttft_p95", "primary-503"),
        Failure.expectation("provider-outage", "availability in primary-503"),
        Failure.checkpoint("provider-outage", "availability in primary-503"),
    ],
)
def test_another_failure_gets_another_id(other: Failure) -> None:
    assert other.action_id != Failure.slo("provider-outage", "availability", "primary-503").action_id


def test_a_new_item_is_open_and_waits_for_an_owner() -> None:
    item = ActionItem.of(Failure.checkpoint("cost-explosion", "declare-severity"), "Declare sooner", "gameday x")
    assert item.status is ActionStatus.OPEN
    assert item.owner == OWNER_PLACEHOLDER


def test_the_file_holds_each_failure_once_and_reads_back(tmp_path: Path) -> None:
    failure = Failure.expectation("provider-outage", "served_by secondary during primary-503 at least 95%")
    items = [
        ActionItem.of(failure, "Fail over faster", "gameday g1"),
        ActionItem.of(Failure.finding("provider-outage", "retry_storm"), "Bound retries", "gameday g1"),
        ActionItem.of(failure, "Fail over faster (again)", "gameday g1"),
    ]
    path = write_action_items(tmp_path, "gameday g1", items)
    assert path == tmp_path / ACTION_ITEMS_FILE
    assert [item["title"] for item in json.loads(path.read_text())["items"]] == ["Fail over faster", "Bound retries"]
    document = read_action_items(tmp_path)
    assert document is not None
    assert [item.id for item in document.items] == [failure.action_id, items[1].id]
    assert sorted(p.name for p in tmp_path.iterdir()) == [ACTION_ITEMS_FILE]  # no temporary left


def test_no_file_reads_as_none_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    assert read_action_items(tmp_path) is None
    (tmp_path / ACTION_ITEMS_FILE).write_text('{"schema_version": 2, "items": []}')
    with pytest.raises(ValidationError):
        read_action_items(tmp_path)
