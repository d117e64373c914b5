"""A run's verdict as JUnit XML, the format GitHub Actions, GitLab and Jenkins all read.

One ``testsuite`` per scenario; one ``testcase`` per SLO in each segment, one per
expectation, and one for the run's own verdict, so that the file fails exactly when the
exit code does (an aborted run whose SLOs held until the abort is an ``error``). A fail
is a ``failure`` whose message carries the figures; inconclusive is ``skipped`` with its
reason. Every word comes from the journal (``chaos.report.figures``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from chaos.journal import Journal, iso
from chaos.report import figures as fig
from chaos.report.run_page import headline
from chaos.slo.results import RunVerdict
from chaos.wilson import Verdict


def render_junit(journals: Sequence[Journal]) -> str:
    """The JUnit XML of one run, or of a suite of runs (a testsuite each)."""
    root = ET.Element("testsuites", name="chaos")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    elapsed = 0.0
    for journal in journals:
        suite = _suite(journal)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        elapsed += float(suite.get("time", "0"))
    root.attrib.update({key: str(value) for key, value in totals.items()})
    root.set("time", f"{elapsed:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(journal: Journal) -> ET.Element:
    duration = (journal.ended_at - journal.started_at) if journal.ended_at is not None else 0.0
    suite = ET.Element(
        "testsuite",
        name=journal.scenario_name,
        id=journal.run_id,
        timestamp=iso(journal.started_at).removesuffix("Z"),  # JUnit's timestamps carry no zone
        hostname="localhost",
        time=f"{max(duration, 0.0):.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", journal.run_id),
        ("status", journal.status.value),
        ("exit_code", str(journal.exit_code)),
        ("scenario_path", journal.scenario_path),
        ("environment", journal.environment),
        *sorted((f"version.{key}", value) for key, value in journal.versions.items()),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    classname = f"chaos.{journal.scenario_name}"
    cases = [_verdict_case(journal, classname)]
    evaluation = journal.evaluation
    if evaluation is not None:
        for result in evaluation.slos:
            case = ET.Element("testcase", classname=f"{classname}.slo", name=f"{result.slo} in {result.segment}")
            _outcome(case, result.verdict, fig.slo_sentence(result), fig.undecided_because(result), kind="slo")
            cases.append(case)
        for expectation in evaluation.expectations:
            case = ET.Element("testcase", classname=f"{classname}.expectation", name=expectation.expectation)
            _outcome(case, expectation.verdict, expectation.reason, expectation.reason, kind="expectation")
            cases.append(case)
    for case in cases:
        case.set("time", "0")
        suite.append(case)
    suite.set("tests", str(len(cases)))
    for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        suite.set(key, str(sum(case.find(tag) is not None for case in cases)))
    out = ET.SubElement(suite, "system-out")
    out.text = headline(journal)
    return suite


def _outcome(case: ET.Element, verdict: Verdict, failure: str, undecided: str, *, kind: str) -> None:
    if verdict is Verdict.FAIL:
        ET.SubElement(case, "failure", message=failure, type=kind).text = failure
    elif verdict is Verdict.INCONCLUSIVE:
        ET.SubElement(case, "skipped", message=f"inconclusive: {undecided}")


def _verdict_case(journal: Journal, classname: str) -> ET.Element:
    """The run's own verdict: what the exit code says, as a test."""
    case = ET.Element("testcase", classname=classname, name="verdict")
    sentence = headline(journal)
    verdict = journal.verdict
    if verdict is RunVerdict.FAIL:
        ET.SubElement(case, "failure", message=sentence, type="verdict").text = sentence
    elif verdict is RunVerdict.INCONCLUSIVE:
        ET.SubElement(case, "skipped", message=sentence)
    elif verdict is not RunVerdict.PASS:  # aborted, error, or none at all (a run still going)
        ET.SubElement(case, "error", message=sentence, type=verdict.value if verdict else "no-verdict").text = sentence
    return case
