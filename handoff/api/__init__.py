"""The agents' HTTP API (Sanic, as Rasa uses): one blueprint per resource over the desk.

`create_app` (handoff/api/app.py) puts it together; `python -m handoff.service` runs it.
"""
