"""Protocol endpoints for data-subject requests: Data Rights Protocol 1.0 (agents), OpenDSR 2.0
(controllers) and Global Privacy Control. See docs/protocols.md."""


def ready() -> None:
    """Called once from compliance.apps.ComplianceConfig.ready: admin and the status listener."""
    from .. import requests
    from . import admin, callbacks  # noqa: F401

    if callbacks.on_status_change not in requests.STATUS_LISTENERS:
        requests.STATUS_LISTENERS.append(callbacks.on_status_change)
