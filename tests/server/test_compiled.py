"""Compiled queries answer exactly as graphql-core does, or step aside.

Every query here runs both ways, through Strawberry and graphql-core and
through its compiled plan, and the answers must be the same bytes (the same
keys in the same order). Where graphql-core reports an error, the plan must
refuse to answer, so the ordinary executor words it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    parse,
    print_ast,
)
from graphql.language import NameNode, OperationDefinitionNode, SelectionSetNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from starlette.testclient import TestClient

from graph_data import ShowGraph
from graph_data.kinds import NodeKind
from schema.relay import encode_key
from server.app import create_app, served_schema
from server.compiled import Plan, Run, UnsupportedError, compile_query
from server.context import RequestContext
from server.cost import actual_cost
from server.executor import ExecutionTimeoutError
from server.pipeline.documents import Documents, parse_document
from server.pipeline.execution import Executor
from server.pipeline.operations import select_operation
from server.pipeline.variables import VariablesError, coerce_variables
from server.settings import Settings
from tests.server.test_properties import SCALARS

# Limits out of the way: the plans are compared on what execution does.
UNLIMITED = Settings(max_cost=10**9, max_depth=100, max_aliases=1000, max_tokens=100_000)
SCHEMA = served_schema(UNLIMITED)

KIT = encode_key("actor:kit-connor")
SHOW = encode_key("show:heartstopper")
EPISODE_FIELDS = "number title releaseDate season { number premiereDate }"

# (query, variables): every kind of field, argument, fragment and abstract type.
CORPUS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ actors { nodes { name characters { name } } } }", None),
    ("{ graphVersion __typename }", None),
    (
        "{ a: actors(first: 2) { totalCount pageInfo { hasNextPage endCursor } } "
        "b: actors(first: 2) { edges { cursor node { id name } } } }",
        None,
    ),
    ("{ shows { nodes { name seasons { number episodes { " + EPISODE_FIELDS + " } } } } }", None),
    (
        "{ shows { edges { node { seasons { episodes { characters { name portrayals { role "
        "actor { name characters { name } } } } } } } } } }",
        None,
    ),
    (
        "query ($id: ID!) { node(id: $id) { id __typename ... on Actor { name "
        "portrayals { role creditedName episodeCount character { name fullName } "
        "episodes { number } scenes { __typename } } } } }",
        {"id": KIT},
    ),
    (
        "query Named($ids: [ID!]!) { nodes(ids: $ids) { ...Who } } "
        "fragment Who on Node { id ... on Actor { name } ... on Show { name } }",
        {"ids": [KIT, SHOW, encode_key("actor:nobody")]},
    ),
    (
        '{ node(id: "' + KIT + '") { ... on Sourced { sources { title kind url } '
        'sourcesOf(field: "name") { title publishedOn } } } }',
        None,
    ),
    (
        "query ($first: Int, $after: String) { characters(first: $first, after: $after) { "
        "nodes { name } pageInfo { hasNextPage endCursor } } }",
        {"first": 3, "after": None},
    ),
    (
        '{ characters(where: { name: { contains: "a" } }, orderBy: NAME_DESC) { nodes { name } } }',
        None,
    ),
    (
        "query ($w: ActorWhere) { actors(where: $w, orderBy: EPISODE_COUNT_DESC) { "
        "nodes { name episodes { title } } } }",
        {"w": {"name": {"contains": "K"}}},
    ),
    (
        '{ search(text: "charlie") { score matched node { __typename id '
        "... on Character { name } } } }",
        None,
    ),
    (
        "query ($from: ID!, $to: ID!) { path(from: $from, to: $to) { node { id } } }",
        {"from": KIT, "to": SHOW},
    ),
    (
        '{ neighborhood(id: "' + SHOW + '", depth: 2, first: 5) { totalCount '
        "center { id } truncated nodes { distance node { id __typename } } edges { relation } "
        "pageInfo { hasNextPage } } }",
        None,
    ),
    (
        "{ actors { nodes { coStars(first: 3) { edges { sharedEpisodes sharedScenes "
        "node { name } } } counts { characters shows episodes } shows { name } } } }",
        None,
    ),
    ("{ sources { nodes { title kind publisher publishedOn note } } }", None),
    (
        "{ seasons { nodes { number status episodeCount } } episodes(first: 3) { "
        "nodes { ...E } } } fragment E on Episode { title ...F } fragment F on Episode { number }",
        None,
    ),
]


def context(graph: ShowGraph) -> RequestContext:
    return RequestContext(graph=graph)


def plan_of(query: str) -> Plan:
    """The plan of a document's only operation, as the pipeline compiles it."""
    document = parse_document(query, 100_000, 10**6)
    return compile_query(SCHEMA, document.node, select_operation(document, None))


