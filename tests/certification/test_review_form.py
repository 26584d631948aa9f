"""The officer's one form (issue 14, item 5): the six items' results and the decision in one
POST. Bad input shows the form again with what was typed and saves nothing; the rules are
the ones of assessing item by item (preconditions first, approval only when everything
passed, exactly one of two racing decisions wins)."""

import threading

import pytest
from sqlmodel import select

from marketplace.certification.service import review
from marketplace.db import transaction
from marketplace.errors import Conflict, ValidationFailed
from marketplace.models import Assessment, Certificate, CertificationApplication, User
from tests.factories import create_application, create_user
from tests.helpers import csrf_from, fresh

PRECONDITIONS = ("environment", "social")
CRITERIA = ("craftsmanship", "authenticity", "innovation", "marketability")
ALL_PASS = dict.fromkeys(PRECONDITIONS + CRITERIA, (True, ""))


def _form(results: dict[str, tuple[str, str]], decision: str, note: str = "") -> dict:
    """The form fields for (result, note) per item key."""
    data = {"decision": decision, "decision_note": note}
    for key, (result, item_note) in results.items():
        data[f"result-{key}"] = result
        data[f"note-{key}"] = item_note
    return data


def _review(client, application, data: dict):
    url = f"/officer/applications/{application.id}"
    token = csrf_from(client.get(url).text)
    return client.post(f"{url}/review", data={"csrf_token": token, **data})


def _assessments(session) -> list[Assessment]:
    fresh(session)
    return list(session.exec(select(Assessment).order_by(Assessment.id)))


# -- the service ------------------------------------------------------------------------------

