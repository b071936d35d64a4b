"""A fake Asterisk that speaks ARI over real HTTP and websockets, for tests and benchmarks.

It answers the way Asterisk 22 answered when recorded (``shared/asterisk/captures``):

- dynamic configuration (``/ari/asterisk/config/dynamic/res_pjsip/{type}/{id}``): 403 "Cannot create sorcery
  objects of type '…'" without a writable wizard; ``PUT`` answers the whole object with every default filled in,
  merges into an existing object, and list options only grow (``match``, ``contact``; ``allow`` until a
  ``disallow``); booleans come back ``true``/``false``, codecs as ``(ulaw|alaw)``, ``match`` as ``addr/netmask``
  (hostnames resolved); ``disallow`` is never reported; 400 "… failed field value validation"; 404 "Object with id
  '…' not found"; a restart forgets everything pushed into memory;
- channels: originate with a JSON body, the events Asterisk sends for each way a gateway answers (a refused call
  never enters the application), inbound calls matched to endpoints by ``identify``, explicit answer, refusal with a
  Q.850 cause (``reason_code=21`` answers the carrier 403), and ``ChannelDestroyed`` after ``StasisEnd`` only for
  subscribed channels; an originate into the dialplan (``context``, ``extension``, ``label``, ``variables``) runs
  the answered call through the loaded ``extensions.conf`` (as Asterisk's source does it: not recorded);
- the event websocket (an application's events go only to the websocket that registered it last), and
  ``ContactStatusChange`` for applications subscribed to ``endpoint:PJSIP``; that subscription answers 422 "Event
  source does not exist" until a PJSIP endpoint has existed since the node started (observed 2026-11-29); it also
  brings the events of every channel on a PJSIP endpoint (read from Asterisk's source, not recorded);
- faults: error answers, stalled answers, dropped websockets, a node that is down, a restart.

Gateways are scripted by their ``host:port`` with :class:`GatewayPlay` values. The parts: :mod:`.sorcery` (the
object store and its merge rules), :mod:`.channels` (channels and their scripted outcomes), :mod:`.hub` (event
websockets and subscriptions), :mod:`.node` (the HTTP routes and fault injection) and :mod:`.cli` (``python -m``).
"""

from byot_core.testing.fake_asterisk.cli import main
from byot_core.testing.fake_asterisk.model import FakeChannel, GatewayPlay
from byot_core.testing.fake_asterisk.node import FakeAsterisk
from byot_core.testing.fake_asterisk.sorcery import DEFAULTS, SorceryStore
from byot_core.testing.fake_asterisk.srtp import Offer

__all__ = ["DEFAULTS", "FakeAsterisk", "FakeChannel", "GatewayPlay", "Offer", "SorceryStore", "main"]
