"""The installable web app through HTTP: the service worker's script and a booking's .ics."""

from __future__ import annotations

import re

from app.web.offline_api import SHELL_PAGES
from tests.conftest import Env
from tests.helpers import add_mentor, add_staff, bearer, error_code, sign_up, staff_token


async def test_the_service_worker_keeps_the_shell_and_nothing_personal(env: Env) -> None:
    r = await env.http.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    body = r.text
    assert "__VERSION__" not in body and "__SHELL__" not in body
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', body)
    shell = re.search(r"const SHELL = (\[.*?\]);", body)
    assert shell is not None
    for page in SHELL_PAGES:
        assert f'"{page}"' in shell.group(1)
    assert '"/assets/help.js"' in shell.group(1) and '"/assets/img/icon-192.png"' in shell.group(1)
    assert "/admin/" not in shell.group(1) and "/api/" not in shell.group(1)
    assert '"/api/help?audience=child"' in body
    # Every file it promises is served.
    for path in re.findall(r'"(/[^"]*)"', shell.group(1)):
        assert (await env.http.get(path)).status_code == 200, path
    for face in ("/child/manifest.json", "/manifest.json", "/mentor/manifest.json"):
        manifest = (await env.http.get(face)).json()
        assert manifest["display"] == "standalone"
        assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}


async def test_a_booking_as_a_neutral_calendar_event(env: Env) -> None:
    mentor = await add_mentor(env.ctx, "ひかり")
    token = await sign_up(env.http, "こぐま")
    made = await env.http.post(
        "/api/bookings",
        json={"mentor_id": mentor, "start": "2026-12-02T17:30:00+09:00"},
        headers=bearer(token),
    )
    cid = made.json()["consultation"]["id"]
    r = await env.http.get(f"/api/bookings/{cid}/calendar.ics?lang=ja", headers=bearer(token))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    assert 'filename="event.ics"' in r.headers["content-disposition"]
    ics = r.text
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261202T083000Z\r\n" in ics and "DTEND:20261202T090000Z\r\n" in ics
    assert "SUMMARY:よてい\r\n" in ics and "TRIGGER:-PT10M\r\n" in ics
    # Nothing names the service, the mentor or the consultation's number.
    for word in ("ひかり", "よりそい", "Yorisoi", "yorisoi", "こぐま", f"{cid}@"):
        assert word not in ics
    english = await env.http.get(f"/api/bookings/{cid}/calendar.ics?lang=en", headers=bearer(token))
    assert "SUMMARY:Appointment\r\n" in english.text

    other = await sign_up(env.http, "きつね")
    theirs = await env.http.get(f"/api/bookings/{cid}/calendar.ics", headers=bearer(other))
    assert theirs.status_code == 404 and error_code(theirs) == "not_found"
    await add_staff(env.ctx, "hq", "hq-password-long", role="supervisor")
    staff = await staff_token(env.http, "hq", "hq-password-long")
    refused = await env.http.get(f"/api/bookings/{cid}/calendar.ics", headers=bearer(staff))
    assert refused.status_code == 403 and error_code(refused) == "not_allowed"
    anonymous = await env.http.get(f"/api/bookings/{cid}/calendar.ics")
    assert anonymous.status_code == 401
    bad_lang = await env.http.get(
        f"/api/bookings/{cid}/calendar.ics?lang=xx", headers=bearer(token)
    )
    assert bad_lang.status_code == 400 and bad_lang.json()["error"]["field"] == "lang"

    await env.http.delete(f"/api/bookings/{cid}", headers=bearer(token))
    gone = await env.http.get(f"/api/bookings/{cid}/calendar.ics", headers=bearer(token))
    assert gone.status_code == 404
