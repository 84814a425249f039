"""The composition root: settings, the database, the registry services and the ``tanbo`` command.

Nothing imports ``api``; it imports everything it wires together.
"""