def run_plan(plan: Plan, graph: ShowGraph, variables: dict[str, Any] | None) -> Any:
    """The plan's data, once its count of the fields resolved is checked against the answer."""
    coerced = coerce_variables(SCHEMA._schema, plan.operation, variables, hide_suggestions=False)
    try:
        data, fields = plan.execute(context(graph), coerced, 10)
    except Exception as error:
        raise PlanFailedError from error
    assert fields == actual_cost(data, plan.operation)  # counted as it ran, as the answer says
    return data


class PlanFailedError(Exception):
    """A plan raised (its ``__cause__``): the tests look at which error it was."""


def both_ways(graph: ShowGraph, query: str, variables: dict[str, Any] | None) -> tuple[Any, Any]:
    """(graphql-core's result, the plan's data or the exception it raised)."""
    result = SCHEMA.execute_sync(query, variable_values=variables, context_value=context(graph))
    try:  # the test looks at which error it was, compiling or running
        planned: Any = run_plan(plan_of(query), graph, variables)
    except PlanFailedError as failed:
        planned = failed.__cause__
    except Exception as error:
        planned = error
    return result, planned


@pytest.mark.parametrize(("query", "variables"), CORPUS)
def test_a_plan_answers_the_same_bytes(
    graph: ShowGraph, query: str, variables: dict[str, Any] | None
) -> None:
    result, planned = both_ways(graph, query, variables)
    assert result.errors is None, result.errors
    assert orjson.dumps(planned) == orjson.dumps(result.data)


