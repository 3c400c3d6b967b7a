"""Mobile app prompts in the core, on SQLite and PostgreSQL, driven by a device that signs as
docs/push-protocol.md says: pairing, signed requests (clock, nonce, signature, removal), signed
prompts, number matching, the first answer deciding, reports, and the anti-fatigue limits."""

from __future__ import annotations

import json
import secrets

import pytest

from secconsole.core import push_protocol as proto
from secconsole.core.delivery import recent_outbox
from secconsole.core.methods.base import Reason
from secconsole.core.methods.push import HOURLY_CAP, MobilePrompts, PushRefused

from conftest import STRONG
from push_helpers import API, Device, Phone

SRC = "test"


@pytest.fixture
def push(services):
    from secconsole.core.methods.push import MobilePrompts

    return MobilePrompts(services.way("totp").ctx)


@pytest.fixture
def alice(services):
    return services.accounts.create("alice", "alice@example.com", STRONG, source=SRC)


def test_pair_then_approve_with_the_right_number_signs_in_once(services, push, alice):
    phone = Phone(push, alice.id)
    assert phone.paired["account"] == "alice" and phone.paired["server_alg"] == "ed25519"
    assert [d.name for d in push.devices(alice.id)] == ["Pixel 8"]
    said = push.begin(alice.id, source="ssh 203.0.113.9", host="console.example")
    shown = push.prompt(alice.id).number
    assert f"tap {shown}" in said
    (prompt,) = phone.prompts()
    assert proto.server_signature_ok(phone.paired["server_key"], prompt)
    assert prompt["account"] == "alice" and prompt["source"] == "ssh 203.0.113.9" and shown in prompt["numbers"]
    assert prompt["host"] == "console.example"  # as given; the console's own host name by default
    assert push.verify(alice.id, source=SRC).reason is Reason.PENDING
    assert phone.answer(prompt, "approve", shown) == "approved"
    assert push.verify(alice.id, source=SRC).ok
    assert not push.verify(alice.id, source=SRC).ok  # used once
    subjects = [m.subject for m in recent_outbox(services.db, services.box, account_id=alice.id)]
    assert "A device was paired for mobile app prompts" in subjects


def test_a_wrong_number_is_a_denial_and_the_first_answer_decides(services, push, alice):
    phone, tablet = Phone(push, alice.id), Phone(push, alice.id, "iPad", alg="p256")
    push.begin(alice.id, source=SRC)
    shown = push.prompt(alice.id).number
    (prompt,) = tablet.prompts()
    wrong = next(n for n in prompt["numbers"] if n != shown)
    assert tablet.answer(prompt, "approve", wrong) == "denied"
    with pytest.raises(PushRefused) as late:
        phone.answer(prompt, "approve", shown)
    assert late.value.status == 409
    result = push.verify(alice.id, source=SRC)
    assert not result.ok and "Denied" in result.message
    kinds = [e.kind for e in services.accounts.recent_events("alice")]
    assert "push.denied" in kinds


def test_it_wasnt_me_pauses_prompts_and_tells_the_owner(services, push, alice, clock):
    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    assert phone.answer(prompt, "report") == "reported"
    assert "reported" in push.verify(alice.id, source=SRC).message
    clock.advance(minutes=10)
    with pytest.raises(Exception, match="paused"):
        push.begin(alice.id, source=SRC)
    subjects = [m.subject for m in recent_outbox(services.db, services.box, account_id=alice.id)]
    assert "A sign-in prompt was reported as not you" in subjects


@pytest.mark.parametrize("change,code", [
    ({"stamp": 1}, "stale_timestamp"),
    ({"sign": "AAAA"}, "bad_signature"),
    ({"nonce": "short"}, "bad_nonce"),
])
def test_bad_requests_are_refused(push, alice, change, code):
    phone = Phone(push, alice.id)
    with pytest.raises(PushRefused) as refused:
        phone.request("GET", "/v1/prompts", **change)
    assert refused.value.code == code and refused.value.status == 401


def test_a_nonce_is_accepted_once_and_a_removed_device_is_refused(push, alice):
    phone = Phone(push, alice.id)
    nonce = proto.b64u(secrets.token_bytes(16))
    phone.request("GET", "/v1/prompts", nonce=nonce)
    with pytest.raises(PushRefused, match="replay"):
        phone.request("GET", "/v1/prompts", nonce=nonce)
    push.remove_device(alice.id, phone.id, source=SRC)
    with pytest.raises(PushRefused) as gone:
        phone.request("GET", "/v1/prompts")
    assert gone.value.code == "device_removed"


