"""The fake's dialplan: the part of ``extensions.conf`` the library's contexts use, read and run as Asterisk would.

Understood: ``[context]`` sections, ``exten => pattern,1[(label)],App(args)`` and ``same => n[(label)],App(args)``
lines, patterns (``_`` then ``X``, ``Z``, ``N``, ``.``, ``!`` and literal characters, or an exact extension), the
``${EXTEN}`` and ``${STASISSTATUS}`` variables and the channel's own, and three applications:

- ``Stasis(app,args…)`` enters the application when a websocket is connected for it; otherwise it fails at once,
  sets ``STASISSTATUS`` to ``FAILED`` and the dialplan goes on (what Asterisk does for an application not active);
- ``GotoIf($["a" != "b"]?label)`` (``=`` and ``!=``) jumps to a label of the same extension;
- ``Hangup([cause])`` ends the call with the cause (16 when none).

Running off the end hangs up with cause 16, as Asterisk does. Anything else is refused when the text is loaded, so a
test never passes on a line the fake silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import attrs

__all__ = ["DEFAULT_DIALPLAN", "Dialplan", "Entered", "HungUp"]

#: The contexts the documentation gives for one instance, application ``byot``.
DEFAULT_DIALPLAN = """
[byot-inbound]
exten => _X.,1,Stasis(byot,${EXTEN})
 same => n,Hangup()
exten => _+X.,1,Stasis(byot,${EXTEN})
 same => n,Hangup()

[byot-reject]
exten => _X.,1,Hangup(21)
exten => _+X.,1,Hangup(21)

[byot-outbound]
exten => s,1(byot),Stasis(${BYOT_APP},byot-outbound)
 same => n,GotoIf($["${STASISSTATUS}" != "FAILED"]?done)
 same => n,Stasis(byot,byot-outbound)
 same => n(done),Hangup()
"""

_LINE = re.compile(r"(exten|same)\s*=>\s*(.*)$")
_STEP = re.compile(r"(?:(?P<pattern>[^,]+),)?(?P<priority>\d+|n)(?:\((?P<label>\w+)\))?,(?P<app>\w+)\((?P<args>.*)\)$")
_CONDITION = re.compile(r'\$\["(?P<left>[^"]*)"\s*(?P<op>!?=)\s*"(?P<right>[^"]*)"\]\?(?P<label>\w+)$')
_CLASSES = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}


@attrs.frozen
class Entered:
    """The call entered a Stasis application, with these arguments."""

    app: str
    args: tuple[str, ...]


@attrs.frozen
class HungUp:
    """The dialplan hung the call up with this Q.850 cause."""

    cause: int


@attrs.frozen
class _Step:
    label: str | None
    app: str
    args: str


def _matcher(pattern: str) -> re.Pattern[str]:
    if not pattern.startswith("_"):
        return re.compile(re.escape(pattern))
    return re.compile("".join(_CLASSES.get(c, re.escape(c)) for c in pattern[1:]))


class Dialplan:
    """Contexts of extensions, each a list of steps; :meth:`run` plays one call through a context."""

    def __init__(self, text: str) -> None:
        self.contexts: dict[str, list[tuple[re.Pattern[str], list[_Step]]]] = {}
        context: list[tuple[re.Pattern[str], list[_Step]]] | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split(";", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                context = self.contexts.setdefault(line[1:-1], [])
                continue
            found = _LINE.match(line)
            step = _STEP.match(found.group(2)) if found else None
            if found is None or step is None or context is None or step["app"] not in ("Stasis", "GotoIf", "Hangup"):
                raise ValueError(f"dialplan line {number} is not understood by the fake: {raw!r}")
            if found.group(1) == "exten":
                if step["pattern"] is None or step["priority"] != "1":
                    raise ValueError(f"dialplan line {number}: an extension starts at priority 1")
                context.append((_matcher(step["pattern"]), []))
            elif not context or step["priority"] != "n":
                raise ValueError(f"dialplan line {number}: 'same => n' follows an extension")
            context[-1][1].append(_Step(step["label"], step["app"], step["args"]))

    def _steps(self, context: str, exten: str) -> list[_Step] | None:
        return next((s for pattern, s in self.contexts.get(context, ()) if pattern.fullmatch(exten)), None)

    def has_label(self, context: str, exten: str, label: str) -> bool:
        """Whether the extension has a step with that label (an originate naming one it lacks answers 404)."""
        return any(step.label == label for step in self._steps(context, exten) or ())

    def run(
        self, context: str, exten: str, enter: Callable[[str], bool], variables: Mapping[str, str] | None = None
    ) -> Entered | HungUp:
        """Play a call to ``exten`` through ``context``; ``enter(app)`` says whether the application is connected.

        ``variables`` are the channel's own (an originate's ``variables``). An extension no pattern matches is hung
        up with cause 1 (Asterisk answers 404).
        """
        steps = self._steps(context, exten)
        if steps is None:
            return HungUp(1)
        values = {**(variables or {}), "EXTEN": exten, "STASISSTATUS": ""}
        index = 0
        while index < len(steps):
            step = steps[index]
            args = re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), ""), step.args)
            index += 1
            if step.app == "Stasis":
                app, *rest = args.split(",")
                if enter(app):
                    return Entered(app, tuple(rest))
                values["STASISSTATUS"] = "FAILED"
            elif step.app == "GotoIf":
                # Variables are substituted in the condition first, as Asterisk does.
                condition = _CONDITION.match(args)
                if condition is None:
                    raise ValueError(f"GotoIf condition not understood by the fake: {step.args!r}")
                equal = condition["left"] == condition["right"]
                if equal == (condition["op"] == "="):
                    labels = [i for i, s in enumerate(steps) if s.label == condition["label"]]
                    if not labels:
                        raise ValueError(f"GotoIf names a label the extension does not have: {step.args!r}")
                    index = labels[0]
            else:
                return HungUp(int(args) if args else 16)
        return HungUp(16)
