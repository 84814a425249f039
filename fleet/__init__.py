"""Talking to vehicles over MAVLink: links, telemetry, commands, mission transfer, flight logs.

Not built yet: see the project's issue "Simulator and fleet link".
"""
