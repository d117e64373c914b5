"""The JUnit XML of hand-made journals, read by junitparser (as CI plugins read it) and
validated against the schema Jenkins and GitLab read (``junit.xsd`` beside this file):
a testcase per SLO and segment, per expectation and for the verdict, failing exactly
when the exit code does, with the figures in the message."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from chaos.report.junit import render_junit
from tests.report import journals

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))


def parsed(name: str, tmp_path: Path) -> TestSuite:
    path = tmp_path / "junit.xml"
    path.write_text(render_junit([journals.ALL[name]()]))
    SCHEMA.validate(str(path))
    (suite,) = JUnitXml.fromfile(str(path))
    assert isinstance(suite, TestSuite)
    return suite


def outcomes(suite: TestSuite) -> dict[str, str]:
    """Each testcase's name -> passed, failure, error or skipped."""
    found = {}
    for case in suite:
        assert isinstance(case, TestCase)
        kinds = {type(result) for result in case.result}
        found[case.name] = next((k.__name__.lower() for k in (Failure, Error, Skipped) if k in kinds), "passed")
    return found


@pytest.mark.parametrize("name", list(journals.ALL))
def test_every_journal_gives_valid_junit(name: str, tmp_path: Path) -> None:
    suite = parsed(name, tmp_path)
    assert suite.name == "test"
    journal = journals.ALL[name]()
    slos = len(journal.evaluation.slos) if journal.evaluation else 0
    expectations = len(journal.evaluation.expectations) if journal.evaluation else 0
    assert suite.tests == 1 + slos + expectations
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
        len(list(suite)),
        sum(v == "failure" for v in outcomes(suite).values()),
        sum(v == "error" for v in outcomes(suite).values()),
        sum(v == "skipped" for v in outcomes(suite).values()),
    )


def test_a_failed_slo_is_a_failure_whose_message_carries_the_figures(tmp_path: Path) -> None:
    suite = parsed("fail", tmp_path)
    assert outcomes(suite) == {
        "verdict": "failure",
        "availability in baseline": "passed",
        "availability in outage": "failure",
        "availability in recovery": "passed",
        "ttft_p95 in baseline": "passed",
        "ttft_p95 in outage": "failure",
        "ttft_p95 in recovery": "passed",
        "cost_per_request in baseline": "passed",
        "cost_per_request in outage": "passed",
        "cost_per_request in recovery": "passed",
        "served_by: secondary, during: outage, at_least: 90%": "failure",
    }
    case = next(case for case in suite if isinstance(case, TestCase) and case.name == "availability in outage")
    (failure,) = case.result
    assert failure.message == "availability 80.0% of 200 in outage, objective >= 95%, Wilson 95% [73.9%, 85.0%]"
    assert case.classname == "chaos.test.slo"


def test_inconclusive_is_skipped_with_its_reason(tmp_path: Path) -> None:
    suite = parsed("inconclusive", tmp_path)
    case = next(case for case in suite if isinstance(case, TestCase) and case.name == "availability in outage")
    (skipped,) = case.result
    assert isinstance(skipped, Skipped)
    assert skipped.message == ("inconclusive: the Wilson 95% interval [83.9%, 100.0%] contains the objective 95.00%")
    assert outcomes(suite)["verdict"] == "skipped"


@pytest.mark.parametrize("name", ["aborted", "killed", "not-started"])
def test_a_run_without_a_pass_or_fail_verdict_is_an_error(name: str, tmp_path: Path) -> None:
    """Exit 3 or 2 must not read green in CI, even when every SLO held until the stop."""
    suite = parsed(name, tmp_path)
    assert outcomes(suite)["verdict"] == "error"
    assert suite.errors == 1


def test_a_passing_run_passes_every_testcase(tmp_path: Path) -> None:
    suite = parsed("pass", tmp_path)
    assert set(outcomes(suite).values()) == {"passed"}
    assert (suite.failures, suite.errors, suite.skipped) == (0, 0, 0)


def test_a_suite_of_runs_is_a_testsuite_each(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(render_junit([journals.passing(), journals.failing()]))
    SCHEMA.validate(str(path))
    xml = JUnitXml.fromfile(str(path))
    assert [suite.tests for suite in xml] == [11, 11]
    assert (xml.tests, xml.failures) == (22, 4)


def test_the_schema_rejects_what_ci_would_not_read(tmp_path: Path) -> None:
    """The check is real: a testcase with two outcomes, or without a name, is refused."""
    good = render_junit([journals.failing()])
    twice = good.replace("</failure>", "</failure><skipped />", 1)
    assert not SCHEMA.is_valid(twice)
    nameless = good.replace('name="verdict"', "", 1)
    assert not SCHEMA.is_valid(nameless)
    assert SCHEMA.is_valid(good)
