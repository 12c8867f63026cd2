"""Compliance models: data-subject requests (requests) and the protocol endpoints' records (protocols)."""

from .protocols import (
    CallbackDelivery,
    DrpAgent,
    DrpRequest,
    DrpToken,
    OpenDsrController,
    OpenDsrRequest,
    SeenMessage,
    validate_verify_key,
)
from .requests import (
    DataSubjectRequest,
    DenialReason,
    ErasureSuppression,
    SaleOptOut,
    new_reference,
)

__all__ = [
    "CallbackDelivery",
    "DataSubjectRequest",
    "DenialReason",
    "DrpAgent",
    "DrpRequest",
    "DrpToken",
    "ErasureSuppression",
    "OpenDsrController",
    "OpenDsrRequest",
    "SaleOptOut",
    "SeenMessage",
    "new_reference",
    "validate_verify_key",
]
