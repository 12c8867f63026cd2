"""The information a person is owed with a copy of their data (GDPR Art. 15(1)-(2), CCPA 1798.110),
written for them: per category, what it is, why we hold it, where it came from, who receives it and
how long it is kept (from the live retention rules), and the rights they have.

compliance.export writes it into the archive's index.html and manifest.json. A category without a
text of its own here (one added to the data map later) is still explained, from the data map's
description, with the general purpose.
"""

from dataclasses import dataclass
from datetime import timedelta

from governance.consent import consent_status, current_terms
from governance.datamap import SPECS, Category
from governance.retention.rules import RuleBook


@dataclass(frozen=True)
class Plain:
    title: str
    what: str
    purpose: str
    source: str
    to_providers: bool = False  # sent to the AI vision providers (the sub-processors of the terms)


GENERAL_PURPOSE = "Running the image-search service your organisation uses, and keeping the records the law asks of us."
PLAIN: dict[str, Plain] = {
    Category.ACCOUNT: Plain(
        "Your account", "The account you sign in with, the organisations you belong to and the API keys you were given.",
        "To let you sign in and use the service on behalf of your organisation.",
        "Your organisation's administrator, when they added you; you, when you used the service."),
    Category.CONSENT_EVIDENCE: Plain(
        "Terms you accepted", "Which versions of the AI terms you accepted or revoked for your organisation, and when.",
        "To prove that your organisation agreed before any image was sent to an AI provider (a legal obligation "
        "and our legitimate interest in showing it).",
        "You, when you accepted or revoked the terms."),
    Category.TRANSIENT_IMAGES: Plain(
        "Images you uploaded", "Records of images you uploaded for a search. The images themselves are deleted as "
        "soon as their search ends.",
        "To run the search you asked for.", "You, when you uploaded them.", to_providers=True),
    Category.RETAINED_IMAGES: Plain(
        "Images kept for you", "Cleaned copies of your search images that your organisation chose to keep.",
        "To let your organisation look at past searches again.", "You, when you uploaded them (metadata removed)."),
    Category.SEARCH_TEXT: Plain(
        "Your searches", "Each image search: the context you typed and the description an AI model wrote of the image.",
        "To find documents that match your image, and to show you your past searches.",
        "You (the context); the AI vision model (the description).", to_providers=True),
    Category.SEARCH_RESULTS: Plain(
        "Documents your searches found", "The documents each search matched, with their rank and score.",
        "To show you the results of your searches.", "Our search engine, from your organisation's documents."),
    Category.USAGE_EVENTS: Plain(
        "Usage records", "That a search happened (when, which provider, how long it took), never what was searched.",
        "To measure and bill the service and find faults.", "Our systems."),
    Category.EXPORT_ARCHIVES: Plain(
        "Earlier copies of your data", "When earlier archives like this one were made and deleted.",
        "To send you your data and prove it was deleted afterwards.", "Our systems, at your request."),
    Category.PRIVACY_REQUESTS: Plain(
        "Your privacy requests", "The requests you made to us (kind, dates, outcome).",
        "To answer them and prove that we did (a legal obligation).", "You, when you made them."),
    Category.AUDIT_EVENTS: Plain(
        "Audit log", "Entries of the tamper-evident log that record actions taken in the service.",
        "Security and accountability (a legal obligation and our legitimate interest).", "Our systems."),
    Category.SUPPORT_ACCESS: Plain(
        "Support access", "Requests by our support staff to see your organisation's data, with the ticket and decision.",
        "To give support only with your organisation's approval, and to show every such access.",
        "Our support staff and your organisation's administrator."),
}

RIGHTS = [
    ("Access", "to get a copy of your data and this information (this archive)."),
    ("Rectification", "to have wrong data corrected."),
    ("Erasure", "to have your data deleted, except records the law obliges us to keep."),
    ("Restriction and objection", "to have the use of your data limited, or to object to it."),
    ("Portability", "to receive your data in a machine-readable form (the JSON and CSV files here) and pass it on."),
    ("Opt-out (California)", "to stop any sale or sharing of your personal information; we honour the Global "
     "Privacy Control signal of your browser."),
    ("No discrimination", "you are not treated worse for using any of these rights."),
]
COMPLAINT = ("You have the right to complain to a data protection supervisory authority, in particular in the "
             "country where you live or work (GDPR Art. 77); in California, to the California Privacy Protection "
             "Agency. You may also ask us first: file a request on the page where you asked for this archive.")
AUTOMATED = ("No decision with legal or similarly significant effect on you is made by automated means. An AI model "
             "describes the images you upload so that documents can be searched; it decides nothing about you.")


def plain(category: str) -> Plain:
    if category in PLAIN:
        return PLAIN[category]
    label = Category(category).label if category in Category.values else category.replace("_", " ").capitalize()
    return Plain(label, SPECS[category].description if category in SPECS else "", GENERAL_PURPOSE, "Our systems.")


def duration(age: timedelta) -> str:
    """'30 days', '1 hour', '13 months' - never Django's '30 days, 0:00:00'."""
    seconds = int(age.total_seconds())
    days = seconds // 86400
    if days >= 365 and days % 365 == 0:
        return f"{days // 365} year{'s' if days > 365 else ''}"
    if days >= 60 and days % 30 == 0:
        return f"{days // 30} months"
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    hours, minutes = seconds // 3600, seconds // 60
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def retention(*, category: str, tenant_id, rules: RuleBook) -> str:
    rule = rules.rule(category, tenant_id)
    if rule is None or not rule.enabled:
        return "Not deleted automatically; erased when you ask, unless the law obliges us to keep it."
    verb = "anonymised" if rule.action == "anonymise" else "deleted"
    return f"{verb.capitalize()} {duration(rule.max_age)} after it was recorded (the rule in force today)."


def recipients(*, tenant) -> list[dict]:
    """The sub-processors of the terms in force for the tenant (the version it accepted, else the current one)."""
    status = consent_status(tenant=tenant)
    terms = status.record.terms if status.record is not None else current_terms()
    if terms is None:
        return []
    return [{"company": s.company, "service": s.service, "purpose": s.purpose, "terms_version": terms.version}
            for s in terms.subprocessors.all()]


def category_notice(*, category: str, tenant_id, recipients_: list[dict], rules: RuleBook) -> dict:
    text = plain(category)
    shared = [r["company"] for r in recipients_] if text.to_providers else []
    return {
        "title": text.title,
        "what": text.what,
        "purpose": text.purpose,
        "source": text.source,
        "retention": retention(category=category, tenant_id=tenant_id, rules=rules),
        "recipients": (f"Your organisation, and the AI vision provider it uses: {', '.join(shared)}." if shared
                       else "Your organisation only."),
    }
