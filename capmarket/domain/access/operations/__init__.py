"""Writes of the access context. Every act is audited; refused input raises ``ValidationError`` (or a subclass
named ``UnableToX``) whose messages name the field, in Japanese; nothing is half-written.

One module per part of the terms of use: ``certificates`` (§3.1), ``company`` (suspension, maintenance, request
limits: §2.4/§2.6), ``delegations`` (contractors: §2.3), ``applications`` (use applications and termination:
§2.1/§2.7). Callers use this package (``from capmarket.domain.access import operations as access_ops``).
"""

from capmarket.domain.access.operations._shared import NotAllowed
from capmarket.domain.access.operations.applications import (
    APPLICATION_FIELDS,
    Terminated,
    UnableToApply,
    UnableToReview,
    UnableToTerminate,
    complete_termination,
    mark_application_approved,
    register_application_certificate,
    reject_application,
    request_termination,
    submit_application,
    withdraw_termination,
)
from capmarket.domain.access.operations.certificates import (
    FILE_COLUMNS,
    KIND_REGISTER,
    KIND_RENEW,
    FileOutcome,
    Registered,
    UnableToRegisterCertificate,
    UnableToRevokeCertificate,
    import_certificate_file,
    record_access_refused,
    record_certificate_use,
    register_certificate,
    revoke_certificate,
)
from capmarket.domain.access.operations.company import (
    LimitExceeded,
    UnableToScheduleMaintenance,
    UnableToSetLimit,
    UnableToSuspend,
    clear_request_limit,
    count_request,
    end_maintenance,
    lift_suspension,
    schedule_maintenance,
    set_request_limit,
    suspend_participant,
)
from capmarket.domain.access.operations.delegations import (
    UnableToDelegate,
    change_delegation_functions,
    grant_delegation,
    record_acting_started,
    withdraw_delegation,
)

__all__ = [
    "APPLICATION_FIELDS",
    "FILE_COLUMNS",
    "KIND_REGISTER",
    "KIND_RENEW",
    "FileOutcome",
    "LimitExceeded",
    "NotAllowed",
    "Registered",
    "Terminated",
    "UnableToApply",
    "UnableToDelegate",
    "UnableToRegisterCertificate",
    "UnableToReview",
    "UnableToRevokeCertificate",
    "UnableToScheduleMaintenance",
    "UnableToSetLimit",
    "UnableToSuspend",
    "UnableToTerminate",
    "change_delegation_functions",
    "clear_request_limit",
    "complete_termination",
    "count_request",
    "end_maintenance",
    "grant_delegation",
    "import_certificate_file",
    "lift_suspension",
    "mark_application_approved",
    "record_access_refused",
    "record_acting_started",
    "record_certificate_use",
    "register_application_certificate",
    "register_certificate",
    "reject_application",
    "request_termination",
    "revoke_certificate",
    "schedule_maintenance",
    "set_request_limit",
    "submit_application",
    "suspend_participant",
    "withdraw_delegation",
    "withdraw_termination",
]
