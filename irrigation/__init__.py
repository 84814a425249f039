"""Paddy water: sensors, gates, the rice water calendar and the controller.

Not built yet: see the project's issue "Paddy water that keeps itself right".
"""
