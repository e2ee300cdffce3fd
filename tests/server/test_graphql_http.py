"""GraphQL over HTTP: methods, media types, status codes and error bodies."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

QUERY = "{ actors { totalCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def test_post_json(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": QUERY})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] == {"actors": {"totalCount": 6}}


def test_get_with_variables_and_operation_name(client: TestClient) -> None:
    response = client.get(
        "/graphql",
        params={
            "query": "query A($n: Int) { actors(first: $n) { nodes { name } } } "
            "query B { __typename }",
            "variables": '{"n": 1}',
            "operationName": "A",
        },
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"actors": {"nodes": [{"name": "Corinna Brown"}]}}


def test_graphql_response_media_type_is_honoured(client: TestClient) -> None:
    headers = {"accept": GRAPHQL_RESPONSE}
    ok = client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert (ok.status_code, ok.headers["content-type"]) == (200, GRAPHQL_RESPONSE)
    invalid = client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert invalid.status_code == 400
    assert invalid.headers["content-type"] == GRAPHQL_RESPONSE
    assert "data" not in invalid.json()
    assert invalid.json()["errors"][0]["message"].startswith("Cannot query field 'nope'")


def test_json_clients_get_200_for_validation_errors(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ nope }"})
    assert response.status_code == 200
    assert "data" not in response.json()


def test_field_errors_keep_partial_data(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        json={"query": '{ actors(first: 1) { totalCount } node(id: "bad") { id } }'},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"actors": {"totalCount": 6}, "node": None}
    assert body["errors"][0]["path"] == ["node"]


def test_a_null_bubbling_to_the_root_is_still_an_execution_result(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        json={"query": '{ shows(after: "not a cursor") { totalCount } }'},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    ("content_type", "body", "status", "message"),
    [
        (
            "application/x-www-form-urlencoded",
            "query=x",
            415,
            "POST bodies must be application/json",
        ),
        ("text/plain", QUERY, 415, "POST bodies must be application/json"),
        ("application/json", "{not json", 400, "the body is not valid JSON (line 1, column 2)"),
        ("application/json", "", 400, "the body is empty"),
        ("application/json", "[]", 400, "batching is not supported"),
        ("application/json", "3", 400, "the body must be a JSON object"),
        ("application/json", '{"query": 1}', 400, "`query` must be a string"),
        (
            "application/json",
            '{"query": "{ __typename }", "variables": [1]}',
            400,
            "`variables` must be a JSON object or null",
        ),
        (
            "application/json",
            '{"query": "{ __typename }", "operationName": 3}',
            400,
            "`operationName` must be a string or null",
        ),
    ],
)
def test_malformed_requests(
    client: TestClient, content_type: str, body: str, status: int, message: str
) -> None:
    response = client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == status
    assert response.json()["errors"][0]["message"].startswith(message)


def test_mutation_over_get_is_405(client: TestClient) -> None:
    response = client.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "errors": [{"message": "mutations are not allowed when using GET; use POST"}]
    }


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_subscriptions_are_not_served_over_http(client: TestClient, method: str) -> None:
    query = "subscription { graphChanged { graphVersion } }"
    if method == "GET":
        response = client.get("/graphql", params={"query": query})
    else:
        response = client.post("/graphql", json={"query": query})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "subscriptions need a stream: send `Accept: text/event-stream` "
                "(Server-Sent Events) or subscribe over a WebSocket"
            }
        ]
    }


def test_other_methods_are_405(client: TestClient) -> None:
    response = client.delete("/graphql")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD, POST")


def test_unacceptable_accept_is_406(client: TestClient) -> None:
    response = client.get("/graphql", params={"query": QUERY}, headers={"accept": "text/csv"})
    assert response.status_code == 406
    assert "accept application/graphql-response+json or application/json" in response.text


def test_get_without_query_is_400(client: TestClient) -> None:
    response = client.get("/graphql", headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "the request has no `query` parameter"}]}


@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRAPHQL_RESPONSE, 400)])
def test_unknown_operation_name_is_a_request_error(
    client: TestClient, accept: str, status: int
) -> None:
    response = client.post(
        "/graphql", json={"query": QUERY, "operationName": "Nope"}, headers={"accept": accept}
    )
    assert response.status_code == status
    assert response.json() == {"errors": [{"message": "Unknown operation named 'Nope'."}]}


@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRAPHQL_RESPONSE, 400)])
def test_several_operations_need_an_operation_name(
    client: TestClient, accept: str, status: int
) -> None:
    # Strawberry would run the first one; the spec says the request is in error.
    document = "query A { __typename } query B { actors { totalCount } }"
    response = client.post("/graphql", json={"query": document}, headers={"accept": accept})
    assert response.status_code == status
    assert response.json() == {
        "errors": [
            {
                "message": "The document has several operations: say which to run with "
                "`operationName`."
            }
        ]
    }
    named = client.post("/graphql", json={"query": document, "operationName": "B"})
    assert named.json()["data"] == {"actors": {"totalCount": 6}}


def test_a_document_without_operations_is_a_request_error(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        json={"query": "fragment F on Query { __typename }"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "The document has no operation to run."}]}


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
)
def test_simple_cross_site_posts_cannot_run_anything(client: TestClient, content_type: str) -> None:
    # The content types a page on another site may POST without a preflight.
    response = client.post(
        "/graphql", content=f'{{"query": "{QUERY}"}}', headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert "data" not in response.json()


def test_charset_parameter_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=f'{{"query": "{QUERY}"}}'.encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.json()["data"] == {"actors": {"totalCount": 6}}
