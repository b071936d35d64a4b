"""The fake's sorcery store: PJSIP objects as ARI's dynamic configuration reads, writes and deletes them.

As recorded: 403 "Cannot create sorcery objects of type '…'" without a writable wizard; ``PUT`` answers the whole
object with every default filled in and merges into an existing one; list options only grow (``match``,
``contact``; ``allow`` until a ``disallow``); booleans come back ``true``/``false``, codecs as ``(ulaw|alaw)``,
``match`` as ``addr/netmask`` (hostnames resolved); ``disallow`` is never reported; 400 "… failed field value
validation"; 404 "Object with id '…' not found"; objects from ``pjsip.conf`` are read-only and survive a restart.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

from byot_core.testing.fake_asterisk.answers import AriError

__all__ = ["DEFAULTS", "SorceryStore", "network"]

#: Every attribute Asterisk 22 reported for a freshly created object of each type, with its default value.
DEFAULTS: dict[str, dict[str, str]] = json.loads(
    resources.files("byot_core.testing").joinpath("asterisk_defaults.json").read_text()
)
# res_websocket_client's object, as a PUT answered it (shared/asterisk/media, README section 6): its booleans are
# reported yes/no, and its class is res_websocket_client, not res_pjsip.
DEFAULTS["websocket_client"] = {
    "type": "websocket_client",
    "connection_type": "persistent",
    "uri": "",
    "protocols": "",
    "username": "",
    "password": "",
    "connection_timeout": "500",
    "reconnect_attempts": "4",
    "reconnect_interval": "500",
    "tls_enabled": "no",
    "ca_list_file": "",
    "ca_list_path": "",
    "cert_file": "",
    "priv_key_file": "",
    "verify_server_cert": "yes",
    "verify_server_hostname": "yes",
}
_CLASSES = {"websocket_client": "res_websocket_client"}
_BOOLEANS = {t: {k for k, v in fields.items() if v in ("true", "false")} for t, fields in DEFAULTS.items()}
# Options whose default reads "No" are reported Yes/No (their handler prints them so; read from the default's form).
_YES_NO = {t: {k for k, v in fields.items() if v in ("Yes", "No")} for t, fields in DEFAULTS.items()}
_TRUTHY = {"yes", "true", "on", "1", "y", "t"}
_FALSY = {"no", "false", "off", "0", "n", "f"}
_CODECS = {"ulaw", "alaw", "g722", "g729", "gsm", "opus", "slin", "slin16", "ilbc", "speex", "g726", "lpc10"}
_NUMBERS = ("qualify_frequency", "retry_interval", "max_contacts", "expiration")

Key = tuple[str, str]


class _Invalid(Exception):
    pass


def _parse_match(value: str, resolve: Callable[[str], list[str]]) -> list[str]:
    entries = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            net = ipaddress.ip_network(part, strict=False)
        except ValueError:
            try:
                addresses = resolve(part)
            except Exception as error:
                raise _Invalid(part) from error
            networks = [ipaddress.ip_network(a) for a in addresses]
        else:
            networks = [net]
        entries += [f"{n.network_address}/{n.netmask}" for n in networks]
    return entries


def network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An ``addr/netmask`` entry as Asterisk reports it, as a network (IPv6 masks are written out in full too)."""
    address, _, mask = entry.partition("/")
    bits = bin(int(ipaddress.ip_address(mask))).count("1")
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def _no_dns(host: str) -> list[str]:
    raise LookupError(host)


