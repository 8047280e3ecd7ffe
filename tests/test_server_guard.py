"""tpop_kb/server_guard.py and the .xlsx bound, without a server (issue 12).

The running server is tested in tests/browser/test_server_guard.py; these check the
pieces on their own: frame checks in bounded time, credentials out of kernel
environments, defusedxml under openpyxl.
"""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1
from jupyter_server.services.kernels.connection.channels import serialize_binary_message

from tpop_kb import server_guard as guard


def test_a_legacy_frame_is_not_read_as_v1_and_in_bounded_time() -> None:
    # The message of the report: a legacy binary frame (4-byte big-endian offsets), whose
    # first 8 bytes Voila took for a count of offsets (about 2**33 here).
    legacy = serialize_binary_message(
        {"header": {"msg_type": "comm_msg"}, "parent_header": {}, "metadata": {},
         "content": {}, "buffers": [b"\0" * 1000]}
    )
    assert int.from_bytes(legacy[:8], "little") > 2**30
    start = time.monotonic()
    assert guard.safe_read_header_from_binary_message(legacy) is None
    assert guard.v1_offsets(legacy) is None
    assert time.monotonic() - start < 0.1
    frame = serialize_msg_to_ws_v1([b'{"msg_type": "status"}', b"{}", b"{}", b"{}"], "iopub")
    assert guard.safe_read_header_from_binary_message(frame) == {"msg_type": "status"}


@settings(max_examples=300, deadline=200)
@given(st.binary(max_size=4096))
def test_any_bytes_are_checked_quickly(data: bytes) -> None:
    offsets = guard.v1_offsets(data)
    assert offsets is None or offsets[-1] == len(data)
    guard.safe_read_header_from_binary_message(data)


def test_kernel_environments_hold_no_token() -> None:
    token = "t" * 43
    env = guard.kernel_environment(
        {
            "PATH": "/usr/bin",
            "JUPYTER_TOKEN": token,
            "TPOP_KB_TOKEN": token,
            "SOMETHING": f"x{token}y",
            "QUERY_STRING": f"order_id=TP-1&token={token}&_xsrf=abc&lang=en",
            "VOILA_REQUEST_URL": f"http://h:1/voila/render/a.ipynb?token={token}&order_id=TP-1",
        },
        token,
        "/voila/kernel-query/KEY/",
    )
    assert token not in repr(env)
    assert env["PATH"] == "/usr/bin"
    assert env["QUERY_STRING"] == "order_id=TP-1&lang=en"
    assert env["VOILA_REQUEST_URL"] == "http://h:1/voila/render/a.ipynb?order_id=TP-1"
    assert env["VOILA_WS_BASE_URL"] == "/voila/kernel-query/KEY/"
    assert guard.scrub_query("paste=a%20b&tracking_number=LA1") == "paste=a%20b&tracking_number=LA1"


def test_a_kernel_key_is_its_own() -> None:
    one, two = "1a2b3c4d-0000-4000-8000-000000000001", "1a2b3c4d-0000-4000-8000-000000000002"
    assert guard.kernel_key(one) != guard.kernel_key(two)
    assert len(guard.kernel_key(one)) >= 40


def test_openpyxl_parses_with_defusedxml() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
