"""In-memory adapters: storage, agents, secrets, balance and call handlers, for tests and embedding."""

from byot_core.adapters.memory.agents import MemoryAgentDirectory
from byot_core.adapters.memory.misc import FixedBalance, RecordingInboundHandler, RecordingOutboundHandler
from byot_core.adapters.memory.secrets import MemorySecretBox
from byot_core.adapters.memory.storage import MemoryStorage, MemoryUnitOfWork

__all__ = [
    "FixedBalance",
    "MemoryAgentDirectory",
    "MemorySecretBox",
    "MemoryStorage",
    "MemoryUnitOfWork",
    "RecordingInboundHandler",
    "RecordingOutboundHandler",
]
