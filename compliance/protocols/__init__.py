"""Protocol endpoints for data-subject requests: Data Rights Protocol 1.0 (agents), OpenDSR 2.0
(controllers) and Global Privacy Control. See docs/protocols.md."""
