"""Faults survived: real services and processes of the tests' own, stopped, restarted or
killed while the app serves, and what users see then (marked ``faults``)."""