def test_a_pairing_code_works_once_and_expires(push, alice, clock):
    offer = push.start_pairing(alice.id, API)
    key = Device("ed25519")
    push.device_side.pair(offer.code, "Pixel", "ed25519", key.public, source="phone")
    with pytest.raises(PushRefused) as again:
        push.device_side.pair(offer.code, "Pixel", "ed25519", key.public, source="phone")
    assert again.value.code == "pairing_code_invalid"
    late = push.start_pairing(alice.id, API)
    clock.advance(minutes=11)
    with pytest.raises(PushRefused, match="not valid"):
        push.device_side.pair(late.code, "Pixel", "ed25519", key.public, source="phone")


def test_one_pending_prompt_growing_waits_and_an_hourly_cap(push, alice, clock):
    Phone(push, alice.id)
    first = push.send(alice.id, source=SRC)
    assert push.send(alice.id, source=SRC).id == first.id  # the same prompt while it waits
    clock.advance(seconds=61)
    assert push.verify(alice.id, source=SRC).reason is Reason.EXPIRED
    with pytest.raises(Exception, match="send another in 4 seconds|send another in 5 seconds"):
        push.send(alice.id, source=SRC)
    sent = 1
    while sent < HOURLY_CAP:
        clock.advance(minutes=5, seconds=1)
        push.send(alice.id, source=SRC, again=True)
        sent += 1
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(Exception, match="prompts were sent in the last hour|send another"):
        push.send(alice.id, source=SRC, again=True)


def test_no_device_means_no_prompt_and_says_so(push, alice):
    with pytest.raises(Exception, match="No paired device can answer"):
        push.begin(alice.id, source=SRC)


def test_the_test_prompt_approved_turns_the_method_on(services, push, alice):
    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC, purpose="test")
    (prompt,) = phone.prompts()
    phone.answer(prompt, "approve", push.prompt(alice.id).number)
    assert push.confirm(alice.id, source=SRC).ok
    assert services.accounts.get_by_id(alice.id).method("push").enabled


def test_every_api_host_shares_the_server_key(services, push, alice):
    from secconsole.core.methods.push import MobilePrompts

    other = MobilePrompts(services.way("totp").ctx)
    assert other.keys.get().public == push.keys.get().public


def test_a_device_reads_itself_turns_prompts_off_and_signs_itself_out(services, push, alice):
    phone = Phone(push, alice.id)
    side = push.device_side
    info = side.info(phone.request("GET", "/v1/device"))
    assert info["device_id"] == phone.id and info["account"] == "alice" and info["name"] == "Pixel 8"
    assert info["notifications"] is True and info["paused"] is False and isinstance(info["paired"], int)
    assert side.set_notifications(phone.request("POST", "/v1/device"), False)["notifications"] is False
    with pytest.raises(Exception, match="No paired device can answer"):
        push.begin(alice.id, source=SRC)
    with pytest.raises(PushRefused) as bad:
        side.set_notifications(phone.request("POST", "/v1/device"), "no")
    assert bad.value.status == 400
    polling = phone.request("GET", "/v1/prompts?wait=25")
    side.unpair(phone.request("DELETE", "/v1/device"), source="phone")
    with pytest.raises(PushRefused) as removed:  # a long poll that began before the removal
        side.prompts(polling)
    assert removed.value.code == "device_removed"
    assert push.devices(alice.id) == []
    with pytest.raises(PushRefused) as gone:
        phone.request("GET", "/v1/device")
    assert gone.value.code == "device_removed"
    subjects = [m.subject for m in recent_outbox(services.db, services.box, account_id=alice.id)]
    assert "A device was removed from mobile app prompts" in subjects


def test_a_reported_prompt_shows_the_device_paused(push, alice):
    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    phone.answer(prompt, "report")
    assert push.device_side.info(phone.request("GET", "/v1/device"))["paused"] is True


def test_the_api_url_is_kept_for_pairing_links_and_services_share_one_push(services, push):
    assert push.api_url() is None
    push.set_api_url("https://push.example")
    push.set_api_url("https://push.example:8443")
    assert services.push().api_url() == "https://push.example:8443"
    assert services.push() is services.push()


def test_a_prompt_names_the_consoles_host_by_default(push, alice):
    import socket

    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    assert prompt["host"] == socket.gethostname()


