"""The ccxt adapter through the pytest plugin, as a connector author's own test file would run it: a few checks of
each market (the whole report of both shipped adapters is in the README; `exsim conformance --adapter ccxt`)."""
from __future__ import annotations

import pytest

pytest.importorskip("ccxt")

from conformance.adapters.ccxt_adapter import make_adapter  # noqa: E402
from conformance.plugin import PerpetualConformance, SpotConformance  # noqa: E402

pytestmark = pytest.mark.interop


class TestCcxtSpot(SpotConformance):
    conformance_ids = ("RULES-001", "ORDER-003", "FILL-001", "BOOK-001", "BAL-002", "FILL-101")

    @pytest.fixture
    def adapter_factory(self):
        return make_adapter


class TestCcxtPerpetual(PerpetualConformance):
    conformance_ids = ("PERP-003", "PERP-008", "PERP-011")

    @pytest.fixture
    def adapter_factory(self):
        return make_adapter
