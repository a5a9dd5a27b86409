"""Deliberately broken variants of the reference connector, each changed in ONE way, to prove that the suite fails
what it should. Each module has `make_adapter(config)` (the reference adapter with one component patched),
`TARGETS` (the checks the defect must fail) and `LEVELS` (the levels it is run at); every other check of those
levels must still pass. Try one by hand:

    exsim conformance --adapter tests.conformance.broken.no_throttling:make_adapter --level robust
"""

VARIANTS = ("ignores_partial_fills", "double_counts_fills", "wrong_fee_asset", "no_depth_resync",
            "no_silence_reconnect", "no_throttling", "no_lost_order_recovery", "duplicate_after_lost_response",
            "ignores_funding", "wrong_position_side", "close_position_done_at_first_fill", "ignores_418",
            "no_time_resync")
