"""The certification officer's side: queue, assessments per criterion, decisions.

Preconditions come first: a criterion cannot be assessed until every precondition has
passed, and a failed precondition leaves only rejection. An officer never reviews an
application from a group they belong to. Two officers deciding at the same moment: the
decision is a conditional UPDATE on the status, so exactly one wins and the other gets 409.
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


def decide(*, session: Session, settings: Settings, actor: User,
           application: CertificationApplication, decision: str, note: str = ""):
    """Approve (every item passed), reject (with reasons) or return for changes.

    Returns the certificate on approval, else None.
    """
    from marketplace.certification.service import certificates

    require_officer(session=session, actor=actor, application=application)
    to = {"approve": ApplicationStatus.APPROVED, "reject": ApplicationStatus.REJECTED,
          "request_changes": ApplicationStatus.CHANGES_REQUESTED}.get(decision)
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
