"""One customer message as the channel runs it, in a form that outlives the process handling it.

A message WeChat has been answered for ("success": Rasa took longer than the passive reply's
3.5 s) is never sent again by WeChat; if the process handling it dies, only what the channel kept
in Redis can bring it back (`state.Lease.record`, `sweeper.Sweeper`). This is what it keeps: the
fields of the decrypted message the channel needs to run it again, nothing of WeChat's envelope.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Dict, Optional


@dataclass(frozen=True)
class Inbound:
    """`key`: the message's key (MsgId, or `<openid>:<CreateTime>:<event>`); `text`: what Rasa
    gets (a numbered choice already turned into its payload, a follow into the greeting), so a
    run after the choices were used up sends what the first run sent; `attempts`: how many times
    a process took the message to run it (the sweeper gives up on a message that keeps killing
    its processes)."""

    key: str
    openid: str
    kind: str
    event: str
    text: str
    account: str
    msg_id: Optional[int] = None
    created: int = 0
    attempts: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Inbound:
        """Raises ValueError for what the channel did not write (the sweeper drops it)."""
        found: Any = json.loads(raw)
        if not isinstance(found, dict):
            raise ValueError("not an object")
        try:
            msg_id = found.get("msg_id")
            return cls(key=str(found["key"]), openid=str(found["openid"]), kind=str(found["kind"]),
                       event=str(found.get("event") or ""), text=str(found["text"]),
                       account=str(found.get("account") or ""),
                       msg_id=int(msg_id) if msg_id is not None else None,
                       created=int(found.get("created") or 0), attempts=int(found.get("attempts") or 0))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"missing or wrong field: {exc}") from exc

    def again(self, earlier: Optional[Inbound]) -> Inbound:
        """This run of the message, counted after the runs recorded before it. An earlier run's
        text wins: it was resolved while the customer's numbered choices still existed."""
        if earlier is None:
            return replace(self, attempts=1)
        return replace(self, text=earlier.text, attempts=earlier.attempts + 1)

    def metadata(self) -> Dict[str, Any]:
        """Rasa's `metadata` of the user message (the same on every run)."""
        return {"wechat": {"msg_id": self.msg_id, "openid": self.openid, "account": self.account,
                           "type": self.kind, "event": self.event or None}}
