"""Enrolling the box with the hub: `galley edge enrol --hub URL --code CODE`.

The box makes its device key (Ed25519) once and keeps it in the data folder, readable by its
owner only (`sync.signing.DeviceKey.save`: mode 0600, written whole or not at all); the hub binds
its public half to the store the owner made the one-time code for, and the box keeps what the
hub answered (tenant, store, key id, the hub's address) in `sync_state`. The running edge's sync
service picks that up on its next round: enrolling needs no restart.

A key the hub has never accepted is reused by the next try (a hub that was unreachable, a
mistyped code); once the box is enrolled, enrolling again (a revoked key, another store) makes a
new key, as the hub refuses a key it knows. The new key replaces the old only once the hub has
taken it, so a refused code leaves a working enrolment as it was.

Exit codes, a contract with `image/first_boot.py`: 0 enrolled, 2 refused for good (a wrong, used
or expired code: the message says which), 3 the hub could not be reached (try again later), 4
the address is not a Galley hub's (not http(s), or what answered there refused in words no hub
uses: a proxy's or a website's 404): the code may be good, the address is what to fix.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

import httpx

from edge.core import db, identity
from edge.core.config import EdgeSettings
from edge.runtime.hub_client import HubClient, HubRefused, HubUnreachable
from edge.setup.provision import is_set_up, write_once
from sync.envelope import Enrolled, Enrolment
from sync.signing import DeviceKey

ENROLLED, REFUSED, UNREACHABLE, NOT_A_HUB = 0, 2, 3, 4
# The hub's refusals of an enrolment (hub/domain/devices.py): only these are the code's fault.
CODE_REFUSALS = {"unknown_code", "code_used", "code_expired", "key_enrolled"}


@dataclass(frozen=True)
class Outcome:
    status: int  # ENROLLED, REFUSED, UNREACHABLE or NOT_A_HUB
    message: str
    enrolled: Enrolled | None = None


def _key_for_enrolment(settings: EdgeSettings, state: identity.SyncState) -> tuple[DeviceKey, Path]:
    """The key to enrol and its file: the one on disk if the hub never took it, else a new one
    (kept aside in `device_key_next` until the hub takes it)."""
    current, following = settings.device_key, settings.device_key_next
    if current.exists() and not state.enrolled:
        return DeviceKey.load(current), current
    if following.exists():
        return DeviceKey.load(following), following
    key, path = DeviceKey.generate(), following if current.exists() else current
    key.save(path)
    return key, path


async def enrol(
    settings: EdgeSettings,
    hub_url: str,
    code: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Outcome:
    """Enrol this box with the hub at `hub_url` using `code`. A box that holds no store (a
    replacement for a dead one) waits for the store's setup from the hub
    (`identity.await_setup`): it makes no store, tax rate or owner of its own.

    A key the hub says it knows though the box never heard so (the answer of a try was lost:
    a power cut, a cut link) is no use to enrol with again: the box drops it and tries once
    more, at once, with a new one."""
    identity_ = identity.prepare(settings.database)
    with contextlib.closing(db.connect(settings.database, readonly=True)) as conn:
        state = identity.sync_state(conn)
    client = HubClient(hub_url, transport=transport)
    try:
        for attempt in (1, 2):
            key, path = _key_for_enrolment(settings, state)
            enrolment = Enrolment(code.strip().upper(), key.public_pem(), identity_.node)
            try:
                enrolled = await client.enrol(enrolment)
                break
            except HubRefused as error:
                if error.code != "key_enrolled" or attempt == 2:
                    raise
                path.unlink()
    except HubUnreachable as error:
        return Outcome(UNREACHABLE, f"The hub at {hub_url} cannot be reached ({error}).")
    except HubRefused as error:
        if error.code not in CODE_REFUSALS:
            return not_a_hub(hub_url, f"it answered {error.status} {error.message[:80]!r}")
        return Outcome(REFUSED, f"The hub refused the code: {error.message}")
    finally:
        await client.close()
    if settings.device_key_next.exists():
        settings.device_key_next.replace(settings.device_key)
    from_hub = write_once(
        settings.database,
        _bind,
        enrolled.tenant_id,
        enrolled.store_id,
        enrolled.key_id,
        hub_url.rstrip("/"),
    )
    message = f"Enrolled with {hub_url} as {enrolled.store_name!r} (key {enrolled.key_id})."
    if from_hub:
        message += (
            " The box holds no store of its own: it takes this store's setup (settings, menu,"
            " staff and their PINs, tables, printers) from the hub on its first sync, and opens"
            " for trade once it has it."
        )
    return Outcome(ENROLLED, message, enrolled)


def not_a_hub(hub_url: str, why: str) -> Outcome:
    return Outcome(NOT_A_HUB, f"{hub_url} is not a Galley hub ({why}): check the hub's address.")


def _bind(conn, tenant_id: str, store_id: str, key_id: str, hub_url: str) -> bool:
    """Bind the box to the store; True when it holds no store of its own and so takes the
    store's setup from the hub (a replacement box)."""
    identity.enrol(conn, tenant_id=tenant_id, store_id=store_id, key_id=key_id, hub_url=hub_url)
    if is_set_up(conn):
        return False
    identity.await_setup(conn)
    return True


def enrol_now(settings: EdgeSettings, hub_url: str, code: str) -> Outcome:
    return asyncio.run(enrol(settings, hub_url, code))
