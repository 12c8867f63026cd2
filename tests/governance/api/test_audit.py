"""GET /api/v1/audit/{checkpoint,log,events/<id>/proof,consistency,verifier}: tenant admins, their own log only.

The verifier runs as a separate process (no Django) on the files the API hands out."""

import json
import subprocess
import sys

import pytest

from governance import audit

pytestmark = pytest.mark.django_db

VERIFIER = audit.tree.__file__


def _download(actor, url, path):
    response = actor.api.get(url)
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content) if response.streaming else response.content
    path.write_bytes(body)
    return path


def verify(*args):
    """The downloaded verifier in a fresh interpreter that cannot import the project."""
    return subprocess.run([sys.executable, "-I", *map(str, args)], capture_output=True, text=True, timeout=120)


def test_a_tenant_admin_downloads_checkpoints_log_and_proofs_and_the_verifier_accepts_them(alice, tmp_path):
    first = [audit.record(action="test.one", tenant=alice.tenant, metadata={"n": n}) for n in range(40)]
    old = alice.api.get("/api/v1/audit/checkpoint").json()
    (tmp_path / "old.json").write_text(json.dumps(old))
    for n in range(300):
        audit.record(action="test.two", tenant=alice.tenant, metadata={"n": n})
    new = alice.api.get("/api/v1/audit/checkpoint").json()
    assert new["tree_size"] > old["tree_size"] and new["origin"] == old["origin"]
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "key").write_text(new["verifier_key"])
    script = _download(alice, "/api/v1/audit/verifier", tmp_path / "audit_verifier.py")
    log = _download(alice, "/api/v1/audit/log", tmp_path / "log.jsonl")
    inclusion = _download(alice, f"/api/v1/audit/events/{first[7].pk}/proof", tmp_path / "inclusion.json")
    size = f"old={old['tree_size']}&new={new['tree_size']}"
    consistency = _download(alice, f"/api/v1/audit/consistency?{size}", tmp_path / "consistency.json")
    key, old_cp, new_cp = tmp_path / "key", tmp_path / "old.json", tmp_path / "new.json"

    result = verify(script, "--key", key, "--log", log, "--checkpoint", old_cp, "--checkpoint", new_cp)
    assert result.returncode == 0 and result.stdout.startswith("ok:"), result.stdout + result.stderr
    result = verify(script, "--key", key, "--inclusion", inclusion, "--checkpoint", new_cp)
    assert result.returncode == 0, result.stdout + result.stderr
    result = verify(script, "--key", key, "--consistency", consistency, "--checkpoint", old_cp, "--checkpoint", new_cp)
    assert result.returncode == 0, result.stdout + result.stderr

    # An edited line, a dropped line, a swapped pair: each fails with one line saying so.
    lines = log.read_bytes().splitlines(keepends=True)
    edited = lines[:5] + [lines[5].replace(b"test.one", b"test.eno")] + lines[6:]
    for name, body in (("edited", edited), ("dropped", lines[:5] + lines[6:]), ("swapped", lines[:5] + [lines[6], lines[5]] + lines[7:])):
        forged = tmp_path / f"{name}.jsonl"
        forged.write_bytes(b"".join(body))
        result = verify(script, "--key", key, "--log", forged, "--checkpoint", old_cp, "--checkpoint", new_cp)
        assert result.returncode == 1 and result.stdout.startswith("FAILED:"), (name, result.stdout)
        assert len(result.stdout.strip().splitlines()) == 1
    truncated = tmp_path / "truncated.jsonl"
    header = json.loads(lines[0])
    header["size"] -= 1
    truncated.write_bytes(json.dumps(header).encode() + b"\n" + b"".join(lines[1:-1]))
    result = verify(script, "--key", key, "--log", truncated, "--checkpoint", new_cp)
    assert result.returncode == 1 and "removed" in result.stdout
    # A checkpoint whose signed text was altered is refused.
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps({**new, "checkpoint": new["checkpoint"].replace(f"\n{new['tree_size']}\n", "\n1\n", 1)}))
    result = verify(script, "--key", key, "--checkpoint", altered)
    assert result.returncode == 1 and "signature" in result.stdout


def test_members_and_other_tenants_admins_get_nothing(alice, bob, charlie):
    event = audit.record(action="test.acme", tenant=alice.tenant)
    audit.record(action="test.globex", tenant=charlie.tenant)
    acme = alice.api.get("/api/v1/audit/checkpoint").json()
    assert bob.api.get("/api/v1/audit/checkpoint").status_code == 403
    assert bob.api.get("/api/v1/audit/log").status_code == 403
    assert bob.api.get(f"/api/v1/audit/events/{event.pk}/proof").status_code == 403
    # charlie's key reaches globex's log only: acme's event is a 404, its checkpoint another origin.
    assert charlie.api.get(f"/api/v1/audit/events/{event.pk}/proof").status_code == 404
    globex = charlie.api.get("/api/v1/audit/checkpoint").json()
    assert globex["origin"] != acme["origin"]
    body = b"".join(charlie.api.get("/api/v1/audit/log").streaming_content)
    assert b"test.acme" not in body and b"test.globex" in body
    assert charlie.api.get(f"/api/v1/audit/checkpoint?size={acme['tree_size'] + 50}").status_code == 404


def test_bad_sizes_get_a_stable_code(alice):
    audit.record(action="test.one", tenant=alice.tenant)
    alice.api.get("/api/v1/audit/checkpoint")
    response = alice.api.get("/api/v1/audit/consistency?old=5&new=2")
    assert response.status_code == 400 and response.json()["code"] == "invalid_size"
    assert alice.api.get("/api/v1/audit/checkpoint?size=abc").json()["code"] == "invalid_size"
