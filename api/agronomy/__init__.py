"""Agronomy at the edge: the jobs the command line, the routes and the demo share, the
stored images and prescriptions, and the yield forecast's set-up from a field's data."""