def test_resolvers_get_graphql_cores_info_for_their_field(
    graph: ShowGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run's info holds its own variables and context and the field's own parts,
    in graphql-core's fields, the second run as the first."""
    seen: list[tuple[Any, Any]] = []
    original = Run.info

    def recording(run: Run, resolver: Any) -> Any:
        info = original(run, resolver)
        seen.append((run, info._raw_info))
        return info

    monkeypatch.setattr(Run, "info", recording)
    plan = plan_of(
        "query Q($n: String!) { actors(where: {name: {eq: $n}}) "
        "{ nodes { name characters { name } } } }"
    )
    for name in ("Kit Connor", "Joe Locke"):  # each run its own variables
        seen.clear()
        run_plan(plan, graph, {"n": name})
        assert {raw.field_name for _, raw in seen} == {"actors", "characters"}
        for run, raw in seen:
            assert raw.variable_values is run.variables
            assert raw.variable_values.coerced == {"n": name}
            assert raw.context is run.context
            assert raw.field_nodes[0].name.value == raw.field_name == raw.path.key
            assert raw.parent_type.fields[raw.field_name].type is raw.return_type
            assert raw.path.typename == raw.parent_type.name
            assert raw.schema is plan.graphql_schema
            assert raw.operation is plan.operation
            assert raw.fragments == plan.fragments
            assert raw.root_value is None
            assert raw.is_awaitable(raw) is False


def test_where_graphql_core_reports_an_error_the_plan_steps_aside(graph: ShowGraph) -> None:
    query = "query ($after: String) { actors(after: $after) { nodes { name } } }"
    result, planned = both_ways(graph, query, {"after": "not a cursor"})
    assert result.errors
    assert "not a cursor" in result.errors[0].message
    assert isinstance(planned, Exception)
    # A variable that does not coerce never reaches a plan: the coerce stage refuses it.
    result, planned = both_ways(graph, query, {"after": 12})
    assert result.errors
    assert isinstance(planned, VariablesError)


def test_plans_share_code_across_aliases_and_say_when_they_need_new_code() -> None:
    """Generated code is kept by its text, which names what it calls rather than holding
    it: a new alias (or another field resolved the same way) needs no new code, a
    selection of another shape does."""
    from server.compiled import CODE, NotCompiledError, forget_compiled

    forget_compiled()
    plan_of("{ a: actors { nodes { name } } }")
    compiled = len(CODE._codes)
    document = parse_document("{ b: actors { nodes { name } } }", 100_000, 10**6)
    operation = select_operation(document, None)
    plan = compile_query(SCHEMA, document.node, operation, compile_missing=False)
    assert len(CODE._codes) == compiled
    assert plan.compile_missing  # types met later compile as they need
    same = parse_document("{ c: actors { nodes { id } } }", 100_000, 10**6)
    compile_query(SCHEMA, same.node, select_operation(same, None), compile_missing=False)
    other = parse_document("{ b: actors { nodes { name shows { name } } } }", 100_000, 10**6)
    with pytest.raises(NotCompiledError):
        compile_query(SCHEMA, other.node, select_operation(other, None), compile_missing=False)


def test_code_two_new_documents_miss_is_compiled_for_the_second(graph: ShowGraph) -> None:
    """A server that only sees new documents, each once, must still get plans: the code
    a first-sight plan missed is compiled when a second one misses it, the rest of that
    plan with it, and the plan answers as the reference does."""
    from server.compiled import CODE, NotCompiledError, forget_compiled

    forget_compiled()
    shape = "{ KEY: actors(first: 4) { nodes { name characters { name } } } }"

    def first_sight(query: str) -> Plan:
        document = parse_document(query, 100_000, 10**6)
        operation = select_operation(document, None)
        return compile_query(SCHEMA, document.node, operation, compile_missing=False)

    with pytest.raises(NotCompiledError) as missed:
        first_sight(shape.replace("KEY", "a"))
    assert not missed.value.repeated
    assert not CODE._codes  # a document seen once compiles nothing
    with pytest.raises(NotCompiledError) as other:  # another shape misses other code
        first_sight("{ shows(first: 1) { nodes { name network } } }")
    assert not other.value.repeated
    plan = first_sight(shape.replace("KEY", "b"))  # the same shape again: compiled now
    assert len(CODE._codes) == 4  # root, connection, actor, character
    result = SCHEMA.execute_sync(shape.replace("KEY", "b"), context_value=context(graph))
    assert run_plan(plan, graph, None) == result.data
    first_sight(shape.replace("KEY", "c"))  # and shared from then on
    assert len(CODE._codes) == 4


def test_fields_shared_by_a_plan_stopped_at_new_code_still_compile_their_types(
    graph: ShowGraph,
) -> None:
    """A plan built on first sight that stopped at new code leaves the fields it built
    shared; an interface among them must still compile its types when a plan runs it
    (the deep query of bench/run.py ran through graphql-core every time: 35 ms, not 1.6)."""
    from server.compiled import NotCompiledError, forget_compiled

    forget_compiled()
    key = graph.nodes_of(NodeKind.SHOW)[0].key
    query = (
        f'{{ node(id: "{encode_key(key)}") {{ ... on Show {{ name seasons {{ number }} }} }} '
        "actors { nodes { name shows { name } } } }"
    )
    document = parse_document(query, 100_000, 10**6)
    operation = select_operation(document, None)
    with pytest.raises(NotCompiledError):  # the node field is built, then new code stops it
        compile_query(SCHEMA, document.node, operation, compile_missing=False)
    result, planned = both_ways(graph, query, None)
    assert planned == result.data


@pytest.mark.parametrize(
    "query",
    [
        "{ actors { nodes { name @include(if: true) } } }",
        "query ($skip: Boolean!) { actors { nodes { name @skip(if: $skip) } } }",
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Actor") { name } }',
        'mutation { deleteNode(id: "x") { deleted } }',
        "subscription { graphChanged { version } }",
        "query A { graphVersion } query B { graphVersion }",  # which one to run is not said
    ],
)
def test_documents_a_plan_does_not_model_are_not_compiled(query: str) -> None:
    with pytest.raises((UnsupportedError, GraphQLError)):
        plan_of(query)


def test_a_plan_past_its_deadline_stops_with_the_timeout_error(graph: ShowGraph) -> None:
    plan = plan_of(CORPUS[0][0])
    variables = coerce_variables(SCHEMA._schema, plan.operation, None, hide_suggestions=False)
    with pytest.raises(ExecutionTimeoutError):
        plan.execute(context(graph), variables, timeout=-1)


def test_a_plan_is_compiled_on_the_second_run_and_the_uncompilable_remembered(
    graph: ShowGraph,
) -> None:
    documents = Documents(10**7, 100_000, 10**6)
    executor = Executor(SCHEMA, graph, documents, type(None), 10, in_background=False)  # type: ignore[arg-type]
    texts = ("{ graphVersion }", "{ __schema { queryType { name } } }")
    for text in texts:
        documents.get(text)  # seen once: parsed, not kept
        assert documents.peek(text) is None
    plain, introspection = (documents.get(text) for text in texts)  # kept from the second
    for document in (plain, introspection):
        assert documents.peek(document.text) is document
        assert document.runs == 1  # the first sighting ran
        assert document.plans == {}  # a document seen once paid for no plan
        executor._ran(document, None)
    assert isinstance(plain.plans[None], Plan)
    assert introspection.plans == {None: None}  # introspection is never compiled, and not retried
    assert documents.size_bytes == plain.size + introspection.size  # re-weighed with its plan


# --- fields shared between documents -------------------------------------------------------


def compiled_from_known(query: str) -> Plan:
    """A document's plan as a first sight builds it: from compiled code only."""
    document = parse_document(query, 100_000, 10**6)
    return compile_query(SCHEMA, document.node, select_operation(document, None), False)


def reference_data(graph: ShowGraph, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = SCHEMA.execute_sync(query, variable_values=variables, context_value=context(graph))
    assert result.errors is None, result.errors
    return result.data


def root_completers(plan: Plan) -> list[Any]:
    """What completes each root field of a plan (the walk's ``c0``, ``c1`` ...)."""
    bound = plan.root.walk.__globals__
    return [bound[f"c{i}"] for i in range(len(plan.operation.selection_set.selections))]


def test_documents_differing_in_aliases_and_order_share_fields_and_keep_their_keys(
    graph: ShowGraph,
) -> None:
    actors = "actors(first: 2) { nodes { name characters { name } } }"
    known = plan_of(f"{{ a: {actors} graphVersion }}")
    for query in (f"{{ graphVersion b: {actors} }}", f"{{ {actors} c: graphVersion }}"):
        plan = plan_of(query)  # the root's code is new (its fields in another order)
        assert root_completers(known)[0] in root_completers(plan)  # the same field's plan
        answer = run_plan(plan, graph, None)
        assert orjson.dumps(answer) == orjson.dumps(reference_data(graph, query))
    assert list(run_plan(known, graph, None)) == ["a", "graphVersion"]  # still its own keys


def test_fields_spreading_named_fragments_are_not_shared(graph: ShowGraph) -> None:
    """A spread means what its document's fragment says: the same text, another answer."""
    field = "actors(first: 2) { nodes { ...F } }"
    for fragment in ("fragment F on Actor { name }", "fragment F on Actor { id }"):
        query = f"{{ {field} }} {fragment}"
        answer = run_plan(plan_of(query), graph, None)
        assert orjson.dumps(answer) == orjson.dumps(reference_data(graph, query))


def test_a_shared_field_with_variables_takes_each_runs_values(graph: ShowGraph) -> None:
    """Variables are part of a field's text by name; their values come with each run,
    whatever the document declares them as."""
    field = "actors(first: $n) { nodes { name } }"
    plan_of(f"query ($n: Int) {{ a: {field} }}")
    for declared, n in (("Int!", 1), ("Int = 2", 3), ("Int = 2", None)):
        query = f"query ($n: {declared}) {{ b: {field} }}"
        variables = {} if n is None else {"n": n}
        answer = run_plan(compiled_from_known(query), graph, variables)
        assert orjson.dumps(answer) == orjson.dumps(reference_data(graph, query, variables))


def test_shared_fields_are_bounded_by_the_bytes_of_the_documents_they_keep() -> None:
    from server.compiled import SHARED_BYTES_PER_CHARACTER, FieldPlan, SharedFields

    text = "{ a b c }"
    weight = len(text) * SHARED_BYTES_PER_CHARACTER
    shared = SharedFields(weight * 4)
    plan = FieldPlan("a", "x", {}, lambda value, run: value)
    for name in "abc":  # three fields of one document: it is counted once
        shared.put(("Query", name), plan, text)
    assert shared.size_bytes == weight
    for i in range(10):
        shared.put(("Query", f"a{i}"), plan, f"{{ a{i:04} }}")  # other documents, as long
    assert shared.size_bytes <= shared.max_bytes
    assert shared.get(("Query", "a9")) is plan
    assert shared.get(("Query", "b")) is None  # the oldest document's fields went first
    shared.put(("Query", "big"), plan, "x" * (shared.max_bytes // SHARED_BYTES_PER_CHARACTER))
    assert shared.get(("Query", "big")) is None  # a document too big to keep is not kept


# --- through HTTP --------------------------------------------------------------------------


@pytest.fixture
def limited_client(graph: ShowGraph) -> Iterator[TestClient]:
    """An app charging every query to a bucket that does not refill during the test."""
    limited = Settings(rate_limit=True, rate_limit_per_second=1e-6, cache_bytes=0)
    with TestClient(create_app(limited, graph=graph)) as client:
        yield client


def remaining(response: Any) -> int:
    return int(response.headers["X-RateLimit-Remaining"])


def test_the_second_run_uses_the_plan_and_charges_the_same(
    limited_client: TestClient,
) -> None:
    query = "query ($after: String) { actors(first: 2, after: $after) { nodes { name } } }"
    pipeline = limited_client.app.state.endpoint.pipeline  # type: ignore[attr-defined]
    pipeline.executor.in_background = False
    first = limited_client.post("/graphql", json={"query": query})
    limited_client.post("/graphql", json={"query": query})
    assert pipeline.documents.peek(query).plans[None] is not None  # learnt on the second run
    before = remaining(limited_client.post("/graphql", json={"query": query}))
    second = limited_client.post("/graphql", json={"query": query})  # from the plan
    assert second.json()["data"] == first.json()["data"]
    assert second.json()["extensions"]["cost"]["remaining"] == remaining(second)
    cost = int(first.headers["X-RateLimit-Limit"]) - remaining(first)
    assert cost == 1 + 1 + 2 * 1  # actors, nodes, and a page of 2 with a name each
    assert before - remaining(second) == cost
    # The plan steps aside for a bad cursor: the error is graphql-core's, and the answer,
    # which resolved nothing, costs the one point every request pays (the rest is refunded).
    bad = limited_client.post("/graphql", json={"query": query, "variables": {"after": "x"}})
    assert remaining(second) - remaining(bad) == 1
    assert bad.json()["errors"][0]["path"] == ["actors"]
    assert bad.json()["data"] is None


def test_an_answer_from_a_plan_is_what_a_fresh_server_answers(graph: ShowGraph) -> None:
    with TestClient(create_app(UNLIMITED, graph=graph)) as warm:
        pipeline = warm.app.state.endpoint.pipeline  # type: ignore[attr-defined]
        pipeline.executor.in_background = False
        for query, variables in CORPUS:
            body = {"query": query, "variables": variables}
            headers = {"cache-control": "no-cache"}  # past the response cache, every time
            pipeline.executor.compile_plans = False  # the reference answers: no first-sight plan
            first = warm.post("/graphql", json=body, headers=headers)
            pipeline.executor.compile_plans = True
            warm.post("/graphql", json=body, headers=headers)  # the second run compiles it
            assert pipeline.documents.peek(query).plans[None] is not None, query
            again = warm.post("/graphql", json=body, headers=headers)
            assert again.content == first.content, query
            assert first.status_code == 200
            assert "errors" not in first.json(), first.text


# --- generated queries ---------------------------------------------------------------------


GENERATED = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@GENERATED
@given(query=queries(SCHEMA._schema, custom_scalars=SCALARS))
def test_generated_queries_answer_the_same_or_step_aside(graph: ShowGraph, query: str) -> None:
    """Any valid query: where graphql-core reports errors (most of these, given random
    ids and page sizes), the plan must not answer; where it does not, the same bytes."""
    result, planned = both_ways(graph, query, None)
    if result.errors:
        assert isinstance(planned, Exception), (query, result.errors)
    elif "asOf" in query:  # reads as of a version are never compiled (``server.compiled``)
        assert isinstance(planned, UnsupportedError), (query, planned)
    else:
        assert not isinstance(planned, Exception), (query, planned)
        assert orjson.dumps(planned) == orjson.dumps(result.data), query


@st.composite
def selections(draw: st.DrawFn, parent: GraphQLNamedType, depth: int = 0) -> str:
    """A random selection set on ``parent`` whose arguments are always acceptable.

    Fields with required arguments are left out, ``first`` is small, interfaces
    get inline fragments on some of their types (whose fields graphql-core
    merges with the interface's), and some fields get aliases.
    """
    if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
        possible = list(SCHEMA._schema.get_possible_types(parent))
        chosen = draw(st.lists(st.sampled_from(possible), max_size=2, unique=True))
        fragments = [f"... on {t.name} {draw(selections(t, depth))}" for t in chosen]
        fields = (
            draw(selections(_fields_only(parent), depth))
            if isinstance(parent, GraphQLInterfaceType)
            else "{ __typename }"
        )
        return fields[:-1] + " ".join(fragments) + " }"
    assert isinstance(parent, GraphQLObjectType | _FieldsOnly)
    usable = {
        name: field
        for name, field in parent.fields.items()
        if not any(is_non_null_type(a.type) for a in field.args.values())
        and (depth < 3 or is_leaf_type(get_named_type(field.type)))
    }
    names = draw(st.lists(st.sampled_from(sorted(usable)), min_size=1, max_size=4, unique=True))
    parts = ["__typename"] if draw(st.booleans()) else []
    for name in names:
        field = usable[name]
        arguments = ""
        if "first" in field.args and draw(st.booleans()):
            arguments = f"(first: {draw(st.integers(0, 4))})"
        alias = f"{name}Again: " if draw(st.integers(0, 5)) == 0 else ""
        named = get_named_type(field.type)
        inner = "" if is_leaf_type(named) else " " + draw(selections(named, depth + 1))
        parts.append(f"{alias}{name}{arguments}{inner}")
    return "{ " + " ".join(parts) + " }"


@dataclass
class _FieldsOnly:
    """An interface's own fields, selected outside any fragment."""

    fields: dict[str, Any]


def _fields_only(interface: GraphQLInterfaceType) -> _FieldsOnly:
    return _FieldsOnly(dict(interface.fields))


@GENERATED
@given(selection=selections(SCHEMA._schema.query_type))  # type: ignore[arg-type]
def test_generated_successful_queries_answer_the_same_bytes(
    graph: ShowGraph, selection: str
) -> None:
    query = "query " + selection
    result, planned = both_ways(graph, query, None)
    assert result.errors is None, (query, result.errors)
    assert orjson.dumps(planned) == orjson.dumps(result.data), query


def realiased(query: str, depth: int) -> str:
    """``query`` with every field down to ``depth`` under an alias of its own and each
    of those selection sets in reverse order; deeper selections as they were."""

    def rework(selection_set: SelectionSetNode, level: int) -> SelectionSetNode:
        if level > depth:
            return selection_set
        selections: list[Any] = []
        for i, selection in enumerate(selection_set.selections):
            inner = selection.selection_set  # type: ignore[attr-defined]
            changes: dict[str, Any] = {}
            if inner is not None:
                changes["selection_set"] = rework(inner, level + 1)
            if isinstance(selection, FieldNode):
                changes["alias"] = NameNode(value=f"r{level}x{i}{selection.name.value}")
            selections.append(copy(selection, changes))
        return SelectionSetNode(selections=tuple(reversed(selections)))

    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    changed = copy(operation, {"selection_set": rework(operation.selection_set, 0)})
    return print_ast(DocumentNode(definitions=(changed, *document.definitions[1:])))


def copy(node: Any, changes: dict[str, Any]) -> Any:
    """A node with some attributes replaced (graphql-core's nodes have no ``replace``)."""
    values = {key: getattr(node, key) for key in node.keys if key != "loc"}
    return type(node)(**{**values, **changes})


@GENERATED
@given(selection=selections(SCHEMA._schema.query_type), depth=st.integers(0, 3))  # type: ignore[arg-type]
def test_documents_sharing_fields_each_answer_what_graphql_core_answers(
    graph: ShowGraph, selection: str, depth: int
) -> None:
    """A document whose fields another document's plan built (the same text below its
    aliases, shared by ``SharedFields``) answers its own keys, in its own order."""
    first = print_ast(parse("query " + selection))
    plan_of(first)  # its fields are now shared
    second = realiased(first, depth)
    plan = plan_of(second)
    assert orjson.dumps(run_plan(plan, graph, None)) == orjson.dumps(
        reference_data(graph, second)
    ), (first, second)


def test_global_ids_in_the_corpus_are_real(graph: ShowGraph) -> None:
    for global_id in (KIT, SHOW):
        kind, _, local = base64.b64decode(global_id).decode().partition(":")
        assert graph.node(f"{kind.lower()}:{local}") is not None
