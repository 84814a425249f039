"""A MAVLink vehicle simulator in the ArduPilot Copter dialect.

Not built yet: see the project's issue "Simulator and fleet link".
"""
