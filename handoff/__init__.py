"""The agents' room: cases and their lifecycle, the queue, SLA clock, handoff package and the agent API."""
