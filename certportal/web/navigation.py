"""Where pages live: the candidate navigation of the guide, in its order, and links to a page
from outside the portal (emails, QR codes, share links)."""

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode, urlsplit

from flask import current_app, has_request_context, url_for


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    endpoint: str


CANDIDATE_SECTIONS = (
    Section("home", "Home", "main.home"),
    Section("personal-info", "Personal Info", "personal.settings"),
    Section("testing-history", "Testing History", "history.exams"),
    Section("certifications", "Certifications", "certifications.index"),
    Section("certificates-plaques", "Certificates & Plaques", "kits.history"),
    Section("transcripts", "Transcripts", "transcripts.index"),
    Section("digital-badges", "Digital Badges", "badges.index"),
)

SECTIONS_BY_KEY = {section.key: section for section in CANDIDATE_SECTIONS}


def section_url(key: str) -> str:
    """Where a navigation section lives."""
    return url_for(SECTIONS_BY_KEY[key].endpoint)


def absolute_url(endpoint: str, **values) -> str:
    """A page's address on the portal's public BASE_URL, for links read outside the portal
    (emails, QR codes, share links): never the host a request happened to name.

    It works without a request too (an import run on the command line congratulates the
    candidates it made certified); a request context pushed for it would run the teardown
    that closes the database, inside the caller's transaction.
    """
    base_url = current_app.config["BASE_URL"]
    if has_request_context():
        return base_url + url_for(endpoint, **values)
    base = urlsplit(base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def absolute_section_url(key: str) -> str:
    """A navigation section's address on BASE_URL, for emails."""
    return absolute_url(SECTIONS_BY_KEY[key].endpoint)


def public_transcript_url(transcript) -> str:
    """The address a third party opens to see a transcript."""
    return absolute_url("transcripts.public", public_id=transcript.public_id)


@dataclass(frozen=True)
class StaffSection:
    key: str
    label: str
    endpoint: str
    # The roles that see the section (admins see every one).
    roles: tuple[str, ...]


STAFF_SECTIONS = (
    StaffSection("console", "Console", "staff.home",
                 ("support", "fulfillment", "auditor")),
    StaffSection("candidates", "Candidates", "staff.candidates_search", ("support", "auditor")),
    StaffSection("cases", "Support cases", "staff.cases", ("support", "auditor")),
    StaffSection("ce", "CE review", "staff.ce_submissions_queue", ("support", "auditor")),
    StaffSection("imports", "Imports", "staff.imports", ("support", "auditor")),
    StaffSection("fulfillment", "Fulfillment", "staff.fulfillment",
                 ("fulfillment", "auditor")),
    StaffSection("catalog", "Catalog", "staff.catalog",
                 ("support", "fulfillment", "auditor")),
    StaffSection("audit", "Audit log", "staff.audit_log", ("auditor",)),
    StaffSection("accounts", "Staff accounts", "staff.accounts", ()),
)


def staff_sections(staff_user) -> list[StaffSection]:
    """The console sections this staff member may open, in order."""
    from certportal.domain.staff import has_role

    return [section for section in STAFF_SECTIONS if has_role(staff_user, *section.roles)]


def share_links(link: str, text: str) -> list[tuple[str, str]]:
    """Plain links to the networks' own share pages: no third-party script on our pages."""
    url = quote(link, safe="")
    return [
        ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={url}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
        ("X", f"https://x.com/intent/post?url={url}&text={quote(text, safe='')}"),
    ]


def linkedin_add_certification_url(*, name: str, organization: str, issued: date,
                                   expires: date | None, url: str, credential_id: str) -> str:
    """LinkedIn's "Add to profile" form for a certification, filled in: the member only
    confirms it (LinkedIn's documented add-to-profile link, no API key or script)."""
    fields = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if expires is not None:
        fields.update(expirationYear=expires.year, expirationMonth=expires.month)
    fields.update(certUrl=url, certId=credential_id)
    return "https://www.linkedin.com/profile/add?" + urlencode(fields)


def public_badge_url(badge_id: str) -> str:
    """The address a third party opens to see a badge."""
    return absolute_url("badges.public", badge_id=badge_id)
