"""Pure flight planning: spray coverage, survey grids, delivery routes and the safety check.

Values in, values out: planners take fields already projected by :mod:`fields.crs`
and return :class:`FlightPlan` values in local metres; exporters turn them into
MAVLink items and files.
"""

from mission_planner.plan import Action, FlightPlan, Leg, PayloadRelease, Point, SprayerControl

__all__ = ["Action", "FlightPlan", "Leg", "PayloadRelease", "Point", "SprayerControl"]