class SorceryStore:
    """The objects of one node.

    ``writable=False`` plays a ``sorcery.conf`` without a writable wizard; ``resolve`` turns a hostname in ``match``
    into addresses (the default knows none, as a resolver without network would).
    """

    def __init__(self, *, writable: bool = True, resolve: Callable[[str], list[str]] | None = None) -> None:
        self.writable = writable
        self.resolve = resolve or _no_dns
        self.objects: dict[Key, dict[str, str]] = {}
        self.file_objects: set[Key] = set()
        # Asterisk creates the PJSIP endpoint event source with the first PJSIP endpoint, and keeps it until it stops.
        self.endpoint_source = False
        self.add_file_object("transport", "transport-udp", {"protocol": "udp", "bind": "0.0.0.0:5060"})

    def add_file_object(self, type_: str, object_id: str, fields: dict[str, str]) -> None:
        """An object from ``pjsip.conf``: readable, never writable or deletable over ARI, kept across restarts."""
        self.objects[(type_, object_id)] = {**DEFAULTS.get(type_, {}), **fields}
        self.file_objects.add((type_, object_id))
        self.endpoint_source |= type_ == "endpoint"

    def restart(self) -> None:
        """Forget what was pushed into memory; keep the file's objects."""
        self.objects = {k: v for k, v in self.objects.items() if k in self.file_objects}
        self.endpoint_source = any(type_ == "endpoint" for type_, _ in self.file_objects)

    def owned(self, prefix: str = "byot-") -> dict[Key, dict[str, str]]:
        """The objects whose id starts with ``prefix``."""
        return {k: v for k, v in self.objects.items() if k[1].startswith(prefix)}

    def endpoint_ids(self) -> list[str]:
        """Every endpoint's id."""
        return [oid for (type_, oid) in self.objects if type_ == "endpoint"]

    @staticmethod
    def _check_class(config_class: str, type_: str) -> None:
        if config_class not in ("res_pjsip", "res_websocket_client"):
            raise AriError(404, f"configClass '{config_class}' not found")
        if _CLASSES.get(type_, "res_pjsip") != config_class:
            raise AriError(404, f"objectType '{type_}' not found")
        if type_ not in DEFAULTS and type_ != "transport":
            raise AriError(404, f"objectType '{type_}' not found")

    @staticmethod
    def as_list(obj: dict[str, str]) -> list[dict[str, str]]:
        """An object as ARI answers it: ``[{"attribute", "value"}, …]``."""
        return [{"attribute": k, "value": v} for k, v in obj.items()]

    def get(self, config_class: str, type_: str, oid: str) -> list[dict[str, str]]:
        """``GET``: the object, or 404."""
        self._check_class(config_class, type_)
        found = self.objects.get((type_, oid))
        if found is None:
            raise AriError(404, f"Object with id '{oid}' not found")
        return self.as_list(found)

    def put(self, config_class: str, type_: str, oid: str, body: Any) -> list[dict[str, str]]:
        """``PUT``: create or merge, answering the whole object."""
        self._check_class(config_class, type_)
        key = (type_, oid)
        existing = self.objects.get(key)
        verb = "Update" if existing is not None else "Creation"
        if key in self.file_objects or type_ == "transport":
            raise AriError(
                400 if existing is not None else 403, f"{verb} of object '{oid}' failed field value validation"
            )
        if not self.writable:
            raise AriError(403, f"Cannot create sorcery objects of type '{type_}'")
        raw = (body or {}).get("fields", []) if isinstance(body, dict) else []
        try:
            fields = [(str(item["attribute"]), str(item["value"])) for item in raw]
            obj = self.merge(type_, existing if existing is not None else DEFAULTS[type_], fields)
        except (_Invalid, KeyError, TypeError) as error:
            raise AriError(400, f"{verb} of object '{oid}' failed field value validation") from error
        self.objects[key] = obj
        self.endpoint_source |= type_ == "endpoint"
        return self.as_list(obj)

    def delete(self, config_class: str, type_: str, oid: str) -> None:
        """``DELETE``: 404 if absent, 403 for the file's objects."""
        self._check_class(config_class, type_)
        key = (type_, oid)
        if key not in self.objects:
            raise AriError(404, f"Object with id '{oid}' not found")
        if key in self.file_objects:
            raise AriError(403, f"Could not delete object with id '{oid}'")
        del self.objects[key]

    def merge(self, type_: str, current: dict[str, str], fields: Iterable[tuple[str, str]]) -> dict[str, str]:
        """What a ``PUT`` of ``fields`` leaves of ``current``, in Asterisk's normal forms (raises on a bad field)."""
        obj = dict(current)
        for key, value in fields:
            if key not in DEFAULTS[type_] and key != "disallow":
                raise _Invalid(key)
            if key in _BOOLEANS[type_]:
                if value.lower() not in _TRUTHY | _FALSY:
                    raise _Invalid(key)
                obj[key] = "true" if value.lower() in _TRUTHY else "false"
            elif key in _YES_NO[type_]:
                if value.lower() not in _TRUTHY | _FALSY:
                    raise _Invalid(key)
                obj[key] = "Yes" if value.lower() in _TRUTHY else "No"
            elif key in ("allow", "disallow"):
                obj["allow"] = self._codecs(obj["allow"], key, value)
            elif key == "match":
                added = _parse_match(value, self.resolve)
                obj[key] = ",".join([m for m in obj[key].split(",") if m] + added)
            elif key == "contact":
                known = [c for c in obj[key].split(",") if c]
                obj[key] = ",".join(known + [c for c in value.split(",") if c and c not in known])
            elif key in _NUMBERS:
                if not value.isdigit():
                    raise _Invalid(key)
                obj[key] = value
            else:
                obj[key] = value
        return obj

    @staticmethod
    def _codecs(reported: str, key: str, value: str) -> str:
        codecs = [c.strip() for c in value.split(",") if c.strip()]
        if any(c not in _CODECS | {"all"} for c in codecs):
            raise _Invalid(key)
        have = [c for c in reported.strip("()").split("|") if c]
        if key == "disallow":
            have = [] if "all" in codecs else [c for c in have if c not in codecs]
        else:
            have += [c for c in (sorted(_CODECS) if "all" in codecs else codecs) if c not in have]
        return "(" + "|".join(have) + ")"
