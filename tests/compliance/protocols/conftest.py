from tests.compliance.protocols.fixtures import (  # noqa: F401
    agent_key,
    callback_server,
    drp_agent,
    globex_agent,
)
