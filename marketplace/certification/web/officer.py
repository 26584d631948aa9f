"""Certification officers' pages: the queue, reviewing an application (every item's result
and the decision in one form), complaints and certificate actions; and the administrators'
criteria page.

The services check every rule (an officer never reviews their own group, preconditions
come first, exactly one of two simultaneous decisions wins); a refused step is shown as a
message on the page rather than an error page.
"""

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import access
from marketplace.auth.deps import AdminUser, OfficerUser
from marketplace.certification import views
from marketplace.certification.schemas import CertificateActionIn, ReviewIn
from marketplace.certification.service import applications, certificates, criteria, review
from marketplace.core.deps import SettingsDep, StorageDep
from marketplace.core.forms import FormDep, form_values, parse_form
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import ApplicationStatus, Certificate, CertificateStatus, CriteriaSet

router = APIRouter(tags=["pages"], include_in_schema=False)

DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED,
           ApplicationStatus.CHANGES_REQUESTED)
CERTIFICATE_ACTIONS = {
    CertificateStatus.VALID: ("suspend", "revoke"),
    CertificateStatus.SUSPENDED: ("reinstate", "revoke"),
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- queue ------------------------------------------------------------------------------------

@router.get("/officer/queue")
def queue(request: Request, session: SessionDep, officer: OfficerUser,
          craft: Annotated[str, Query(max_length=16)] = "",
          province: Annotated[str, Query(max_length=2)] = ""):
    rows = review.queue(session=session, actor=officer, craft=craft or None,
                        province=province or None, limit=200)
    items = []
    for application in rows:
        group = access.get_group(session=session, group_id=application.group_id)
        items.append({
            "application": application,
            "group": group,
            "province": views.province_name(group.province_code),
            "products": views.product_links(session, applications.product_ids(
                session=session, application_id=application.id)),
        })
    return render(request, "certification/officer_queue.html", {
        "items": items,
        "form": {"craft": craft, "province": province},
        "craft_options": views.craft_options(),
        "province_options": views.province_options(),
        "labels": views.LABELS,
    })


# -- one application --------------------------------------------------------------------------

def _reviewable(session, officer, application_id: int):
    """The application, if this officer may review it (403 for their own group)."""
    application = applications.get(session=session, application_id=application_id)
    review.require_officer(session=session, actor=officer, application=application)
    return application


def _page(request: Request, session, storage, officer, application_id: int, *,
          form: dict | None = None, errors: dict | None = None, status_code: int = 200):
    application = _reviewable(session, officer, application_id)
    group = access.get_group(session=session, group_id=application.group_id)
    version, items = views.criteria_items(session, application.criteria_set_id)
    latest = review.latest_assessments(session=session, application=application)
    preconditions = [i["key"] for i in items if i["kind"] == "precondition"]
    return render(request, "certification/officer_application.html", {
        "application": application,
        "group": group,
        "province": views.province_name(group.province_code),
        "products": views.product_links(session, applications.product_ids(
            session=session, application_id=application.id)),
        "photos": views.photo_views(session, storage, application.id),
        "criteria_version": version,
        "items": items,
        "titles": {item["key"]: item["title"] for item in items},
        "latest": latest,
        "preconditions_passed": all(k in latest and latest[k].passed for k in preconditions),
        "reviewing": application.status == ApplicationStatus.SUBMITTED,
        "rounds": [r for r in views.assessment_rounds(session, application,
                                                      include_open_round=True)
                   if r.number != application.round],
        "history": views.history(session, "certification_application", application.id),
        "certificate": views.certificate_of(session, application.id),
        "form": form if form is not None else _current_answers(latest),
        "errors": errors or {},
        "labels": views.LABELS,
    }, status_code=status_code)


def _current_answers(latest: dict) -> dict[str, str]:
    """The review form filled with the current assessments."""
    values = {}
    for key, assessment in latest.items():
        values[f"result-{key}"] = "pass" if assessment.passed else "fail"
        values[f"note-{key}"] = assessment.note
    return values


def _url(application_id: int, anchor: str = "") -> str:
    return f"/officer/applications/{application_id}" + (f"#{anchor}" if anchor else "")


@router.get("/officer/applications/{application_id}")
def application_page(application_id: int, request: Request, session: SessionDep,
                     storage: StorageDep, officer: OfficerUser):
    return _page(request, session, storage, officer, application_id)


RESULTS = {"pass": True, "fail": False, "": None}


def _review_errors(errors: dict[str, str]) -> dict[str, str]:
    """The service's field paths as the form's field names."""
    named = {}
    for field, message in errors.items():
        parts = field.split(".")
        if parts[0] == "results" and len(parts) == 3:
            field = f"{'result' if parts[2] == 'passed' else 'note'}-{parts[1]}"
        named[{"note": "decision_note"}.get(field, field)] = message
    return named


@router.post("/officer/applications/{application_id}/review")
def record_review(application_id: int, request: Request, form: FormDep, session: SessionDep,
                  settings: SettingsDep, storage: StorageDep, officer: OfficerUser):
    """The one form: every precondition's and criterion's result, and the decision."""
    application = _reviewable(session, officer, application_id)
    values = form_values(form)
    keys = criteria.keys(session.get(CriteriaSet, application.criteria_set_id))
    results = {key: {"passed": RESULTS.get(values.get(f"result-{key}", "")),
                     "note": values.get(f"note-{key}", "")} for key in keys}
    try:
        with all_or_nothing(session):
            tampered = [key for key in keys if values.get(f"result-{key}", "") not in RESULTS]
            if tampered:
                raise ValidationFailed({f"results.{key}.passed": _(
                    "Choose “passes” or “does not pass”.") for key in tampered})
            data = parse_form(ReviewIn, {"results": results,
                                         "decision": values.get("decision", ""),
                                         "note": values.get("decision_note", "")})
            certificate = review.record_review(
                session=session, settings=settings, actor=officer, application=application,
                results={key: (item.passed, item.note) for key, item in data.results.items()},
                decision=None if data.decision == "later" else data.decision, note=data.note)
    except ValidationFailed as exc:
        errors = _review_errors(exc.errors)
        errors["form"] = _("Nothing is saved yet: correct what is marked below and send "
                           "the form again.")
        return _page(request, session, storage, officer, application_id, form=values,
                     errors=errors, status_code=422)
    except InvalidTransition as exc:
        application = applications.get(session=session, application_id=application_id)
        decided = application.status in DECIDED
        flash(request, _("Another officer has already decided this application.")
              if decided else exc.detail, "error")
        return _see_other(_url(application_id, "review"))
    except Conflict as exc:  # the other officer's decision won the race
        flash(request, exc.detail, "error")
        return _see_other(_url(application_id, "review"))
    if data.decision == "later":
        flash(request, _("The assessments are saved. Decide when the review is complete."),
              "success")
        return _see_other(_url(application_id, "review"))
    if certificate is not None:
        flash(request, _("Approved. Seal %(number)s is issued and the group is told.",
                         number=certificate.number), "success")
        return _see_other(_url(application_id))
    flash(request, _("Decision saved; the group is told by email."), "success")
    return _see_other("/officer/queue")


# -- complaints -------------------------------------------------------------------------------

@router.get("/officer/complaints")
def complaints(request: Request, session: SessionDep, officer: OfficerUser,
               status: Annotated[str, Query(pattern="^(open|dismissed|upheld)$")] = "open"):
    rows = certificates.complaints(session=session, actor=officer, status=status)
    return render(request, "certification/officer_complaints.html", {
        "complaints": [(c, session.get(Certificate, c.certificate_id)) for c in rows],
        "status": status,
    })


@router.post("/officer/complaints/{complaint_id}/close")
def close_complaint(complaint_id: int, request: Request, session: SessionDep,
                    officer: OfficerUser,
                    outcome: Annotated[str, Form(pattern="^(dismissed|upheld)$")]):
    try:
        certificates.close_complaint(session=session, actor=officer,
                                     complaint_id=complaint_id, outcome=outcome)
    except InvalidTransition:
        flash(request, _("This complaint was already handled."), "error")
        return _see_other("/officer/complaints")
    flash(request, _("The complaint is dismissed.") if outcome == "dismissed"
          else _("The complaint is upheld. Suspend or revoke the seal if needed."), "success")
    return _see_other("/officer/complaints")


# -- certificates -----------------------------------------------------------------------------

def _certificate_page(request: Request, session, number: str, *, form=None, errors=None,
                      status_code: int = 200):
    certificate = certificates.get_by_number(session=session, number=number)
    return render(request, "certification/officer_certificate.html", {
        "cert": views.certificate_view(session, certificate),
        "actions": CERTIFICATE_ACTIONS.get(CertificateStatus(certificate.status), ()),
        "history": views.history(session, "certificate", certificate.id),
        "form": form or {},
        "errors": errors or {},
        "labels": views.LABELS,
    }, status_code=status_code)


@router.get("/officer/certificates/{number}")
def certificate_page(number: str, request: Request, session: SessionDep, officer: OfficerUser):
    return _certificate_page(request, session, number)


@router.post("/officer/certificates/{number}/status")
def change_status(number: str, request: Request, form: FormDep, session: SessionDep,
                  officer: OfficerUser):
    certificate = certificates.get_by_number(session=session, number=number)
    values = form_values(form)
    try:
        with all_or_nothing(session):
            data = parse_form(CertificateActionIn, {"action": values.get("action", ""),
                                                    "reason": values.get("reason", ""),
                                                    "reason_km": values.get("reason_km", "")})
            certificates.change_status(session=session, actor=officer, certificate=certificate,
                                       action=data.action, reason=data.reason,
                                       reason_km=data.reason_km)
    except ValidationFailed as exc:
        return _certificate_page(request, session, number, form=values, errors=exc.errors,
                                 status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(f"/officer/certificates/{number}")
    messages = {"suspend": _("The seal is suspended."), "reinstate": _("The seal is valid again."),
                "revoke": _("The seal is revoked.")}
    flash(request, messages[data.action], "success")
    return _see_other(f"/officer/certificates/{number}")


# -- criteria (administrators) ----------------------------------------------------------------

def _criteria_page(request: Request, session, *, form=None, errors=None,
                   status_code: int = 200):
    current = criteria.current(session=session)
    return render(request, "certification/admin_criteria.html", {
        "criteria_set": current,
        "items": [criteria.localized(item) for item in current.items],
        "form": form or {"items": json.dumps(current.items, ensure_ascii=False, indent=2)},
        "errors": errors or {},
        "labels": views.LABELS,
    }, status_code=status_code)


@router.get("/admin/criteria")
def criteria_page(request: Request, session: SessionDep, admin: AdminUser):
    return _criteria_page(request, session)


def _items(text: str) -> list[dict]:
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed({"items": _("This is not valid JSON (line %(line)s): %(msg)s",
                                           line=getattr(exc, "lineno", "?"),
                                           msg=getattr(exc, "msg", str(exc)))}) from exc
    if not isinstance(items, list) or not items or \
            not all(isinstance(item, dict) for item in items):
        raise ValidationFailed({"items": _("Write a list of items: [{...}, {...}].")})
    if not all(isinstance(item.get("key"), str) and item["key"].strip() for item in items):
        raise ValidationFailed({"items": _("Each item needs a unique key and a kind.")})
    return items


@router.post("/admin/criteria")
def publish_criteria(request: Request, form: FormDep, session: SessionDep, admin: AdminUser):
    values = form_values(form)
    try:
        with all_or_nothing(session):
            published = criteria.publish(session=session, actor=admin,
                                         items=_items(values.get("items", "")))
    except ValidationFailed as exc:
        return _criteria_page(request, session, form=values, errors=exc.errors,
                              status_code=422)
    flash(request, _("Criteria version %(n)s is published. New applications use it.",
                     n=published.version), "success")
    return _see_other("/admin/criteria")
