"""A lost database connection (`common.db`): never reused, a request that lost it
before any write runs again on a fresh one, and one that cannot reach the database
answers 503 with Retry-After. The connection is really terminated by PostgreSQL
(`pg_terminate_backend`), at the moment a chosen statement is sent."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from preferences.models import Topic
from tests.conftest import require_service
from tests.db_cut import terminate_backend

pytestmark = pytest.mark.urls(__name__)


def reads(request):
    return HttpResponse(",".join(Topic.objects.order_by("slug").values_list("slug", flat=True)))


def writes_then_reads(request):
    Topic.objects.create(slug="written", name="Written")
    return HttpResponse(str(Topic.objects.count()))


urlpatterns = [path("reads/", reads), path("writes/", writes_then_reads),
               path("api/v1/reads/", reads)]


@pytest.fixture
def pg(transactional_db):
    require_service(connection.vendor == "postgresql",
                    "needs PostgreSQL: set DATABASE_URL=postgres://...")
    Topic.objects.create(slug="news", name="News")
    return connection


class CutAtSelect:
    """Terminates the connection as the next `times` SELECTs are sent."""

    def __init__(self, times: int = 1):
        self.times, self.cut = times, 0

    def __call__(self, execute, sql, params, many, context):
        if self.cut < self.times and sql.lstrip().upper().startswith("SELECT"):
            self.cut += 1
            terminate_backend(context["connection"].connection.info.backend_pid)
        return execute(sql, params, many, context)


def test_it_runs_a_read_again_on_a_fresh_connection(pg, client):
    cut = CutAtSelect()
    with connection.execute_wrapper(cut):
        response = client.get("/reads/")
    assert (response.status_code, response.content) == (200, b"news")
    assert cut.cut == 1


def test_it_never_reuses_the_lost_connection(pg, client):
    before = connection.connection.info.backend_pid
    with connection.execute_wrapper(CutAtSelect()):
        client.get("/reads/")
    assert connection.connection.info.backend_pid != before
    assert client.get("/reads/").status_code == 200


def test_it_does_not_run_a_write_twice(pg, client):
    with connection.execute_wrapper(CutAtSelect()):
        response = client.get("/writes/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert Topic.objects.filter(slug="written").count() == 1  # written once, not twice


def test_it_answers_503_with_retry_after_when_the_database_stays_away(pg, client):
    with connection.execute_wrapper(CutAtSelect(times=2)):
        response = client.get("/reads/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "back in a moment" in page and "Traceback" not in page


def test_the_api_answers_503_in_its_error_shape(pg, client):
    with connection.execute_wrapper(CutAtSelect(times=2)):
        response = client.get("/api/v1/reads/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "unavailable"
