"""Peewee tables, grouped by area; import models from here."""

from certportal.models.base import BaseModel, random_code, utcnow
from certportal.models.catalog import (
    Agreement,
    CatalogLoad,
    Certification,
    Exam,
    FulfillmentItem,
    JSONTextField,
    LogoFile,
)
from certportal.models.commerce import (
    CertificationEarning,
    EcommerceTransaction,
    FulfillmentOrder,
    KitEntitlement,
    OrderLine,
    ProcessedWebhookEvent,
)
from certportal.models.credentials import BadgeSigningKey, IssuedCredential, StatusListAllocation
from certportal.models.mail import OutgoingEmail
from certportal.models.people import (
    PUBLIC_HOLDER_COLUMNS,
    SETTINGS_QUESTIONS,
    AuditEvent,
    Candidate,
    CandidateMerge,
    EmailToken,
    LoginSession,
    LoginThrottle,
    StaffRecoveryCode,
    StaffUser,
    SupportCase,
    SupportCaseMessage,
)
from certportal.models.recertification import CeEvidence, ExpiryReminder
from certportal.models.records import (
    AgreementAcceptance,
    CandidateCertification,
    CeCredit,
    CertificationEvent,
    CertificationGrant,
    ExamResult,
    ImportBatch,
    certifications_of,
)
from certportal.models.sharing import Transcript, TranscriptCertification, TranscriptView

# In dependency order: create forwards, drop backwards.
ALL_MODELS = [
    Candidate,
    StaffUser,
    LoginSession,
    LoginThrottle,
    EmailToken,
    SupportCase,
    AuditEvent,
    StaffRecoveryCode,
    SupportCaseMessage,
    CandidateMerge,
    Exam,
    Certification,
    Agreement,
    LogoFile,
    FulfillmentItem,
    CatalogLoad,
    ImportBatch,
    ExamResult,
    AgreementAcceptance,
    CandidateCertification,
    CertificationEvent,
    CertificationGrant,
    CeCredit,
    CertificationEarning,
    FulfillmentOrder,
    OrderLine,
    KitEntitlement,
    EcommerceTransaction,
    ProcessedWebhookEvent,
    Transcript,
    TranscriptCertification,
    TranscriptView,
    OutgoingEmail,
    IssuedCredential,
    BadgeSigningKey,
    StatusListAllocation,
    ExpiryReminder,
    CeEvidence,
]

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS",
    "PUBLIC_HOLDER_COLUMNS",
    "SETTINGS_QUESTIONS",
    "BaseModel",
    "certifications_of",
    "JSONTextField",
    "random_code",
    "utcnow",
]
