"""The guide's JSON at the edge: request bodies read into the use cases' typed inputs, with the guide's messages.

The use cases take typed values (:class:`~byot_core.domain.trunk_draft.TrunkDraft`,
:class:`~byot_core.domain.trunk_draft.TrunkChanges`, :class:`~byot_core.domain.number_draft.NumberDraft`,
:class:`~byot_core.domain.call_request.CallRequest`, :class:`~byot_core.domain.call_request.MappingRequest`). These
readers build them from the guide's JSON: shapes and types here, value rules in the domain, every problem with its
path. The reference HTTP API reads every body through them.
"""

from byot_core.guide.calls import read_call, read_dtmf, read_mapping, read_transfer
from byot_core.guide.numbers import read_number
from byot_core.guide.trunks import read_trunk_create, read_trunk_update

__all__ = [
    "read_call",
    "read_dtmf",
    "read_mapping",
    "read_number",
    "read_transfer",
    "read_trunk_create",
    "read_trunk_update",
]