def test_refusals_over_the_cap_are_counted_and_the_next_minute_says_how_many(services, push, alice, clock):
    from secconsole.core.methods.push import REFUSALS_AUDITED

    phone = Phone(push, alice.id)
    for _ in range(REFUSALS_AUDITED + 5):
        with pytest.raises(PushRefused):
            phone.request("GET", "/v1/prompts", sign="forged")
    refused = [e for e in services.accounts.recent_events("alice") if e.kind == "push.refused"]
    assert len(refused) == REFUSALS_AUDITED and "unlisted" not in refused[0].detail
    clock.advance(seconds=61)
    with pytest.raises(PushRefused):
        phone.request("GET", "/v1/prompts", sign="forged")
    newest = services.accounts.recent_events("alice")[0]
    assert (newest.kind, newest.detail["unlisted"], newest.source) == ("push.refused", 5, "phone")


def test_pairing_tries_are_forgotten_a_minute_after_the_last(push, alice, clock):
    key = Device("ed25519")
    for _ in range(10):
        with pytest.raises(PushRefused, match="not valid"):
            push.device_side.pair("0000-0000-0000", "Pixel", "ed25519", key.public, source="app 192.0.2.1")
    clock.advance(seconds=59)
    with pytest.raises(PushRefused) as limited:
        push.device_side.pair("0000-0000-0000", "Pixel", "ed25519", key.public, source="app 192.0.2.1")
    assert (limited.value.status, limited.value.code) == (429, "too_many_requests")
    assert "1 s" in str(limited.value)
    clock.advance(seconds=1)
    for _ in range(10):  # ten again, not one a minute
        with pytest.raises(PushRefused, match="not valid"):
            push.device_side.pair("0000-0000-0000", "Pixel", "ed25519", key.public, source="app 192.0.2.1")


def _required(services, name: str = "alice") -> bool:
    return services.accounts.get(name).password_change_required


def test_a_report_requires_a_password_change_with_the_decision(services, push, alice):
    """"It wasn't me": the decision, the requirement and its audit event are written together."""
    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    assert not _required(services)
    assert phone.answer(prompt, "report") == "reported"
    assert _required(services)
    kinds = [e.kind for e in services.accounts.recent_events("alice")]
    assert "password.change_required" in kinds and "push.reported" in kinds


def test_a_report_that_cannot_commit_leaves_neither_the_decision_nor_the_requirement(services, push, alice):
    """A failure at the requirement's audit row undoes the whole answer: one transaction."""
    import sqlalchemy as sa

    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    engine = services.db.engine

    def fail(conn, cursor, statement, params, context, executemany):
        if "audit" in statement.lower() and "password.change_required" in repr(params):
            raise RuntimeError("disk gone at the requirement's audit row")

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(Exception, match="disk gone"):
            phone.answer(prompt, "report")
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)
    assert not _required(services)
    assert push.verify(alice.id, source=SRC).reason is Reason.PENDING  # the prompt is still undecided


def test_deny_and_approve_do_not_require_a_password_change(services, push, alice, clock):
    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    assert phone.deny() == "denied"
    clock.advance(minutes=1)
    push.begin(alice.id, source=SRC)
    assert phone.approve(push.prompt(alice.id).number) == "approved"
    assert not _required(services)


def test_signing_in_another_way_meets_the_requirement_and_changing_the_password_clears_it(services, push, alice,
                                                                                         clock):
    """The sign-in that would lift the pause carries the requirement; prompts stay paused until the
    password is changed, in the change's own transaction (audited with it)."""
    from secconsole.core.views import SignInOutcome

    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    phone.answer(prompt, "report")
    clock.advance(minutes=1)
    result = services.signin.sign_in("alice", STRONG, source=SRC)
    assert result.outcome is SignInOutcome.OK and result.account.password_change_required
    with pytest.raises(Exception, match="paused"):
        push.begin(alice.id, source=SRC)  # signed in, but the password is the one that leaked
    new = STRONG + "-renewed"
    view = services.passwords.change_password(alice.id, STRONG, new, source=SRC)
    assert not view.password_change_required and not _required(services)
    changed = [e for e in services.accounts.recent_events("alice") if e.kind == "password.changed"]
    assert changed and changed[0].detail.get("was_required") is True
    clock.advance(minutes=1)
    push.begin(alice.id, source=SRC)  # prompts are back on
    assert push.prompt(alice.id).status == "pending"


def test_a_refused_password_change_keeps_the_requirement(services, push, alice):
    phone = Phone(push, alice.id)
    push.begin(alice.id, source=SRC)
    (prompt,) = phone.prompts()
    phone.answer(prompt, "report")
    with pytest.raises(Exception):
        services.passwords.change_password(alice.id, "not the password", STRONG + "-renewed", source=SRC)
    with pytest.raises(Exception):
        services.passwords.change_password(alice.id, STRONG, STRONG, source=SRC)  # the same one again
    assert _required(services)
