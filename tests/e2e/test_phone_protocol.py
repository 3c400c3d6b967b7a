"""The phone app's protocol client and profile against a real `secconsole serve-api` process, on
SQLite and PostgreSQL: the console's side (pairing codes, prompts, their verdict) goes through the
core in this process, on the same database, as a console would."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from push_helpers import ApiProcess, alice, api, push  # noqa: F401 (fixtures)
from secconsole.core.clock import ManualClock, SystemClock
from secconsole.core.delivery import recent_outbox
from secconsole.core.methods.base import Reason
from secconsole.errors import ValidationError
from secconsole.phone.client import PhoneError, PushClient, parse_pairing
from secconsole.phone.profile import Profile

SRC = "test"


@pytest.fixture
def clock():
    """The console's clock: the real time (the API process has no other)."""
    return ManualClock(datetime.now(timezone.utc))


@pytest.fixture
async def client():
    async with PushClient(SystemClock()) as c:
        yield c


@pytest.fixture
def profiles(tmp_path):
    opened = []

    def make(name: str = "phone") -> Profile:
        opened.append(Profile.open(tmp_path / "profiles" / f"{name}.json"))
        return opened[-1]

    yield make
    for p in opened:
        p.close()


async def pair(client, profile, push, account, api, *, link=True):
    offer = push.start_pairing(account.id, api.url)
    url, code = parse_pairing(offer.link) if link else parse_pairing(offer.grouped.lower(), api.url)
    paired = await client.pair(url, code, profile.device_name)
    profile.keep(paired)
    profile.save()
    return paired


async def the_prompt(client, account):
    prompts, bad = await client.prompts(account, wait=5)
    assert bad == 0 and len(prompts) == 1, (prompts, bad)
    return prompts[0]


async def test_pair_from_the_link_and_approve_with_the_right_number(push, alice, api, client, profiles):
    phone = profiles()
    paired = await pair(client, phone, push, alice, api)
    assert (paired.name, paired.url) == ("alice", api.url) and paired.signed_in
    again = Profile._load(phone.path)  # what is on disk: the account, its key and the server's key
    assert again.accounts[0] == paired
    push.begin(alice.id, source="ssh 203.0.113.9", host="console.example")
    shown = push.prompt(alice.id).number
    prompt = await the_prompt(client, paired)
    assert (prompt.account, prompt.source, prompt.host, prompt.entry) == ("alice", "ssh 203.0.113.9",
                                                                         "console.example", "pick")
    assert shown in prompt.numbers and prompt.what == "Sign-in request"
    assert push.verify(alice.id, source=SRC).reason is Reason.PENDING
    assert await client.answer(prompt, "approve", shown) == "approved"
    assert push.verify(alice.id, source=SRC).ok
    with pytest.raises(PhoneError) as late:
        await client.answer(prompt, "approve", shown)
    assert late.value.code == "already_decided" and "Another device" in str(late.value)


async def test_pair_from_a_typed_code_and_a_wrong_pick_is_a_denial(push, alice, api, client, profiles):
    paired = await pair(client, profiles(), push, alice, api, link=False)
    push.begin(alice.id, source=SRC, purpose="step-up", for_what="Payments")
    shown = push.prompt(alice.id).number
    prompt = await the_prompt(client, paired)
    assert prompt.what == "Confirm it's you for Payments"
    wrong = next(n for n in prompt.numbers if n != shown)
    assert await client.answer(prompt, "approve", wrong) == "denied"
    result = push.verify(alice.id, source=SRC)
    assert not result.ok and "Denied" in result.message


async def test_deny_and_it_wasnt_me(services, push, alice, api, client, profiles, clock):
    paired = await pair(client, profiles(), push, alice, api)
    push.begin(alice.id, source=SRC)
    assert await client.answer(await the_prompt(client, paired), "deny") == "denied"
    assert "Denied" in push.verify(alice.id, source=SRC).message
    clock.set(datetime.now(timezone.utc) + timedelta(seconds=11))  # past the wait after a denial
    push.begin(alice.id, source=SRC, again=True)
    assert await client.answer(await the_prompt(client, paired), "report") == "reported"
    assert (await client.device(paired))["paused"] is True
    subjects = [m.subject for m in recent_outbox(services.db, services.box, account_id=alice.id)]
    assert "A sign-in prompt was reported as not you" in subjects


