"""The certification officer's side: queue, assessments per criterion, decisions.

Preconditions come first: a criterion cannot be assessed until every precondition has
passed, and a failed precondition leaves only rejection. An officer never reviews an
application from a group they belong to. Two officers deciding at the same moment: the
decision is a conditional UPDATE on the status, so exactly one wins and the other gets 409.

``record_review`` is the officer's one form: every item's result and the decision in one
call, built from ``assess`` and ``decide`` so the rules are the same as one at a time.
"""

from sqlmodel import Session, select

from marketplace import audit
from marketplace.access import membership
from marketplace.auth.service.roles import has_role
from marketplace.certification.service import criteria
from marketplace.certification.service.applications import (
    APPLICATION_STATUS,
    check_transition,
    release_locks,
)
from marketplace.config import Settings
from marketplace.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    ApplicationProduct,
    ApplicationStatus,
    Assessment,
    CertificationApplication,
    CriteriaSet,
    GroupMembership,
    ProducerGroup,
    Product,
    Role,
    User,
    utcnow,
)


def require_officer(*, session: Session, actor: User | None,
                    application: CertificationApplication | None = None) -> None:
    """An officer, and not a member of the applying group."""
    if not has_role(session=session, user=actor, role=Role.OFFICER):
        raise Forbidden(_("Only certification officers may review applications."))
    if application is not None and membership(session=session, user=actor,
                                              group_id=application.group_id):
        raise Forbidden(_("You belong to this producer group, so another officer must "
                          "review its application."))


def queue(*, session: Session, actor: User, craft: str | None = None,
          province: str | None = None, limit: int = 50,
          offset: int = 0) -> list[CertificationApplication]:
    """Submitted applications, oldest first, optionally by craft or province."""
    require_officer(session=session, actor=actor)
    statement = (select(CertificationApplication)
                 .join(ProducerGroup, ProducerGroup.id == CertificationApplication.group_id)
                 .where(CertificationApplication.status == ApplicationStatus.SUBMITTED)
                 .where(CertificationApplication.group_id.not_in(  # never their own group
                     select(GroupMembership.group_id).where(
                         GroupMembership.user_id == actor.id))))
    if province:
        statement = statement.where(ProducerGroup.province_code == province)
    if craft:
        statement = statement.where(CertificationApplication.id.in_(
            select(ApplicationProduct.application_id).join(
                Product, Product.id == ApplicationProduct.product_id).where(
                Product.craft == craft)))
    statement = statement.order_by(CertificationApplication.submitted_at,
                                   CertificationApplication.id)
    return list(session.exec(statement.limit(limit).offset(offset)))


def latest_assessments(*, session: Session,
                       application: CertificationApplication) -> dict[str, Assessment]:
    """The last word on each criterion in the current round."""
    rows = session.exec(select(Assessment).where(
        Assessment.application_id == application.id,
        Assessment.round == application.round).order_by(Assessment.id))
    return {row.criterion_key: row for row in rows}


