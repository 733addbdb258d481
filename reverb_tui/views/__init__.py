"""Plain-Python state behind the screens: what a screen shows and decides, without Textual.

Nothing here imports Textual or the UI modules (tests/unit/test_layering.py checks it), so the
state can be unit-tested directly, without a Pilot.
"""
