"""The execute stage: which executor answers a document, and where it runs.

Answers are held to the reference's elsewhere (``tests/server/test_compiled.py``);
here: a new document gets a plan on first sight only when its code was
compiled before or another new document missed the same code, it then
answers what the reference answers, and a first run stays on the event loop
only when the document is small and has no arguments.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from graphql import OperationType

import server.pipeline.execution as execution
from graph_data import ShowGraph, load_graph
from schema.connections import page_limit
from server.app import create_app
from server.compiled import NotCompiledError, Plan, compile_query, forget_compiled
from server.context import RequestContext
from server.pipeline import GraphQLRequest, Pipeline, Transport
from server.pipeline.documents import parse_document
from server.settings import Settings


@pytest.fixture
def pipeline() -> Pipeline:
    graph: ShowGraph = load_graph()
    found: Pipeline = create_app(Settings(), graph=graph).state.endpoint.pipeline
    return found


def run(pipeline: Pipeline, query: str, cost: int | None = None, **variables: Any) -> Any:
    """The executor's result for a query, prepared as the pipeline prepares it (and
    its document); ``cost`` stands for the estimate if given."""
    prepared = pipeline.prepare(GraphQLRequest(query, variables, None, None, Transport.POST))

    async def execute() -> Any:
        context = pipeline.context(prepared.request)
        with page_limit(100):
            return await pipeline.executor.run(
                prepared.document,
                None,
                OperationType.QUERY,
                prepared.variables,
                context,
                prepared.cost if cost is None else cost,
            )

    return asyncio.run(execute()), prepared.document


def reference(pipeline: Pipeline, query: str, **variables: Any) -> Any:
    prepared = pipeline.prepare(GraphQLRequest(query, variables, None, None, Transport.POST))
    context = RequestContext(graph=pipeline.graph)
    with page_limit(100):
        return pipeline.executor.reference(prepared.document, None, prepared.variables, context)


def test_a_new_alias_of_a_compiled_query_runs_from_a_plan_on_first_sight(
    pipeline: Pipeline,
) -> None:
    shape = "{ KEY: actors(first: 3) { nodes { name characters { name } } } }"
    known = pipeline.documents.get(shape.replace("KEY", "seen"))
    pipeline.executor.compile(known, None)  # its code is now in CODE
    for alias in ("fresh", "other"):
        query = shape.replace("KEY", alias)
        result, document = run(pipeline, query)
        assert isinstance(document.plans[None], Plan)  # made on its first run
        assert document.runs == 0  # the reference never ran
        assert result.data == reference(pipeline, query).data
        assert result.errors is None


def test_a_document_needing_new_code_runs_through_the_reference(pipeline: Pipeline) -> None:
    query = "{ shows(first: 1) { nodes { name network genres synopsis } } }"
    document = parse_document(query, 100_000, 10**6)
    operation = document.operations[0]
    forget_compiled()  # nothing compiled before
    with pytest.raises(NotCompiledError):
        compile_query(pipeline.schema, document.node, operation, compile_missing=False)
    forget_compiled()  # and that miss forgotten: a second one would compile the code
    result, document = run(pipeline, query)
    assert None not in document.plans  # no plan on first sight: it needs code of its own
    assert document.runs == 1
    assert pipeline.documents.peek(query) is None  # seen once: not kept
    assert result.data == reference(pipeline, query).data


def test_a_server_seeing_only_new_documents_gets_plans_from_the_second(
    pipeline: Pipeline,
) -> None:
    """New documents of one shape (GraphiQL edits, generated queries), each sent once:
    the first runs through the reference, the next from a plan on first sight."""
    forget_compiled()
    shape = "{ KEY: actors(first: 3) { nodes { name characters { name } } } }"
    result, first = run(pipeline, shape.replace("KEY", "one"))
    assert None not in first.plans  # the reference answered
    assert first.runs == 1
    for alias in ("two", "three"):
        query = shape.replace("KEY", alias)
        result, document = run(pipeline, query)
        assert isinstance(document.plans[None], Plan)
        assert document.runs == 0  # the reference never ran
        assert result.data == reference(pipeline, query).data


def test_first_runs_stay_on_the_loop_only_when_small_and_without_arguments(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = execution.run_in_threadpool

    async def counting(function: Any, *args: Any) -> Any:
        threads.append(getattr(function, "__name__", "?"))
        return await real(function, *args)

    monkeypatch.setattr(execution, "run_in_threadpool", counting)
    forget_compiled()
    run(pipeline, "{ graphVersion }")  # small, no arguments: reference on the loop
    assert threads == []
    run(pipeline, '{ actors(where: {name: {eq: "Kit Connor"}}) { totalCount } }')
    assert len(threads) == 1  # arguments: a filter can take long, so a thread
    result, document = run(pipeline, "{ shows { totalCount } }", cost=10**6)
    assert result.errors is None
    assert len(threads) == 2  # a big estimate: a thread
    document.features = None
    assert execution._first_run_seconds(document, 1, 1e-6) == float("inf")
