"""Capacity: how much load the gateway and its providers sustain (the probe), and what a
traffic forecast will cost in tokens and dollars, reserved against burst (the forecast)."""
