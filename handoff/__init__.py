"""The agents' room: cases, queue, SLA and the agent API (built by the handoff issue)."""
