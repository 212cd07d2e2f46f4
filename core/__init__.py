"""The ground floor: settings, language and the shared vocabulary.

Every other package (`shop`, `handoff`, `bot`, `actions`, `connectors`, `tools`) stands on this
one, and this one imports nothing else of the project, so a fact defined here has exactly one
definition and no room can pull another room in by importing it.
"""