async def test_a_phone_and_a_tablet_on_one_account_either_answers_exactly_one_counts(push, alice, api, client,
                                                                                   profiles):
    phone, tablet = profiles("phone"), profiles("tablet")
    on_phone = await pair(client, phone, push, alice, api)
    on_tablet = await pair(client, tablet, push, alice, api)
    assert on_phone.device_id != on_tablet.device_id and on_phone.key != on_tablet.key
    push.begin(alice.id, source=SRC)
    shown = push.prompt(alice.id).number
    a, b = await the_prompt(client, on_phone), await the_prompt(client, on_tablet)
    assert a.id == b.id
    results = await asyncio.gather(client.answer(a, "approve", shown), client.answer(b, "approve", shown),
                                   return_exceptions=True)
    assert sorted(map(str, results)) == sorted(["approved", MESSAGE_ALREADY])
    assert push.verify(alice.id, source=SRC).ok


MESSAGE_ALREADY = "Another device answered this prompt first."


async def test_signing_out_forgets_the_keys_and_no_prompt_arrives(push, alice, api, client, profiles):
    phone = profiles()
    paired = await pair(client, phone, push, alice, api)
    kept = Profile._load(phone.path).accounts[0]  # a copy of the keys, as an attacker holding the file would
    await client.sign_out(paired)
    phone.save()
    assert not paired.signed_in and Profile._load(phone.path).accounts[0].key == ""
    assert push.devices(alice.id) == []
    with pytest.raises(ValidationError, match="No paired device"):
        push.begin(alice.id, source=SRC)
    with pytest.raises(PhoneError) as removed:
        await client.device(kept)
    assert removed.value.code == "device_removed" and "pair again" in str(removed.value)
    again = await pair(client, phone, push, alice, api)  # sign in again = pair again
    assert again.signed_in and len(phone.accounts) == 1


async def test_notifications_off_no_prompt_arrives_and_on_again_it_does(push, alice, api, client, profiles):
    paired = await pair(client, profiles(), push, alice, api)
    assert (await client.set_notifications(paired, False))["notifications"] is False
    with pytest.raises(ValidationError, match="notifications off"):
        push.begin(alice.id, source=SRC)
    await client.set_notifications(paired, True)
    push.begin(alice.id, source=SRC)
    assert (await the_prompt(client, paired)).account == "alice"


async def test_a_prompt_not_signed_by_the_servers_key_is_refused(push, alice, api, client, profiles):
    from secconsole.core.push_protocol import ServerKey

    paired = await pair(client, profiles(), push, alice, api)
    paired.server_key = ServerKey.new().public  # the phone trusts another key than the one that signs
    push.begin(alice.id, source=SRC)
    prompts, bad = await client.prompts(paired, wait=5)
    assert prompts == [] and bad == 1


async def test_refusals_become_sentences(push, alice, api, client, profiles):
    offer = push.start_pairing(alice.id, api.url)
    url, code = parse_pairing(offer.link)
    await client.pair(url, code, "Pixel")
    with pytest.raises(PhoneError) as used:
        await client.pair(url, code, "Pixel")
    assert used.value.code == "pairing_code_invalid" and "expired" in str(used.value)
    paired = await pair(client, profiles(), push, alice, api)
    async with PushClient(ManualClock(datetime.now(timezone.utc) - timedelta(minutes=5))) as off:
        with pytest.raises(PhoneError) as stale:
            await off.device(paired)
    assert stale.value.code == "stale_timestamp" and "clock" in str(stale.value)
    push.remove_device(alice.id, paired.device_id, source=SRC)
    with pytest.raises(PhoneError) as removed:
        await client.prompts(paired)
    assert removed.value.code == "device_removed"
    for _ in range(11):
        with pytest.raises(PhoneError) as limited:
            await client.pair(api.url, "0000-0000-0000", "Pixel")
    assert limited.value.code == "too_many_requests" and "wait a minute" in str(limited.value)


async def test_an_unreachable_server_is_said_plainly(client, profiles):
    with pytest.raises(PhoneError, match="Cannot reach http://127.0.0.1:9"):
        await client.pair("http://127.0.0.1:9", "0000-0000-0000", "Pixel")


async def test_a_server_answering_nonsense_is_a_sentence_not_a_crash(client):
    """A reply that is JSON but not the protocol's (a proxy, another service, a hostile server)."""
    from aiohttp import web

    from secconsole.phone.client import _new_key
    from secconsole.phone.profile import Account

    async def nonsense(request):
        return web.json_response({"prompts": 5})

    app = web.Application()
    app.router.add_get("/v1/prompts", nonsense)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        private, _ = _new_key()
        account = Account("alice", f"http://127.0.0.1:{port}", device_id="d1", server_key="", key=private)
        with pytest.raises(PhoneError, match="cannot read"):
            await client.prompts(account)
    finally:
        await runner.cleanup()
