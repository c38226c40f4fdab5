"""Finding a request by the reference people type: REQ-1042, req-1042 or 1042."""

from __future__ import annotations

import pytest

from intake.errors import NotFound
from intake.requests.service import get_by_ref


@pytest.mark.parametrize("ref", ["REQ-99999999999", "REQ-2147483648", "99999999999999999999"])
def test_a_reference_beyond_any_request_number_is_not_found(session, ref):
    # Given an empty database, When a reference too large to be a request number is looked up
    # Then it names no request, on every database
    with pytest.raises(NotFound, match="no request"):
        get_by_ref(session, ref)


@pytest.mark.parametrize("ref", ["REQ-x", "REQ-²", ""])
def test_a_reference_that_is_not_a_number_is_refused(session, ref):
    with pytest.raises(NotFound, match="not a request reference"):
        get_by_ref(session, ref)