def assess(*, session: Session, actor: User, application: CertificationApplication,
           criterion_key: str, passed: bool, note: str = "") -> Assessment:
    """Record pass or fail and a note for one precondition or criterion."""
    require_officer(session=session, actor=actor, application=application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise InvalidTransition(_("Only submitted applications can be assessed."))
    criteria_set = session.get(CriteriaSet, application.criteria_set_id)
    kinds = {item["key"]: item["kind"] for item in criteria_set.items}
    if criterion_key not in kinds:
        raise ValidationFailed({"criterion_key": _("Unknown criterion.")})
    if kinds[criterion_key] == "criterion":
        done = latest_assessments(session=session, application=application)
        for key in criteria.keys(criteria_set, "precondition"):
            if key not in done or not done[key].passed:
                raise Conflict(_("Check the preconditions first: the criteria are assessed "
                                 "only when every precondition has passed."))
    if not passed and not note.strip():
        raise ValidationFailed({"note": _("Say why it does not pass.")})
    assessment = Assessment(application_id=application.id, officer_id=actor.id,
                            round=application.round, criterion_key=criterion_key,
                            passed=passed, note=note.strip())
    session.add(assessment)
    session.flush()
    audit.record(session=session, actor=actor, entity_type="certification_application",
                 entity_id=application.id, action="assessed",
                 data={"criterion": criterion_key, "passed": passed})
    return assessment


DECISIONS = {"approve": ApplicationStatus.APPROVED, "reject": ApplicationStatus.REJECTED,
             "request_changes": ApplicationStatus.CHANGES_REQUESTED}


def check_decision(*, session: Session, application: CertificationApplication, decision: str,
                   note: str = "") -> ApplicationStatus:
    """The status ``decision`` leads to, if the rules allow it now (nothing is written)."""
    to = DECISIONS.get(decision)
    if to is None:
        raise ValidationFailed({"decision": _("Choose one of the options.")})
    check_transition(application, to)
    criteria_set = session.get(CriteriaSet, application.criteria_set_id)
    done = latest_assessments(session=session, application=application)
    failed_precondition = any(key in done and not done[key].passed
                              for key in criteria.keys(criteria_set, "precondition"))
    if to == ApplicationStatus.APPROVED:
        missing = [k for k in criteria.keys(criteria_set) if k not in done or not done[k].passed]
        if missing:
            raise Conflict(_("Every precondition and criterion must pass before approval."))
    elif not note.strip():
        raise ValidationFailed({"note": _("Give the reasons the group will read.")})
    if to == ApplicationStatus.CHANGES_REQUESTED and failed_precondition:
        raise Conflict(_("A precondition failed: the application can only be rejected."))
    return to


def decide(*, session: Session, settings: Settings, actor: User,
           application: CertificationApplication, decision: str, note: str = ""):
    """Approve (every item passed), reject (with reasons) or return for changes.

    Returns the certificate on approval, else None.
    """
    from marketplace.certification.service import certificates

    require_officer(session=session, actor=actor, application=application)
    to = check_decision(session=session, application=application, decision=decision, note=note)
    if not APPLICATION_STATUS.change(  # exactly one of two officers deciding at once wins
            session, application, to, actor=actor, action=decision, reason=note.strip() or None,
            values={"decided_at": utcnow(), "decided_by_id": actor.id,
                    "decision_note": note.strip()}):
        raise Conflict(_("Another officer has already decided this application."))
    certificate = None
    if to != ApplicationStatus.CHANGES_REQUESTED:
        release_locks(session, application.id)
    if to == ApplicationStatus.APPROVED:
        certificate = certificates.issue(session=session, settings=settings, actor=actor,
                                         application=application)
    certificates.notify_group(session=session, settings=settings, application=application,
                              certificate=certificate)
    return certificate


def record_review(*, session: Session, settings: Settings, actor: User,
                  application: CertificationApplication,
                  results: dict[str, tuple[bool | None, str]], decision: str | None,
                  note: str = ""):
    """Record every item's result and the decision at once (the officer's one form).

    ``results`` maps a criterion key to (passed, note); passed None leaves the item
    unassessed, and an item whose result and note equal its current assessment is not
    recorded again. ``decision`` None saves the assessments only. Every problem is raised
    at once as ValidationFailed (``results.<key>.passed``, ``results.<key>.note``,
    ``decision``, ``note``); the caller rolls back what was written. Returns the
    certificate on approval, else None.
    """
    require_officer(session=session, actor=actor, application=application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise InvalidTransition(_("Only submitted applications can be assessed."))
    criteria_set = session.get(CriteriaSet, application.criteria_set_id)
    preconditions = set(criteria.keys(criteria_set, "precondition"))
    current = latest_assessments(session=session, application=application)
    errors: dict[str, str] = {}
    for key in criteria.keys(criteria_set):  # preconditions first: criteria depend on them
        passed, item_note = results.get(key, (None, ""))
        before = current.get(key)
        if passed is None or (before is not None and before.passed == passed
                              and before.note == item_note.strip()):
            continue
        try:
            assess(session=session, actor=actor, application=application, criterion_key=key,
                   passed=passed, note=item_note)
        except ValidationFailed as exc:
            errors.update({f"results.{key}.{field}": message
                           for field, message in exc.errors.items()})
        except InvalidTransition:
            raise
        except Conflict as exc:  # a criterion before every precondition has passed
            if not any(k.split(".")[1] in preconditions for k in errors):
                errors[f"results.{key}.passed"] = exc.detail
    if decision is not None:
        items_failed = bool(errors)
        try:
            check_decision(session=session, application=application, decision=decision,
                           note=note)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        except InvalidTransition:
            raise
        except Conflict as exc:  # approval before every item passed; a failed precondition
            if not items_failed:  # else it may only say that an item was not recorded
                errors["decision"] = exc.detail
    if errors:
        raise ValidationFailed(errors)
    if decision is None:
        return None
    return decide(session=session, settings=settings, actor=actor, application=application,
                  decision=decision, note=note)
