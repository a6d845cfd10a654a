"""Delivery failure reports and spam complaints: whose address failed, and how.

    record_bounce     a failure report -> `bounce` records (one per failed address)
    record_complaint  an ARF report -> a `complaint` record: no more mail to that member

A `bounce` record: community, email, kind (dead | full | temporary | dmarc | policy, see
inbound/dsn.py), status (RFC 3463, '' when the report gives none), member (the address is
an active member), message_id, at; and since the probes, all optional for older records:
item (the outbox id named by our bounce address, '' without one), counted (it counts toward
a pause: it came to the bounce address of a copy really sent to this address, and is the
first counted that day), day (the community's date, for one a day), probe (the copy was a
probe: a dead or full answer pauses delivery, membership.py).

A report that reaches the community address without our bounce address is still read and
recorded for the organizers to see, but never counted: anyone can write such a report.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from mailer.config import Community
from mailer.handle.app import Result
from mailer.inbound.classify import Outcome
from mailer.inbound.dsn import Failure, Report, grade_failure, read_report
from mailer.membership import members_of
from mailer.model import Mail, OutboxItem
from mailer.state import BOUNCE_WEIGHTS, Record, State
from mailer.tokens import plus_tag

# a report that came to a copy's bounce address reads as a failure by these rules even when
# it names no address in a way we understand (its sender, its subject)
_FAILURE_RULES = ("dsn-report", "failure-notice")


def record_bounce(state: State, mail: Mail, raw: bytes, community: Community,
                  outcome: Outcome, now: datetime) -> Result:
    """A delivery failure report: who failed, and how; counted only at our bounce address."""
    report = read_report(raw, ignore=_own_addresses(mail, community))
    item_id = _item_named(mail, report, community)
    item = state.outbox.get(item_id) if item_id else None
    if item is not None:
        at_our_address = item_id == _item_named(mail, Report(), community)
        failures = _about_copy(item, report, mail, outcome)
        records = [_counted(state, community, item, f, mail, now, at_our_address)
                   for f in failures[:1]]
    else:
        members = members_of(community, state)
        records = [_record(community, email, f, mail, now, members)
                   for f in report.failures for email in _who(f)]
    if not records:  # a robot's notice, an auto-reply to our bounce address
        return Result("automatic", outcome.detail if outcome.rule == "failure-notice"
                      and outcome.detail else outcome.rule, mail.message_id, community.id,
                      detail="no failed address in it")
    result = Result("bounce", outcome.rule, mail.message_id, community.id, records=records)
    result.detail = " ".join(
        f"{r['email']}={r['kind']}{'(' + r['status'] + ')' if r['status'] else ''}"
        f"{' counted' if r.get('counted') else ''}{' probe' if r.get('probe') else ''}"
        for r in records)
    return result


def record_complaint(state: State, mail: Mail, raw: bytes, community: Community,
                     outcome: Outcome, now: datetime) -> Result:
    """An ARF complaint (the member pressed "spam" on our copy): no more mail to them until
    they join again; the organizers read it in their daily attention mail."""
    result = Result("automatic", outcome.rule, mail.message_id, community.id)
    report = read_report(raw, ignore=_own_addresses(mail, community))
    item_id = _item_named(mail, report, community)
    item = state.outbox.get(item_id) if item_id else None
    members = members_of(community, state)
    named = [a for a in (*report.feedback_recipients, *report.original_to) if a in members]
    email = item.to.lower() if item is not None else (named[0] if named else "")
    if not email:
        result.detail = f"complaint ({report.feedback_type or 'unknown'}) names no member"
        return result
    result.records.append({
        "t": "complaint", "community": community.id, "email": email,
        "member": email in members, "feedback_type": report.feedback_type or "abuse",
        "item": item_id if item is not None else "", "message_id": mail.message_id,
        "at": now.isoformat(),
        # only a complaint about a copy we sent (its VERP address) stops delivery: anyone
        # can write a report that names a member (issue 16)
        "stops": item is not None})
    result.detail = f"complaint from {email} ({report.feedback_type or 'abuse'})"
    return result


def _own_addresses(mail: Mail, community: Community) -> set[str]:
    ours = {community.address.lower()}
    return ours | {a for a in mail.to_addrs if plus_tag(a, community.address) is not None}


def _item_named(mail: Mail, report: Report, community: Community) -> str:
    """The outbox id in our bounce address: the report's envelope recipient, else the
    returned copy's envelope sender (an ARF's Original-Mail-From, a Return-Path)."""
    for address in (*mail.to_addrs, report.original_envelope):
        tag = plus_tag(address, community.address) if address else None
        if tag and tag.startswith("b-"):
            return tag[2:]
    return ""


def _about_copy(item: OutboxItem, report: Report, mail: Mail,
                outcome: Outcome) -> list[Failure]:
    """The failure of the one copy the bounce address names: the report's line about its
    recipient, else the report's only failure (a forward, an alias), else what the report's
    words say when it is a failure report by its shape."""
    to = item.to.lower()
    mine = [f for f in report.failures if to in (f.address, f.original_recipient)]
    if mine:
        return mine
    if len(report.failures) == 1 or (report.failures and outcome.rule in _FAILURE_RULES):
        return [report.failures[0]]
    if outcome.rule in _FAILURE_RULES or _looks_failed(mail):
        return [Failure(to, grade_failure("", mail.subject + "\n" + mail.text[:3000]))]
    return []


def _looks_failed(mail: Mail) -> bool:
    from mailer.inbound.classify import envelope_sender, is_robot

    return envelope_sender(mail) == "" or is_robot(mail.from_addr) \
        or "x-failed-recipients" in mail.headers


def _who(failure: Failure) -> list[str]:
    """The addresses a failure is about: the one that failed, and the one we sent to when
    the report names it apart (a forward, an alias): the member is found under either."""
    if failure.original_recipient and failure.original_recipient != failure.address:
        return [failure.address, failure.original_recipient]
    return [failure.address]


def _record(community: Community, email: str, failure: Failure, mail: Mail, now: datetime,
            members: Collection[str]) -> Record:
    return {"t": "bounce", "community": community.id, "email": email, "kind": failure.kind,
            "status": failure.status, "member": email in members, "item": "",
            "counted": False, "message_id": mail.message_id, "at": now.isoformat()}


def _counted(state: State, community: Community, item: OutboxItem, failure: Failure,
             mail: Mail, now: datetime, at_our_address: bool) -> Record:
    """A bounce about one copy of ours. It counts when it came to that copy's own bounce
    address (not only named in the returned headers), the copy really went to that member,
    and none counted for them that day; a probe's bounce decides the pause."""
    email = item.to.lower()
    day = now.astimezone(community.timezone).date().isoformat()
    weighs = BOUNCE_WEIGHTS.get(failure.kind, 0.0) > 0
    sent = item.state == "sent" and at_our_address
    counted = sent and weighs and state.bounce_day.get(email) != day
    record = _record(community, email, failure, mail, now, members_of(community, state))
    record.update(item=item.id, counted=counted, day=day,
                  probe=item.id in state.probes and sent)
    return record