def test_all_six_items_and_the_approval_in_one_call(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    certificate = review.record_review(session=session, settings=settings, actor=officer,
                                       application=application, results=ALL_PASS,
                                       decision="approve")
    assert certificate is not None and application.status == "approved"
    assert sorted(a.criterion_key for a in session.exec(select(Assessment))) == \
        sorted(ALL_PASS)


def test_every_problem_is_reported_at_once(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    results = {**ALL_PASS, "social": (False, ""), "innovation": (False, "  ")}
    with pytest.raises(ValidationFailed) as refused:
        review.record_review(session=session, settings=settings, actor=officer,
                             application=application, results=results, decision="reject")
    assert refused.value.errors == {
        "results.social.note": "Say why it does not pass.",
        "note": "Give the reasons the group will read.",
    }  # the criteria are not blamed for the precondition that was not recorded


def test_approval_needs_every_item_to_pass(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    results = {**ALL_PASS, "marketability": (False, "Too heavy to post abroad")}
    with pytest.raises(ValidationFailed) as refused:
        review.record_review(session=session, settings=settings, actor=officer,
                             application=application, results=results, decision="approve")
    assert refused.value.errors == {
        "decision": "Every precondition and criterion must pass before approval."}
    unassessed = dict.fromkeys(ALL_PASS, (None, ""))
    with pytest.raises(ValidationFailed):
        review.record_review(session=session, settings=settings, actor=officer,
                             application=application, results=unassessed, decision="approve")


def test_criteria_wait_for_the_preconditions_and_a_failed_one_leaves_rejection(
        session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    results = {**ALL_PASS, "environment": (False, "Trees felled for resin")}
    with pytest.raises(ValidationFailed) as refused:
        review.record_review(session=session, settings=settings, actor=officer,
                             application=application, results=results, decision="reject",
                             note="Trees felled")
    assert set(refused.value.errors) == {f"results.{key}.passed" for key in CRITERIA}
    assert "Check the preconditions first" in refused.value.errors["results.innovation.passed"]
    session.rollback()

    only_preconditions = {"environment": (False, "Trees felled for resin"),
                          "social": (True, "")}
    with pytest.raises(ValidationFailed) as refused:
        review.record_review(session=session, settings=settings, actor=officer,
                             application=application, results=only_preconditions,
                             decision="request_changes", note="Tap the trees")
    assert refused.value.errors == {
        "decision": "A precondition failed: the application can only be rejected."}
    session.rollback()
    review.record_review(session=session, settings=settings, actor=officer,
                         application=application, results=only_preconditions,
                         decision="reject", note="The resin trees were felled.")
    assert application.status == "rejected"


def test_saving_without_a_decision_and_unchanged_items_are_not_recorded_again(
        session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    first = {"environment": (True, "Visited the forest"), "social": (True, "")}
    assert review.record_review(session=session, settings=settings, actor=officer,
                                application=application, results=first, decision=None) is None
    assert application.status == "submitted"
    review.record_review(session=session, settings=settings, actor=officer,
                         application=application,
                         results={**first, "craftsmanship": (True, "")}, decision=None)
    rows = session.exec(select(Assessment)).all()
    assert [a.criterion_key for a in rows] == ["environment", "social", "craftsmanship"]


def test_officers_racing_with_the_one_form_exactly_one_wins(engine, session, storage, settings):
    officers = [create_user(session, role=["officer"]) for _ in range(4)]
    application = create_application(session, storage)
    barrier = threading.Barrier(len(officers))
    outcomes = []

    def decide(officer_id, decision):
        barrier.wait()
        try:
            with transaction(engine) as db:
                review.record_review(
                    session=db, settings=settings, actor=db.get(User, officer_id),
                    application=db.get(CertificationApplication, application.id),
                    results=ALL_PASS, decision=decision,
                    note="" if decision == "approve" else "Not convincing")
            outcomes.append("won")
        except Conflict:  # InvalidTransition included: it was decided before it looked
            outcomes.append("409")

    threads = [threading.Thread(target=decide, args=(o.id, "approve" if i % 2 else "reject"))
               for i, o in enumerate(officers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * 3 + ["won"]
    session.expire_all()
    final = session.get(CertificationApplication, application.id)
    assert len(session.exec(select(Certificate)).all()) == (1 if final.status == "approved"
                                                             else 0)
    # the losers' assessments went with their transactions
    assert len(session.exec(select(Assessment)).all()) == len(ALL_PASS)


# -- the page ---------------------------------------------------------------------------------

def test_the_page_has_one_form_for_the_items_and_the_decision(session, storage, signed_in):
    application = create_application(session, storage)
    client = signed_in(create_user(session, role=["officer"]))
    page = client.get(f"/officer/applications/{application.id}").text
    main = page[page.index("<main"):page.index("</main>")]
    assert main.count("<form") == 1
    assert f'action="/officer/applications/{application.id}/review"' in page
    for key in PRECONDITIONS + CRITERIA:
        assert f'name="result-{key}"' in page and f'name="note-{key}"' in page
    assert 'name="decision" value="approve"' in page


def test_one_post_records_the_six_items_and_the_decision(session, storage, signed_in):
    application = create_application(session, storage)
    client = signed_in(create_user(session, role=["officer"]))
    results = dict.fromkeys(PRECONDITIONS + CRITERIA, ("pass", "Seen on the visit"))
    response = _review(client, application, _form(results, "approve"))
    assert response.status_code == 303, response.text
    rows = _assessments(session)
    assert sorted(a.criterion_key for a in rows) == sorted(results)
    assert {a.note for a in rows} == {"Seen on the visit"}
    assert session.get(CertificationApplication, application.id).status == "approved"
    number = session.exec(select(Certificate)).one().number
    assert f"Seal {number} is issued" in client.get(response.headers["location"]).text


def test_a_refused_form_comes_back_as_typed_and_saves_nothing(session, storage, signed_in):
    application = create_application(session, storage)
    client = signed_in(create_user(session, role=["officer"]))
    results = dict.fromkeys(PRECONDITIONS + CRITERIA, ("pass", ""))
    results["authenticity"] = ("fail", "")
    results["innovation"] = ("fail", "Same pattern as the neighbours' baskets")
    response = _review(client, application,
                       _form(results, "reject", note=""))
    assert response.status_code == 422
    page = response.text
    assert "Nothing is saved yet" in page
    assert 'id="e-note-authenticity"' in page and "Say why it does not pass." in page
    assert "Give the reasons the group will read." in page
    assert "Same pattern as the neighbours&#39; baskets" in page  # what was typed
    assert 'name="result-innovation" value="fail" checked' in page
    assert 'name="result-craftsmanship" value="pass" checked' in page
    assert 'name="decision" value="reject" required checked' in page
    assert _assessments(session) == []
    assert session.get(CertificationApplication, application.id).status == "submitted"


def test_approving_with_a_failed_criterion_is_refused_on_the_form(session, storage, signed_in):
    application = create_application(session, storage)
    client = signed_in(create_user(session, role=["officer"]))
    results = dict.fromkeys(PRECONDITIONS + CRITERIA, ("pass", ""))
    results["marketability"] = ("fail", "Too heavy to post abroad")
    response = _review(client, application, _form(results, "approve"))
    assert response.status_code == 422
    assert 'id="e-decision"' in response.text
    assert "Every precondition and criterion must pass before approval." in response.text
    assert _assessments(session) == []


def test_saving_for_later_keeps_the_answers_on_the_page(session, storage, signed_in):
    application = create_application(session, storage)
    client = signed_in(create_user(session, role=["officer"]))
    results = {"environment": ("pass", "Resin tapped, trees alive"), "social": ("pass", ""),
               **dict.fromkeys(CRITERIA, ("", ""))}
    response = _review(client, application, _form(results, "later"))
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "The assessments are saved." in page
    assert 'name="result-environment" value="pass" checked' in page
    assert "Resin tapped, trees alive</textarea>" in page
    assert 'name="result-craftsmanship" value="" checked' in page  # still open
    assert [a.criterion_key for a in _assessments(session)] == ["environment", "social"]


def test_a_forged_result_or_decision_is_refused(session, storage, signed_in):
    application = create_application(session, storage)
    client = signed_in(create_user(session, role=["officer"]))
    response = _review(client, application, _form({"environment": ("maybe", "")}, "approve"))
    assert response.status_code == 422
    assert 'id="e-result-environment"' in response.text
    response = _review(client, application, _form({}, "publish"))
    assert response.status_code == 422
    assert 'id="e-decision"' in response.text
    assert _assessments(session) == []
