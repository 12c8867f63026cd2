from tests.compliance.protocols.fixtures import agent_key, callback_server, drp_agent, globex_agent  # noqa: F401
