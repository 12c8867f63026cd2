"""governance.consent: terms versions, acceptance, revocation, re-acceptance, immutability."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance import consent
from governance.errors import SightguardError
from governance.models import (
    AuditEvent,
    ConsentRecord,
    ConsentRevocation,
    Subprocessor,
    TermsVersion,
)

pytestmark = pytest.mark.django_db


def new_version(version, providers=("gemini", "openai", "anthropic"), *, requires_reacceptance=True, publish=True, actor=None):
    terms = TermsVersion.objects.create(version=version, text=f"Terms {version}.", requires_reacceptance=requires_reacceptance)
    for key in providers:
        Subprocessor.objects.create(terms=terms, provider_key=key, company=key.title(), service=key)
    if publish:
        consent.publish(terms=terms, actor=actor)
    return terms


def test_the_first_version_ships_published_and_names_google_openai_anthropic():
    terms = consent.current_terms()
    assert terms.version == "1.0"
    assert terms.published_at is not None and terms.requires_reacceptance
    named = {(s.provider_key, s.company) for s in terms.subprocessors.all()}
    assert named == {("gemini", "Google"), ("openai", "OpenAI"), ("anthropic", "Anthropic")}
    assert "Gemini" in terms.text and "OpenAI" in terms.text and "Anthropic" in terms.text


def test_without_acceptance_nothing_is_covered_and_the_refusal_names_the_version(acme):
    status = consent.consent_status(tenant=acme)
    assert (status.status, status.current_version, status.providers) == ("not_accepted", "1.0", frozenset())
    with pytest.raises(SightguardError) as refused:
        consent.require_consent(tenant=acme, provider_key="gemini")
    assert (refused.value.code, refused.value.status) == ("consent_required", 403)
    assert refused.value.extra["version"] == "1.0" and "1.0" in refused.value.detail
    consent.require_consent(tenant=acme, provider_key=None)  # the offline provider needs none


def test_a_tenant_admin_accepts_the_current_version(alice):
    record = consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    assert (record.tenant, record.terms.version, record.accepted_by) == (alice.tenant, "1.0", alice.user)
    status = consent.consent_status(tenant=alice.tenant)
    assert status.status == "accepted" and status.provider_list == ["anthropic", "gemini", "openai"]
    assert status.accepted_version == "1.0" and status.accepted_at == record.accepted_at
    consent.require_consent(tenant=alice.tenant, provider_key="gemini")
    event = AuditEvent.objects.filter(action="consent.accepted").get()
    assert (event.tenant_id, event.actor, event.target_id) == (alice.tenant.pk, f"user:{alice.user.pk}", str(record.pk))
    assert event.metadata == {"version": "1.0", "providers": ["anthropic", "gemini", "openai"]}


def test_accepting_what_is_in_force_again_changes_nothing(alice):
    first = consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    assert consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user) == first
    assert ConsentRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="consent.accepted").count() == 1


@pytest.mark.parametrize("version", ["0.9", "2.0", "", "1.0 "])
def test_only_the_current_version_can_be_accepted(alice, version):
    new_version("2.0", publish=False)  # a draft is not current either
    with pytest.raises(SightguardError) as refused:
        consent.accept(tenant=alice.tenant, version=version, actor=alice.user)
    assert (refused.value.code, refused.value.status, refused.value.extra["version"]) == (
        "terms_version_not_current", 409, "1.0")
    assert not ConsentRecord.objects.exists()


def test_members_and_other_tenants_admins_cannot_accept_or_revoke(alice, bob, charlie):
    for outsider in (bob, charlie):
        with pytest.raises(SightguardError) as refused:
            consent.accept(tenant=alice.tenant, version="1.0", actor=outsider.user)
        assert (refused.value.code, refused.value.status) == ("tenant_admin_required", 403)
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    for outsider in (bob, charlie):
        with pytest.raises(SightguardError):
            consent.revoke(tenant=alice.tenant, actor=outsider.user)
    assert ConsentRecord.objects.count() == 1 and not ConsentRevocation.objects.exists()


def test_consent_belongs_to_one_tenant(alice, charlie):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    assert consent.consent_status(tenant=charlie.tenant).status == "not_accepted"
    with pytest.raises(SightguardError):
        consent.require_consent(tenant=charlie.tenant, provider_key="gemini")


def test_revocation_records_who_and_when_and_covers_nothing(alice):
    record = consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    before = timezone.now()
    revocation = consent.revoke(tenant=alice.tenant, actor=alice.user)
    assert (revocation.record, revocation.revoked_by, revocation.tenant) == (record, alice.user, alice.tenant)
    assert revocation.revoked_at >= before
    status = consent.consent_status(tenant=alice.tenant)
    assert (status.status, status.providers, status.accepted_version) == ("revoked", frozenset(), None)
    assert consent.withdrawn(tenant=alice.tenant, provider_key="gemini") == "consent_revoked"
    event = AuditEvent.objects.filter(action="consent.revoked").get()
    assert event.metadata == {"version": "1.0"} and event.actor == f"user:{alice.user.pk}"
    with pytest.raises(SightguardError) as again:
        consent.revoke(tenant=alice.tenant, actor=alice.user)
    assert again.value.code == "no_active_consent"
    # Accepting again after a revocation is a new record; the old evidence stays.
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    assert consent.consent_status(tenant=alice.tenant).status == "accepted"
    assert ConsentRecord.objects.count() == 2


def test_a_version_requiring_reacceptance_blocks_until_accepted(alice):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    new_version("2.0", ("gemini",))
    status = consent.consent_status(tenant=alice.tenant)
    assert (status.status, status.current_version, status.accepted_version) == ("reacceptance_required", "2.0", "1.0")
    with pytest.raises(SightguardError) as refused:
        consent.require_consent(tenant=alice.tenant, provider_key="gemini")
    assert refused.value.extra["version"] == "2.0"
    assert consent.withdrawn(tenant=alice.tenant, provider_key="gemini") == "consent_required"
    consent.accept(tenant=alice.tenant, version="2.0", actor=alice.user)
    assert consent.consent_status(tenant=alice.tenant).provider_list == ["gemini"]


def test_a_version_without_reacceptance_keeps_consent_for_providers_both_name(alice):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    new_version("1.1", ("gemini", "openai"), requires_reacceptance=False)
    status = consent.consent_status(tenant=alice.tenant)
    assert (status.status, status.current_version, status.accepted_version) == ("accepted", "1.1", "1.0")
    assert status.provider_list == ["gemini", "openai"]  # anthropic is no longer a subprocessor
    # ... but a later version that does require re-acceptance ends it, even behind a minor one.
    new_version("1.2", ("gemini", "openai"), requires_reacceptance=False)
    new_version("2.0", ("gemini",), requires_reacceptance=True)
    new_version("2.1", ("gemini",), requires_reacceptance=False)
    assert consent.consent_status(tenant=alice.tenant).status == "reacceptance_required"


def test_a_version_published_later_does_not_carry_a_provider_the_accepted_one_did_not_name(alice):
    TermsVersion.objects.filter(version="1.0").update(published_at=timezone.now() - timedelta(days=2))
    new_version("0.5-gemini-only", ("gemini",), requires_reacceptance=True)
    consent.accept(tenant=alice.tenant, version="0.5-gemini-only", actor=alice.user)
    new_version("0.6", ("gemini", "openai"), requires_reacceptance=False)
    assert consent.consent_status(tenant=alice.tenant).provider_list == ["gemini"]


def test_consent_evidence_is_immutable_but_its_person_can_be_erased(alice):
    record = consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    revocation = consent.revoke(tenant=alice.tenant, actor=alice.user)
    for row in (record, revocation):
        with pytest.raises(PermissionError):
            row.save()
        with pytest.raises(PermissionError):
            row.delete()
        with pytest.raises(PermissionError):
            type(row).objects.all().delete()
    with pytest.raises(PermissionError):
        ConsentRecord.objects.update(accepted_at=timezone.now())
    with pytest.raises(PermissionError):
        ConsentRecord.objects.update(accepted_by=alice.user)
    # Erasure of the admin's account anonymises the evidence instead of deleting it.
    assert ConsentRecord.objects.update(accepted_by=None) == 1
    assert ConsentRevocation.objects.update(revoked_by=None) == 1
    assert ConsentRecord.objects.get().terms.version == "1.0"


def test_the_data_map_lists_consent_evidence_as_anonymised(alice, globex):
    from governance.datamap import ANONYMISE, DATA_MAP

    for model in (ConsentRecord, ConsentRevocation):
        (entry,) = DATA_MAP.for_model(model)
        assert entry.erasure == ANONYMISE and entry.category == "consent_evidence"
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    (entry,) = DATA_MAP.for_model(ConsentRecord)
    assert not DATA_MAP.rows(entry, tenant_id=globex.pk, subject_index=alice.user.email_index).exists()
    rows = DATA_MAP.rows(entry, tenant_id=alice.tenant.pk, subject_index=alice.user.email_index)
    assert [entry.export(r) for r in rows] == [
        {"tenant": "acme", "version": "1.0", "accepted_at": rows[0].accepted_at.isoformat()}
    ]


def test_published_terms_are_fixed_and_publishing_is_audited(operator):
    terms = new_version("2.0", ("gemini",), publish=False)
    terms.text = "edited while a draft"
    terms.save()
    consent.publish(terms=terms, actor=operator)
    event = AuditEvent.objects.filter(action="terms.published").get()
    assert event.tenant_id is None and event.actor == f"user:{operator.pk}"
    assert event.metadata == {"version": "2.0", "requires_reacceptance": True, "providers": ["gemini"]}
    assert consent.current_terms() == terms
    terms.text = "edited after publication"
    with pytest.raises(PermissionError):
        terms.save()
    with pytest.raises(PermissionError):
        Subprocessor.objects.create(terms=terms, provider_key="openai", company="OpenAI", service="x")
    with pytest.raises(PermissionError):
        terms.delete()
    with pytest.raises(SightguardError) as again:
        consent.publish(terms=terms, actor=operator)
    assert again.value.code == "terms_already_published"


def test_with_no_published_terms_nothing_external_is_allowed(acme):
    TermsVersion.objects.update(published_at=None)
    status = consent.consent_status(tenant=acme)
    assert status.status == "no_terms"
    with pytest.raises(SightguardError) as refused:
        consent.require_consent(tenant=acme, provider_key="gemini")
    assert refused.value.code == "consent_required"


@pytest.mark.skipif(__import__("django.db").db.connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_on_postgresql_a_trigger_refuses_raw_edits_of_consent_evidence(alice):
    from django.db import DatabaseError, connection, transaction

    record = consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    revocation = consent.revoke(tenant=alice.tenant, actor=alice.user)
    for sql, row in [
        ("UPDATE governance_consentrecord SET accepted_at = now() WHERE id = %s", record),
        ("UPDATE governance_consentrecord SET accepted_by_id = NULL, accepted_at = now() WHERE id = %s", record),
        ("UPDATE governance_consentrevocation SET revoked_at = now() WHERE id = %s", revocation),
    ]:
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    with connection.cursor() as cursor:  # erasing the person is the one edit allowed
        cursor.execute("UPDATE governance_consentrecord SET accepted_by_id = NULL WHERE id = %s", [record.pk])
        cursor.execute("UPDATE governance_consentrevocation SET revoked_by_id = NULL WHERE id = %s", [revocation.pk])
    assert ConsentRecord.objects.get().accepted_at == record.accepted_at


def test_deleting_an_admins_account_keeps_the_evidence_without_the_person(alice):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    consent.revoke(tenant=alice.tenant, actor=alice.user)
    alice.user.delete()
    record = ConsentRecord.objects.get()
    assert (record.accepted_by, record.revocation.revoked_by, record.terms.version) == (None, None, "1.0")


def _reference_withdrawn(tenant, key):
    """What withdrawn() must answer: consent_status() decides."""
    status = consent.consent_status(tenant=tenant)
    if status.covers(key):
        return None
    return "consent_revoked" if status.status == "revoked" else "consent_required"


def test_the_workers_consent_check_agrees_with_consent_status_in_every_state(alice, charlie):
    keys = ("gemini", "openai", "anthropic")

    def check():
        for tenant in (alice.tenant, charlie.tenant):
            for key in keys:
                assert consent.withdrawn(tenant=tenant, provider_key=key) == _reference_withdrawn(tenant, key), key
                assert consent.withdrawn(tenant=tenant.pk, provider_key=key) == _reference_withdrawn(tenant, key), key

    check()  # nothing accepted
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    check()  # the current version accepted
    new_version("1.1", ("gemini", "openai"), requires_reacceptance=False)
    check()  # an older version accepted, a minor one since: providers both name
    assert consent.withdrawn(tenant=alice.tenant, provider_key="anthropic") == "consent_required"
    assert consent.withdrawn(tenant=alice.tenant, provider_key="openai") is None
    consent.accept(tenant=alice.tenant, version="1.1", actor=alice.user)
    check()  # the current version, which does not name anthropic
    assert consent.withdrawn(tenant=alice.tenant, provider_key="anthropic") == "consent_required"
    new_version("2.0", ("gemini",), requires_reacceptance=True)
    check()  # re-acceptance required
    consent.accept(tenant=alice.tenant, version="2.0", actor=alice.user)
    consent.revoke(tenant=alice.tenant, actor=alice.user)
    check()  # revoked
    assert consent.withdrawn(tenant=alice.tenant, provider_key="gemini") == "consent_revoked"
    TermsVersion.objects.update(published_at=None)
    check()  # no published terms
    assert consent.withdrawn(tenant=alice.tenant, provider_key=None) is None
