"""Property-based run over the whole OpenAPI document, in-process and authenticated as admin:
no 5xx and no response outside the documented schema."""
import contextvars
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from backend.context import Actor, acting_as

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))  # CI; a long run: 200+
CASE_LOG = os.environ.get("SCHEMATHESIS_CASE_LOG")  # a file: one "METHOD path status" line per case


@pytest.fixture
def api_schema(app):
    return schemathesis.from_wsgi("/api/openapi.json", app)


schema = schemathesis.from_pytest_fixture("api_schema")


@pytest.fixture
def admin_token(make_user, make_product, make_warehouse, make_supplier, make_customer):
    from backend.services.users import create_token

    user = make_user("admin")
    # something to find, so that item routes with id 1 exercise real objects too
    make_warehouse(), make_product(), make_supplier(), make_customer()
    with acting_as(Actor(user.id, user.username, "cli")):
        _, secret = create_token(user, "schemathesis")
    return secret


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_5xx_and_matches_its_schema(case, admin_token):
    if case.path.endswith("/auth/logout") or case.path.endswith("/auth/password"):
        pytest.skip("would end the session the run depends on")
    headers = {**(case.headers or {}), "Authorization": f"Bearer {admin_token}"}
    # Each call in a fresh context: its own app context and DB session, as in production.
    response = contextvars.Context().run(case.call_wsgi, headers=headers)
    if CASE_LOG:
        with open(CASE_LOG, "a") as log:
            log.write(f"{case.method} {case.path} {response.status_code}\n")
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance))
