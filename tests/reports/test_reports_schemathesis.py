"""Property-based run over the report and dashboard operations only (more examples than the whole-API run):
no 5xx, and every response matches the documented schema and content type."""
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

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture
def api_schema(app):
    return schemathesis.from_wsgi("/api/openapi.json", app)


schema = schemathesis.from_pytest_fixture("api_schema").include(path_regex=r"^/api/v1/(reports/|dashboard)")


@pytest.fixture
def admin_token(make_user, make_product, make_warehouse):
    from backend.services.users import create_token

    user = make_user("admin")
    make_warehouse(), make_product()
    with acting_as(Actor(user.id, user.username, "cli")):
        _, secret = create_token(user, "schemathesis")
    return secret


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_reports_never_5xx_and_match_their_schema(case, admin_token):
    headers = {**(case.headers or {}), "Authorization": f"Bearer {admin_token}"}
    response = contextvars.Context().run(case.call_wsgi, headers=headers)
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance))
