"""Pure flight planning: spray coverage, survey grids, delivery routes and the safety check.

Not built yet: see the project's issue "Mission planner".
"""
