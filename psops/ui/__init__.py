"""What every app's views share: the htmx request type and render helper, the
form-error helper, server-rendered charts, and number and period helpers.

It knows no feature: apps import from here, never the other way round.
"""
