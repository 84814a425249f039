"""Drone delivery of medicine: requests, dispatch, the delivery lifecycle.

Not built yet: see the project's issue "Drone delivery".
"""
