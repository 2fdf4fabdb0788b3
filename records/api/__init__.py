"""REST API (JWT only, listed in the OpenAPI spec at /api/v1/_openapi)."""

from records.api.kependudukan import KeluargaApi, PendudukApi
from records.api.records import RecordApi
from records.api.search import SearchApi


def register(appbuilder) -> None:
    """Add every core API to Flask-AppBuilder."""
    for api in (PendudukApi, KeluargaApi, RecordApi, SearchApi):
        appbuilder.add_api(api)
