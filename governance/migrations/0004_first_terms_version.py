"""The first generative-AI terms version ships with the product, published, naming Google (Gemini),
OpenAI and Anthropic — as IPRally's terms do, so later features need no new consent round."""

from datetime import datetime, timezone

from django.db import migrations

VERSION = "1.0"
PUBLISHED_AT = datetime(2026, 11, 23, tzinfo=timezone.utc)

TEXT = """Sightguard generative-AI terms, version 1.0

1. What these terms cover
Image search describes an image with a generative-AI vision model run by a third party (a
subprocessor named below), then searches your organisation's documents with that description.
Nothing is sent to a subprocessor until an admin of your organisation has accepted these terms.
Your admin can revoke this consent at any time; from that moment no image is sent, and searches
waiting in the queue are cancelled and their images deleted.

2. What is sent
For each search we send the subprocessor: the image, cleaned of its metadata (EXIF including GPS
position, XMP, IPTC, comments, embedded thumbnails), the optional context text the searcher typed,
and our own instructions for describing the image. We do not send who searched, your e-mail
address, your organisation's name, file names, tags, comments or anything else you have stored
with us.

3. What the subprocessor does with it
The model generates a description of the image. Under its terms with us the subprocessor does not
use the image or the context to train its models and claims no ownership of them. It may retain
them for a limited period for legal and abuse-monitoring purposes and uses them for nothing else.

4. What we keep
The image is deleted as soon as its search ends, whatever the end. We keep the description and
the results for the period your retention rules set. Usage statistics record that a search
happened, when, with which provider, whether context was given and how long it took; never what
was searched.

5. Subprocessors
The subprocessors listed with this version are the companies whose models may describe your
images: Google (Gemini) is the one in use; OpenAI and Anthropic are named so that features based
on their models can be offered without a new consent round. Review their security procedures at
https://cloud.google.com/terms/service-terms, https://trust.openai.com/ and
https://trust.anthropic.com/.

6. Changes
When a new version changes what is sent or to whom, it requires re-acceptance: searches stop
until an admin of your organisation accepts the new version.
"""

SUBPROCESSORS = [
    ("gemini", "Google", "Gemini", "Describes images for image search.", "https://cloud.google.com/terms/service-terms"),
    ("openai", "OpenAI", "OpenAI API", "Named for future image-search features.", "https://trust.openai.com/"),
    ("anthropic", "Anthropic", "Claude API", "Named for future image-search features.", "https://trust.anthropic.com/"),
]


def ship_first_version(apps, schema_editor):
    TermsVersion = apps.get_model("governance", "TermsVersion")
    Subprocessor = apps.get_model("governance", "Subprocessor")
    if TermsVersion.objects.filter(version=VERSION).exists():
        return
    terms = TermsVersion.objects.create(
        version=VERSION, text=TEXT, requires_reacceptance=True, published_at=PUBLISHED_AT, created_at=PUBLISHED_AT
    )
    for key, company, service, purpose, url in SUBPROCESSORS:
        Subprocessor.objects.create(
            terms=terms, provider_key=key, company=company, service=service, purpose=purpose, trust_url=url
        )


def withdraw_first_version(apps, schema_editor):
    TermsVersion = apps.get_model("governance", "TermsVersion")
    ConsentRecord = apps.get_model("governance", "ConsentRecord")
    terms = TermsVersion.objects.filter(version=VERSION).first()
    if terms is not None and not ConsentRecord.objects.filter(terms=terms).exists():
        terms.subprocessors.all().delete()
        terms.delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_consent_evidence_guard")]

    operations = [migrations.RunPython(ship_first_version, withdraw_first_version)]
