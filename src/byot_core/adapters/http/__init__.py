"""The reference HTTP API on Starlette. Needs the ``server`` extra: ``pip install 'byot-core[server]'``."""

from byot_core.adapters.http.app import AgentRegistry, create_app
from byot_core.adapters.http.auth import ApiKeys, hash_key, new_api_key, parse_api_keys

__all__ = ["AgentRegistry", "ApiKeys", "create_app", "hash_key", "new_api_key", "parse_api_keys"]
