"""The platform's retention defaults, one per category, each with its bounds and the reason for it."""

from datetime import timedelta

from django.db import migrations

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
MONTH = timedelta(days=30)

DEFAULTS = [
    # category, max_age, min_age, max_age_bound, action, enabled, tenant_may_override, description
    ("transient_image", HOUR, timedelta(minutes=5), HOUR, "delete", True, True,
     "Uploaded images waiting for their search. Each is deleted as soon as its job ends; this rule is the "
     "backstop for jobs that never end. One hour at most: a tenant may shorten it, never lengthen it."),
    ("retained_image", 30 * DAY, HOUR, 365 * DAY, "delete", True, True,
     "Cleaned images a tenant chose to keep (off by default). 30 days, adjustable from one hour to a year."),
    ("search_description", 30 * DAY, HOUR, 365 * DAY, "delete", True, True,
     "What a member typed as context and what the vision model said about the image. Deleted with the job "
     "after 30 days; a tenant may instead anonymise (blank both, keep the job's status and timings), "
     "between one hour and a year."),
    ("search_result", 30 * DAY, HOUR, 365 * DAY, "delete", True, True,
     "Documents a search matched. Same lifetime as the description they were found from: 30 days, "
     "adjustable from one hour to a year."),
    ("usage_event", 395 * DAY, 30 * DAY, 25 * MONTH, "delete", True, True,
     "That a search happened (tenant, time, provider, latency) - never what was searched. Kept 13 months so a "
     "year can be compared with the last; between 30 days and 25 months."),
    ("export_archive", HOUR, timedelta(minutes=5), HOUR, "delete", True, True,
     "A data subject's export archive. Its link dies after an hour, so does the archive; never longer."),
    ("request_record", 730 * DAY, 730 * DAY, 1095 * DAY, "delete", True, True,
     "Data-subject request records (kind, dates, outcome; the e-mail is blanked by erasure). CCPA regs 7101 "
     "require at least 24 months, counted from the answer; open requests never expire."),
    ("audit_event", 7 * 365 * DAY, 365 * DAY, None, "delete", False, False,
     "The hash-chained audit log is evidence: kept for ever by default (disabled). Only the operator may "
     "switch pruning on; it then removes the oldest rows as one prefix of the chain and moves the chain's "
     "anchor, stopping at any tenant under a legal hold."),
    ("support_session", 90 * DAY, 30 * DAY, 730 * DAY, "delete", True, True,
     "Support access requests and their grants, after they ended. 90 days, between 30 days and two years."),
]


def create(apps, schema_editor):
    Policy = apps.get_model("governance", "RetentionPolicy")
    for category, max_age, min_age, bound, action, enabled, override, description in DEFAULTS:
        Policy.objects.update_or_create(
            category=category,
            defaults=dict(
                max_age=max_age,
                min_age=min_age,
                max_age_bound=bound,
                action=action,
                enabled=enabled,
                tenant_may_override=override,
                description=description,
            ),
        )


def remove(apps, schema_editor):
    apps.get_model("governance", "RetentionPolicy").objects.filter(category__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0004_first_terms_version")]
    operations = [migrations.RunPython(create, remove)]
