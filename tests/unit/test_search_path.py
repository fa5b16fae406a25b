"""A URL's search_path and the URLs of a schema per tenant, without a server."""

from __future__ import annotations

import pytest

from schemactl._errors import ConfigurationError
from schemactl._search_path import entry, schemas, tracking_table
from schemactl._tenants import parse_schemas, tenant_urls


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tenant_a", ["tenant_a"]),
        ("Tenant_A, public", ["tenant_a", "public"]),  # folded, as the server reads it
        ('"Tenant B",public', ["Tenant B", "public"]),
        ('"a,b", "say ""hi"""', ["a,b", 'say "hi"']),
    ],
)
def test_schemas_of_a_search_path(value: str, expected: list[str]) -> None:
    assert schemas(value) == expected


@pytest.mark.parametrize("value", ["", "a,,b", '"open', "a, ,b", ","])
def test_a_malformed_search_path_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="search_path"):
        schemas(value)


@pytest.mark.parametrize("name", ["tenant_a", "Tenant B", 'odd"name', "a,b", "select"])
def test_an_entry_reads_back_as_its_schema(name: str) -> None:
    assert schemas(entry(name)) == [name]


def test_the_tracking_table_goes_to_the_first_schema() -> None:
    assert tracking_table("schema_migrations", None) == "schema_migrations"
    assert tracking_table("schema_migrations", '"T", public') == "T.schema_migrations"
    assert tracking_table("ops.schema_migrations", "t") == "ops.schema_migrations"


def test_tenant_urls() -> None:
    base = "postgres://app:p%40ss@db:5432/app"
    assert tenant_urls(base, ["a", "Tenant B"]) == [
        f"{base}?search_path=a",
        f"{base}?search_path=%22Tenant%20B%22",
    ]
    assert tenant_urls(f"{base}?sslmode=require", ["a"]) == [
        f"{base}?sslmode=require&search_path=a"
    ]
    for url, message in [
        ("mysql://root@db/app", "PostgreSQL's"),
        ("sqlite:app.db", "PostgreSQL's"),
        (f"{base}?search_path=x", "sets search_path already"),
    ]:
        with pytest.raises(ConfigurationError, match=message):
            tenant_urls(url, ["a"])


def test_parse_schemas() -> None:
    assert parse_schemas(" a, b ,a") == ["a", "b"]
    for bad in ("", "a,,b", " , "):
        with pytest.raises(ConfigurationError, match="--schemas"):
            parse_schemas(bad)
