"""Parameters read from query and body, and the typed getters' Binance errors."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.dialects.binance.wire import errors
from simulator.dialects.binance.wire.errors import BinanceError
from simulator.dialects.binance.wire.params import MAX_PARAMETERS, MAX_REQUEST_SIZE, Params

DECIMAL_MSG = "Illegal characters found in parameter '{}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."


def parse(query: str = "", body: bytes = b"") -> Params:
    return Params.parse(query, body)


def fails(call, code: int, msg: str | None = None) -> BinanceError:
    with pytest.raises(BinanceError) as caught:
        call()
    assert caught.value.code == code
    if msg is not None:
        assert caught.value.msg == msg
    return caught.value


# --- reading query and body -----------------------------------------------------------------------------
def test_reads_query_and_body_together_and_keeps_the_raw_bytes():
    params = parse("symbol=BTCUSDT&side=BUY", b"quantity=1&price=0.1")
    assert [params.required(name) for name in ("symbol", "side", "quantity", "price")] == [
        "BTCUSDT", "BUY", "1", "0.1"
    ]
    assert params.raw_query == "symbol=BTCUSDT&side=BUY"
    assert params.raw_body == b"quantity=1&price=0.1"


def test_the_query_wins_over_the_body():
    assert parse("price=1", b"price=2").required("price") == "1"


@pytest.mark.parametrize(("query", "body"), [("a=1&a=2", b""), ("", b"a=1&a=2"), ("a=1&a=", b"")])
def test_a_name_repeated_within_one_part_is_refused(query, body):
    fails(lambda: parse(query, body), -1101, "Duplicate values for a parameter detected.")


def test_percent_encoding_and_plus_are_decoded():
    params = parse("symbols=%5B%22BTCUSDT%22%5D&note=a+b%20c")
    assert params.required("note") == "a b c"
    assert params.json_list("symbols") == ["BTCUSDT"]


def test_a_json_looking_body_is_read_as_form_data_and_harms_nothing():
    params = parse("symbol=BTCUSDT", b'{"symbol": "ETHUSDT"}')
    assert params.required("symbol") == "BTCUSDT"


@pytest.mark.parametrize(("query", "body"), [("", b"symbol=\xff"), ("symbol=%FF", b""), ("", b"symbol=%C3")])
def test_bytes_that_are_not_utf8_are_illegal_characters(query, body):
    fails(lambda: parse(query, body), -1100, "Illegal characters found in a parameter.")


def test_oversized_requests_are_refused():
    fails(lambda: parse("a=" + "x" * MAX_REQUEST_SIZE), -1101, "Too many parameters sent for this endpoint.")
    fails(lambda: parse("a=1", b"b=" + b"x" * MAX_REQUEST_SIZE), -1101)


def test_too_many_parameters_are_refused_counting_both_parts():
    half = MAX_PARAMETERS // 2
    query = "&".join(f"q{i}=1" for i in range(half))
    body = "&".join(f"b{i}=1" for i in range(MAX_PARAMETERS - half)).encode()
    assert parse(query, body).required("b0") == "1"
    fails(lambda: parse(query + "&one=more", body), -1101, "Too many parameters sent for this endpoint.")


# --- strings ------------------------------------------------------------------------------------------
def test_required_refuses_a_missing_or_empty_value_naming_it():
    msg = "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
    fails(lambda: parse("").required("symbol"), -1102, msg)
    fails(lambda: parse("symbol=").required("symbol"), -1102, msg)


def test_optional_treats_empty_as_absent_but_contains_sees_it():
    params = parse("price=&side=BUY")
    assert params.optional("price") is None
    assert params.optional("missing") is None
    assert params.optional("side") == "BUY"
    assert "price" in params and "missing" not in params


# --- decimal --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"), [("0.1", "0.1"), ("5", "5"), ("00.010", "0.010"), ("9" * 20, "9" * 20)]
)
def test_decimal_reads_plain_numbers_exactly(text, value):
    assert parse(f"price={text}").decimal("price") == Decimal(value)


@pytest.mark.parametrize("text", ["1e5", "-1", "+1", "1.", ".5", "1,5", " 1", "NaN", "1" * 21, "0." + "1" * 21])
def test_decimal_refuses_anything_else_with_binances_legal_range(text):
    fails(lambda: parse("", f"price={text}".encode()).decimal("price"), -1100, DECIMAL_MSG.format("price"))


def test_decimal_absent_is_none_unless_required():
    assert parse("").decimal("price") is None
    fails(lambda: parse("").decimal("price", required=True), -1102)


# --- integer --------------------------------------------------------------------------------------------
def test_integer_reads_digits():
    assert parse("orderId=12345678901234567890").integer("orderId") == 12345678901234567890


@pytest.mark.parametrize("text", ["abc", "-1", "1.0", "1e3", "1" * 21])
def test_integer_refuses_non_digits(text):
    fails(
        lambda: parse(f"limit={text}").integer("limit"),
        -1100,
        "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.",
    )


def test_integer_bounds_are_invalid_parameter():
    params = parse("limit=0&depth=5001&ok=5000")
    msg = "Data sent for parameter 'limit' is not valid."
    fails(lambda: params.integer("limit", min=1), -1130, msg)
    fails(lambda: params.integer("depth", max=5000), -1130)
    assert params.integer("ok", min=1, max=5000) == 5000
    fails(lambda: params.integer("absent", required=True), -1102)


# --- boolean --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [("true", True), ("True", True), ("FALSE", False), ("false", False)])
def test_boolean_is_case_insensitive(text, value):
    assert parse(f"flag={text}").boolean("flag") is value


def test_boolean_refuses_other_words():
    fails(lambda: parse("flag=yes").boolean("flag"), -1130, "Data sent for parameter 'flag' is not valid.")
    assert parse("").boolean("flag") is None


# --- enum -----------------------------------------------------------------------------------------------
def test_enum_accepts_allowed_values_and_uses_the_given_error():
    params = parse("side=BUY&bad=buy")
    assert params.enum("side", ("BUY", "SELL"), errors.invalid_side) == "BUY"
    fails(lambda: params.enum("bad", ("BUY", "SELL"), errors.invalid_side), -1117, "Invalid side.")


def test_enum_defaults_to_invalid_parameter_and_required_to_mandatory():
    fails(lambda: parse("mode=X").enum("mode", ("A",)), -1130, "Data sent for parameter 'mode' is not valid.")
    fails(lambda: parse("").enum("side", ("BUY",), errors.invalid_side, required=True), -1102)


# --- client order ids -------------------------------------------------------------------------------------
def test_client_order_id_accepts_binances_alphabet():
    params = parse("newClientOrderId=" + "a-_Z9" * 7 + "x")
    assert params.client_order_id("newClientOrderId") == "a-_Z9" * 7 + "x"
    assert params.client_order_id("origClientOrderId") is None


def test_empty_client_order_ids_have_their_own_errors():
    params = parse("newClientOrderId=&origClientOrderId=")
    fails(lambda: params.client_order_id("newClientOrderId"), -1118, "New client order ID was empty.")
    fails(lambda: params.client_order_id("origClientOrderId"), -1119, "Original client order ID was empty.")


@pytest.mark.parametrize("value", ["x" * 37, "has%20space", "dot.ted", "%C3%A9"])
def test_client_order_id_outside_the_range_is_illegal(value):
    fails(
        lambda: parse(f"newClientOrderId={value}").client_order_id("newClientOrderId"),
        -1100,
        "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
    )


# --- JSON lists -----------------------------------------------------------------------------------------
def test_json_list_reads_symbol_arrays():
    assert parse('symbols=["BTCUSDT","ETHUSDT"]').json_list("symbols") == ["BTCUSDT", "ETHUSDT"]
    assert parse("symbols=[]").json_list("symbols") == []
    assert parse("").json_list("symbols") is None


@pytest.mark.parametrize("text", ["BTCUSDT", '["BTCUSDT"', '"BTCUSDT"', '["btcusdt"]', "[1]", '{"a":"B"}'])
def test_json_list_refuses_anything_else(text):
    error = fails(lambda: parse("", f"symbols={text}".encode()).json_list("symbols"), -1100)
    assert error.msg.startswith("Illegal characters found in parameter 'symbols'; legal range is '^\\[")


@settings(max_examples=500, derandomize=True, database=None)
@given(st.text(alphabet="ab=&;x1 é", max_size=16))
def test_plain_parts_parse_exactly_as_parse_qsl(text):
    """The fast path for parts with nothing to decode agrees with the standard library."""
    pairs = parse_qsl(text, keep_blank_values=True)
    if len({name for name, _ in pairs}) < len(pairs):
        with pytest.raises(BinanceError):
            Params.parse(text, b"")
    else:
        params = Params.parse(text, b"")
        for name, value in pairs:
            assert name in params and params.optional(name) == (value or None)
