"""The reference API's operations, in one table: the Starlette routes and the OpenAPI paths are both built from it.

Each :class:`Operation` names its handler (a function of :func:`byot_core.adapters.http.app.create_app`), what it
takes and answers (schemas of :mod:`.schemas`) and the error statuses it can give. A test checks that the served
routes and the document agree exactly.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["OPERATIONS", "Operation"]

_PARAM = re.compile(r"{(\w+)}")
#: Statuses a body-carrying operation can answer besides its own: a refused body, a body too large.
_WRITE = (400, 413)


@attrs.frozen
class Operation:
    """One operation: method and path, its handler's name, its answer, its errors, and what it takes.

    ``answer`` is a schema name, ``[Name]`` for a list of them, or ``audio/wav`` for a file. ``only_this_method``
    makes the route exist for this method alone: the guide's ``PATCH /{agent_id}`` must not turn every unknown
    one-segment path into a 405.
    ``etag`` says the answer carries the object's ``ETag``; ``if_match`` that the operation honours ``If-Match``.
    """

    method: str
    path: str
    handler: str
    summary: str
    status: int
    answer: str
    description: str
    errors: tuple[int, ...] = ()
    body: str | None = None
    query: tuple[str, ...] = ()
    only_this_method: bool = False
    etag: bool = False
    if_match: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        """The names of the path's ``{parameters}``, in order."""
        return tuple(_PARAM.findall(self.path))


_TRUNK = "/sip-trunks/trunks/{trunk_id}"
_AGENT = "/v2/agent/{agent_id}"

#: Every operation of the reference API, in the order routes are tried.
OPERATIONS: tuple[Operation, ...] = (
    Operation("POST", "/sip-trunks/trunks", "create_trunk", "Create a SIP trunk", 201, "Trunk", "Created",
              (*_WRITE, 409), "TrunkCreate", etag=True),
    Operation("GET", "/sip-trunks/trunks", "list_trunks", "List trunks", 200, "[Trunk]", "The account's trunks",
              (400,), query=("is_active",)),
    Operation("GET", _TRUNK, "get_trunk", "Get a trunk", 200, "Trunk", "The trunk", (404,), etag=True),
    Operation("PATCH", _TRUNK, "update_trunk", "Update a trunk", 200, "Trunk", "Updated", (*_WRITE, 404, 409, 412),
              "TrunkUpdate", etag=True, if_match=True),
    Operation("DELETE", _TRUNK, "delete_trunk", "Delete a trunk", 200, "Message", "Deleted", (400, 404, 412),
              if_match=True),
    Operation("POST", f"{_TRUNK}/numbers", "add_number", "Add a number", 201, "PhoneNumber", "Added",
              (*_WRITE, 404, 409), "PhoneNumberCreate"),
    Operation("GET", f"{_TRUNK}/numbers", "list_numbers", "List a trunk's numbers", 200, "[PhoneNumber]",
              "The numbers", (404,)),
    Operation("DELETE", f"{_TRUNK}/numbers/{{phone_number_id}}", "remove_number", "Remove a number", 200, "Message",
              "Removed", (404,)),
    Operation("POST", "/inbound/setup", "inbound_setup", "Map a number to an agent", 200, "Message", "Mapped",
              (*_WRITE, 404), "InboundMapping"),
    Operation("POST", "/inbound/unlink", "inbound_unlink", "Unlink a number from an agent", 200, "Message",
              "Unlinked", (*_WRITE, 404, 409), "InboundMapping"),
    Operation("GET", "/inbound/explain", "explain_inbound", "Explain how an inbound call would be routed", 200,
              "RoutingDecision", "Beyond the guide: the decision for a call to `to` from `source`, rule by rule, "
              "made as for a real call but with nothing changed; another account's number reads as unknown",
              (400,), query=("to", "source")),
    Operation("POST", "/call", "place_call", "Place an outbound call", 200, "CallAccepted", "Placed",
              (*_WRITE, 403, 404, 429), "CallRequest"),
    Operation("GET", "/executions/{execution_id}", "get_execution", "Get an execution", 200, "Execution",
              "The execution", (404,)),
    Operation("POST", "/executions/{execution_id}/hangup", "hang_up", "Hang up a call", 202, "Message",
              "Beyond the guide: the call's current channel is ended; its end shows in the execution once telephony "
              "reports it. A call that already ended is answered the same way, and left as it is", (404, 503)),
    Operation("POST", "/executions/{execution_id}/dtmf", "send_dtmf", "Send DTMF into a call", 202, "Message",
              "Beyond the guide: the digits are played to the far end of the answered call (`w`: a half-second "
              "pause)", (*_WRITE, 404, 409, 503), "DtmfRequest"),
    Operation("POST", "/executions/{execution_id}/transfer", "transfer_call", "Transfer a call", 202, "Execution",
              "Beyond the guide: the transfer starts at once (`dialing`); its progress shows in the execution's "
              "`transfers`. `bridge` dials the target through the call's trunk and bridges it with the caller once "
              "it answers; `refer` asks the carrier to place the new call (SIP REFER)",
              (*_WRITE, 403, 404, 409, 429, 503), "TransferRequest"),
    Operation("GET", "/executions/{execution_id}/recording", "get_recording", "Get a call's recording", 200,
              "audio/wav", "Beyond the guide: the call's recording, a WAV file (mono, 8 kHz, 16-bit) of the caller "
              "and the agent (then a transfer's target) mixed; 404 while there is none", (404,)),
    Operation("GET", "/account/outbound-destinations", "get_destinations", "Get the account's outbound destinations",
              200, "AccountDestinations", "Beyond the guide: where the account's calls and transfers may go "
              "(toll-fraud guard), and how many were refused"),
    Operation("PUT", "/account/outbound-destinations", "set_destinations", "Set the account's outbound destinations",
              200, "AccountDestinations", "Beyond the guide: replaces the policy (a trunk's own "
              "`outbound_destinations` narrow or widen it); the refusal count is kept", _WRITE,
              "AccountDestinationsWrite"),
    Operation("GET", "/account/callback-secret", "get_callback_secret", "Get the account's callback secret", 200,
              "CallbackSecret", "Beyond the guide: the secret status callbacks are signed with (made on first read)"),
    Operation("POST", "/account/callback-secret/rotate", "rotate_callback_secret", "Rotate the callback secret",
              200, "CallbackSecret", "Beyond the guide: a new secret; events sent from now on are signed with it"),
    Operation("POST", "/v2/agent", "create_agent", "Create an agent", 201, "AgentCreated", "Created", _WRITE,
              "AgentWrite"),
    Operation("GET", _AGENT, "get_agent", "Get an agent", 200, "Agent", "The agent", (404,)),
    Operation("PATCH", _AGENT, "update_agent", "Update an agent", 200, "Agent", "Updated", (*_WRITE, 404),
              "AgentWrite"),
    Operation("GET", f"{_AGENT}/executions", "agent_executions", "An agent's executions, newest first", 200,
              "[Execution]", "The executions", (404,)),
    # The guide's own spelling of the agent update (Step 4).
    Operation("PATCH", "/{agent_id}", "update_agent", "Update an agent (the guide's path)", 200, "Agent", "Updated",
              (*_WRITE, 404), "AgentWrite", only_this_method=True),
)  # fmt: skip
