"""Mutations, Relay style: one input, one payload with `userErrors`, for every write.

For each node kind there is ``createX`` and ``updateX``; ``deleteNode``,
``linkNodes`` and ``unlinkNodes`` work for every kind and relation. The
``XFieldsInput`` types are generated from the dataset format's models
(``graph_data.records``), so the API and the file format cannot drift, and
their fields reuse the descriptions of the matching output fields.

A mutation checks its request against the newest graph (``graph_data.edits``),
and either writes one change through the store or returns `userErrors` with
the path of each offending input field and writes nothing.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any, get_args, get_origin

import annotated_types
import strawberry
from pydantic.fields import FieldInfo
from strawberry.types.base import StrawberryObjectDefinition

from graph_data.changes import Change
from graph_data.dates import PartialDate
from graph_data.diffs import make_change
from graph_data.edits import (
    PARENT_OF,
    Edit,
    EditRejectedError,
    SourceRequest,
    a_kind,
    create_node,
    delete_node,
    link,
    unlink,
    update_node,
)
from graph_data.kinds import CastRole, NodeKind, Relation
from graph_data.records import (
    FIELDS_OF,
    LONG_TEXT_MAX,
    NAME_MAX,
    SHORT_TEXT_MAX,
    URL_MAX,
    Viewership,
    short_text_problem,
)
from graph_data.retries import key_problem
from graph_data.store import StoreUnavailableError
from schema.context import Info, graph_of
from schema.errors import UserError as RequestError
from schema.relay import TYPE_NAMES, Node, decode_id, encode_key, node_type_of, wrap

# --- shared inputs and payloads ------------------------------------------------------------

NOTE_DESCRIPTION = (
    f"Why: an edit summary kept in the history with the change (at most {SHORT_TEXT_MAX} "
    "characters)."
)


@strawberry.input(description="A source to record with the edit, as a USER_EDIT by its writer.")
class NewSourceInput:
    title: str = strawberry.field(
        description=f"What the source is, e.g. a press release title. At most {NAME_MAX} "
        "characters."
    )
    url: str | None = strawberry.field(
        default=None, description=f"Where to read it, if online. At most {URL_MAX:,} characters."
    )
    note: str | None = strawberry.field(
        default=None,
        description=f"Anything worth knowing about it. At most {LONG_TEXT_MAX:,} characters.",
    )


@strawberry.input(description="Hours viewed over a reporting window, as published.")
class ViewershipInput:
    hours_viewed: float = strawberry.field(description="Hours viewed.")
    period_start: PartialDate | None = strawberry.field(default=None, description="Window start.")
    period_end: PartialDate | None = strawberry.field(default=None, description="Window end.")
    label: str | None = strawberry.field(
        default=None, description="The figure in the source's words."
    )
    sources: list[strawberry.ID] = strawberry.field(description="Ids of the sources stating it.")


@strawberry.type(description="Why a mutation was refused: the input field and what to change.")
class UserError:
    field: list[str] = strawberry.field(
        description='Path of the input field, e.g. ["input", "fields", "number"].'
    )
    message: str = strawberry.field(description="What is wrong, and how to put it right.")


@strawberry.type(description="The result of creating or updating a node.")
class NodePayload:
    node: Node | None = strawberry.field(description="The node as it now is; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Empty when the write happened.")
    graph_version: int = strawberry.field(description="The graph version after this mutation.")
    client_mutation_id: str | None = strawberry.field(description="Echo of the input's value.")


@strawberry.type(description="The result of deleting a node.")
class DeletePayload:
    deleted_ids: list[strawberry.ID] = strawberry.field(description="Ids of every node removed.")
    user_errors: list[UserError] = strawberry.field(description="Empty when the write happened.")
    graph_version: int = strawberry.field(description="The graph version after this mutation.")
    client_mutation_id: str | None = strawberry.field(description="Echo of the input's value.")


@strawberry.type(description="The result of linking or unlinking two nodes.")
class LinkPayload:
    source: Node | None = strawberry.field(description="The node the link starts at.")
    target: Node | None = strawberry.field(description="The node the link points at.")
    relation: Relation = strawberry.field(description="The link's label.")
    user_errors: list[UserError] = strawberry.field(description="Empty when the write happened.")
    graph_version: int = strawberry.field(description="The graph version after this mutation.")
    client_mutation_id: str | None = strawberry.field(description="Echo of the input's value.")


@strawberry.input(description="Delete a node; its links (and children) go only with `cascade`.")
class DeleteNodeInput:
    id: strawberry.ID = strawberry.field(description="The node to delete.")
    cascade: bool = strawberry.field(
        default=False,
        description="Also remove its links, and the seasons, episodes, scenes and characters "
        "that hang from it. Without it, a node with links is not deleted.",
    )
    sources: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Why: sources."
    )
    new_source: NewSourceInput | None = strawberry.field(default=None, description="Or a new one.")
    note: str | None = strawberry.field(default=None, description=NOTE_DESCRIPTION)
    client_mutation_id: str | None = strawberry.field(default=None, description="Echoed back.")


@strawberry.input(
    description="Link two nodes, or change an existing link's properties. Linking a season, "
    "episode, scene or character to another parent moves it."
)
class LinkInput:
    from_: strawberry.ID = strawberry.field(name="from", description="Where the link starts.")
    relation: Relation = strawberry.field(description="The link's label.")
    to: strawberry.ID = strawberry.field(description="Where the link points.")
    role: CastRole | None = strawberry.field(default=None, description="PORTRAYS: the billing.")
    show: strawberry.ID | None = strawberry.field(
        default=None, description="PORTRAYS: the show, when not the character's own."
    )
    credited_name: str | None = strawberry.field(default=None, description="PORTRAYS: credit.")
    episodes: list[strawberry.ID] | None = strawberry.field(
        default=None, description="PORTRAYS: the episodes, when a source lists them."
    )
    kind: str | None = strawberry.field(default=None, description="RELATED_TO: e.g. DATING.")
    sources: list[strawberry.ID] | None = strawberry.field(default=None, description="Sources.")
    new_source: NewSourceInput | None = strawberry.field(default=None, description="Or a new one.")
    note: str | None = strawberry.field(default=None, description=NOTE_DESCRIPTION)
    client_mutation_id: str | None = strawberry.field(default=None, description="Echoed back.")


@strawberry.input(description="Remove a link between two nodes.")
class UnlinkInput:
    from_: strawberry.ID = strawberry.field(name="from", description="Where the link starts.")
    relation: Relation = strawberry.field(description="The link's label.")
    to: strawberry.ID = strawberry.field(description="Where the link points.")
    sources: list[strawberry.ID] | None = strawberry.field(default=None, description="Sources.")
    new_source: NewSourceInput | None = strawberry.field(default=None, description="Or a new one.")
    note: str | None = strawberry.field(default=None, description=NOTE_DESCRIPTION)
    client_mutation_id: str | None = strawberry.field(default=None, description="Echoed back.")


# --- writing ------------------------------------------------------------------------------------


def _write(
    info: Info, summary: str, request: Any, plan: Callable[[Edit], Any], *, cited: bool = True
) -> tuple[Any, list[UserError], int]:
    """Plan and write one change: what ``plan`` returned, the user errors and the version.

    A request whose ``clientMutationId`` this writer used for a change still
    in the retry window (``graph_data.retries``) writes nothing and gets that
    change's result and version, so a client may retry anything it is unsure of.
    """
    context = info.context
    if context.writer is None:  # the HTTP layer answers 401 first; this is the backstop
        raise RequestError("mutations need a bearer token (Authorization: Bearer ...)")
    writer: str = context.writer
    model = graph_of(info)
    retry_key: str | None = request.client_mutation_id
    note: str = request.note or ""
    problems = _text_problems(retry_key, note)
    if problems:  # the same answer on every store, before any sees them
        return None, problems, model.version
    outcome: dict[str, Any] = {"errors": []}

    def plan_change(version: int) -> Change | None:
        # Runs in the writers' turn after catching up: every replica's keys are known.
        earlier = model.requests.find(writer, retry_key) if retry_key is not None else None
        if earlier is not None:
            outcome["earlier"] = earlier
            return None
        edit = Edit(model, writer, version)
        edit.cite(_sources(request), required=cited)
        outcome["value"] = plan(edit)
        try:
            ops = tuple(edit.done())
        except EditRejectedError as rejected:
            outcome["errors"] = rejected.errors
            return None
        return make_change(
            model,
            version,
            writer,
            ops,
            summary,
            note=note,
            client_mutation_id=retry_key,
            result=outcome["value"],
        )

    try:
        change, others = context.store_or_memory().write(model, plan_change)
    except StoreUnavailableError as error:
        if context.published is not None:
            context.published(list(error.applied))
        raise RequestError(_unavailable(error, retry_key), code="STORE_UNAVAILABLE") from None
    if context.published is not None:
        context.published([*others, *([change] if change else [])])
    earlier = outcome.get("earlier")
    if earlier is not None:
        if earlier.summary != summary:
            message = (
                f"clientMutationId {retry_key!r} was used for another mutation "
                f"({earlier.summary!r}, version {earlier.version}); use a new one for each write"
            )
            return (
                None,
                [UserError(field=["input", "clientMutationId"], message=message)],
                model.version,
            )
        return earlier.result, [], earlier.version
    errors = [UserError(field=["input", *e.field], message=e.message) for e in outcome["errors"]]
    return (outcome.get("value") if change else None), errors, model.version


def _text_problems(retry_key: str | None, note: str) -> list[UserError]:
    """What is wrong with the request's clientMutationId and note, which every store keeps."""
    errors = []
    problem = key_problem(retry_key) if retry_key is not None else None
    if problem is not None:
        errors.append(
            UserError(field=["input", "clientMutationId"], message=f"clientMutationId {problem}")
        )
    problem = short_text_problem(note)
    if problem is not None:
        errors.append(UserError(field=["input", "note"], message=f"note {problem}"))
    return errors


def _unavailable(error: StoreUnavailableError, retry_key: str | None) -> str:
    """What a client may do after a 503: retry, and whether that is known to be safe."""
    if not error.outcome_unknown:
        return "the store of record is unavailable, so nothing was written; try again shortly"
    safe = (
        "a retry with the same clientMutationId is safe: if it was written, the retry writes "
        "nothing and answers as the first attempt"
        if retry_key is not None
        else "send a clientMutationId with mutations to make such retries safe"
    )
    return (
        "the store of record went away while this change was being committed, so whether it "
        f"was written is unknown; {safe}"
    )


def _sources(request: Any) -> SourceRequest:
    new = request.new_source
    return SourceRequest(
        keys=[decode_id(i) for i in request.sources or ()],
        new_title=new.title if new else None,
        new_url=new.url if new else None,
        new_note=new.note if new else None,
    )


def _node_payload(
    info: Info, written: tuple[Any, list[UserError], int], request: Any
) -> NodePayload:
    key, errors, version = written
    node = graph_of(info).node(key) if key and not errors else None
    return NodePayload(
        node=wrap(node) if node else None,
        user_errors=errors,
        graph_version=version,
        client_mutation_id=request.client_mutation_id,
    )


# --- the generated inputs of each node kind ---------------------------------------------------


def _graphql_type(annotation: Any) -> Any:
    """The input type for a dataset field's Python type (tuples become lists)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _graphql_type(get_args(annotation)[0])
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _graphql_type(inner[0])
    if origin is tuple:
        return list[_graphql_type(get_args(annotation)[0])]  # type: ignore[misc]
    if annotation is Viewership:
        return ViewershipInput
    return annotation


def _fields_input(kind: NodeKind, output: type) -> type:
    """``XFieldsInput``: every fact of the kind, all optional (an update sends a few)."""
    definition: StrawberryObjectDefinition = output.__strawberry_definition__  # type: ignore[attr-defined]
    described = {f.python_name: f.description for f in definition.fields}
    namespace: dict[str, Any] = {"__annotations__": {}}
    for name, info in FIELDS_OF[kind].model_fields.items():
        graphql_type = _graphql_type(info.annotation)
        namespace["__annotations__"][name] = graphql_type | None
        description = described.get(name) or f"The {info.alias}."
        longest = _max_length([*info.metadata, info.annotation])
        if longest is not None:
            each = "Each at most" if get_origin(graphql_type) is list else "At most"
            description += f" {each} {longest:,} characters."
        namespace[name] = strawberry.field(default=strawberry.UNSET, description=description)
    cls = type(f"{TYPE_NAMES[kind]}FieldsInput", (), namespace)
    return strawberry.input(
        cls, description=f"Facts of {a_kind(kind)}; on update only those given change."
    )


def _max_length(constraints: list[Any]) -> int | None:
    """The longest text a dataset field (or each item of it) may hold, from its type."""
    for constraint in constraints:
        if isinstance(constraint, annotated_types.MaxLen):
            return constraint.max_length
        if isinstance(constraint, FieldInfo):
            found = _max_length(constraint.metadata)
        elif isinstance(constraint, type):
            continue
        else:  # a type such as Annotated[str, ...] | None or tuple[Annotated[...], ...]
            found = _max_length(list(get_args(constraint)))
        if found is not None:
            return found
    return None


def _input_values(kind: NodeKind, fields: Any) -> dict[str, Any]:
    """The fields given (not UNSET), by their dataset names, as the records expect them."""
    values: dict[str, Any] = {}
    for name, info in FIELDS_OF[kind].model_fields.items():
        value = getattr(fields, name, strawberry.UNSET)
        if value is strawberry.UNSET:
            continue
        values[info.alias or name] = _plain(value)
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, ViewershipInput):
        return {
            "hoursViewed": value.hours_viewed,
            "periodStart": value.period_start,
            "periodEnd": value.period_end,
            "label": value.label,
            "sources": [decode_id(i).partition(":")[2] for i in value.sources],
        }
    if isinstance(value, Enum):
        return value.value
    return value


def _create_input(kind: NodeKind, fields_input: type) -> type:
    annotations: dict[str, Any] = {
        "fields": fields_input,
        "id": str | None,
        "sources": list[strawberry.ID] | None,
        "new_source": NewSourceInput | None,
        "note": str | None,
        "client_mutation_id": str | None,
    }
    namespace: dict[str, Any] = {
        "fields": strawberry.field(description="Its facts; required ones must be given."),
        "id": strawberry.field(
            default=None, description="Local id; made from the name if omitted."
        ),
        "sources": strawberry.field(default=None, description="Ids of existing sources."),
        "new_source": strawberry.field(default=None, description="Or a new source to record."),
        "note": strawberry.field(default=None, description=NOTE_DESCRIPTION),
        "client_mutation_id": strawberry.field(default=None, description="Echoed back."),
    }
    if kind in PARENT_OF:
        annotations["parent"] = strawberry.ID
        kinds = " or ".join(a_kind(k) for k in sorted(PARENT_OF[kind][1]))
        namespace["parent"] = strawberry.field(description=f"Where it belongs: {kinds}.")
    namespace["__annotations__"] = annotations
    cls = type(f"Create{TYPE_NAMES[kind]}Input", (), namespace)
    return strawberry.input(cls, description=f"Create {a_kind(kind)}.")


def _update_input(kind: NodeKind, fields_input: type) -> type:
    namespace: dict[str, Any] = {
        "__annotations__": {
            "id": strawberry.ID,
            "fields": fields_input,
            "sources": list[strawberry.ID] | None,
            "new_source": NewSourceInput | None,
            "note": str | None,
            "client_mutation_id": str | None,
        },
        "id": strawberry.field(description="The node to change."),
        "fields": strawberry.field(
            description="The facts to change; they will cite this edit's sources."
        ),
        "sources": strawberry.field(default=None, description="Ids of existing sources."),
        "new_source": strawberry.field(default=None, description="Or a new source to record."),
        "note": strawberry.field(default=None, description=NOTE_DESCRIPTION),
        "client_mutation_id": strawberry.field(default=None, description="Echoed back."),
    }
    cls = type(f"Update{TYPE_NAMES[kind]}Input", (), namespace)
    return strawberry.input(cls, description=f"Change facts of {a_kind(kind)}.")


def _create_resolver(kind: NodeKind, input_type: type) -> Any:
    def resolve(info: Info, input: Any) -> NodePayload:
        def plan(edit: Edit) -> str:
            parent = decode_id(input.parent) if kind in PARENT_OF else None
            return create_node(edit, kind, _input_values(kind, input.fields), input.id, parent)

        summary = f"create {kind.value.lower()}"
        written = _write(info, summary, input, plan, cited=kind is not NodeKind.SOURCE)
        return _node_payload(info, written, input)

    resolve.__annotations__ = {"info": Info, "input": input_type, "return": NodePayload}
    return strawberry.mutation(resolver=resolve, description=f"Create {a_kind(kind)}.")


def _update_resolver(kind: NodeKind, input_type: type) -> Any:
    def resolve(info: Info, input: Any) -> NodePayload:
        key = decode_id(input.id)
        if not key.startswith(kind.value.lower() + ":"):
            raise RequestError(f"`id` is not the id of {a_kind(kind)}")

        def plan(edit: Edit) -> str:
            update_node(edit, key, _input_values(kind, input.fields))
            return key

        return _node_payload(info, _write(info, f"update {key}", input, plan), input)

    resolve.__annotations__ = {"info": Info, "input": input_type, "return": NodePayload}
    return strawberry.mutation(resolver=resolve, description=f"Change facts of {a_kind(kind)}.")


def _mutation_fields() -> dict[str, Any]:
    """createX and updateX for every kind (sources are created with `newSource` too)."""
    fields: dict[str, Any] = {}
    for kind in NodeKind:
        fields_input = _fields_input(kind, node_type_of(kind))
        name = TYPE_NAMES[kind]
        fields[f"create_{name.lower()}"] = _create_resolver(kind, _create_input(kind, fields_input))
        fields[f"update_{name.lower()}"] = _update_resolver(kind, _update_input(kind, fields_input))
    return fields


# --- the Mutation type ---------------------------------------------------------------------


def _delete_node(info: Info, input: DeleteNodeInput) -> DeletePayload:
    key = decode_id(input.id)
    deleted, errors, version = _write(
        info, f"delete {key}", input, lambda e: delete_node(e, key, input.cascade)
    )
    return DeletePayload(
        deleted_ids=[strawberry.ID(encode_key(k)) for k in deleted or ()],
        user_errors=errors,
        graph_version=version,
        client_mutation_id=input.client_mutation_id,
    )


def _link_nodes(info: Info, input: LinkInput) -> LinkPayload:
    source, target = decode_id(input.from_), decode_id(input.to)
    props: dict[str, Any] = {}
    if input.relation is Relation.PORTRAYS:
        props = {
            "role": input.role,
            "show": decode_id(input.show) if input.show else None,
            "credited_name": input.credited_name,
            "episodes": None if input.episodes is None else [decode_id(e) for e in input.episodes],
        }
    elif input.relation is Relation.RELATED_TO:
        props = {"kind": input.kind}
    summary = f"link {source} {input.relation.value} {target}"
    _, errors, version = _write(
        info, summary, input, lambda e: link(e, source, input.relation, target, props)
    )
    return _link_payload(info, source, target, input, errors, version)


def _unlink_nodes(info: Info, input: UnlinkInput) -> LinkPayload:
    source, target = decode_id(input.from_), decode_id(input.to)
    summary = f"unlink {source} {input.relation.value} {target}"
    _, errors, version = _write(
        info, summary, input, lambda e: unlink(e, source, input.relation, target)
    )
    return _link_payload(info, source, target, input, errors, version)


def _link_payload(
    info: Info,
    source: str,
    target: str,
    input: LinkInput | UnlinkInput,
    errors: list[UserError],
    version: int,
) -> LinkPayload:
    graph = graph_of(info)
    ends = [graph.node(source), graph.node(target)]
    return LinkPayload(
        source=wrap(ends[0]) if ends[0] else None,
        target=wrap(ends[1]) if ends[1] else None,
        relation=input.relation,
        user_errors=errors,
        graph_version=version,
        client_mutation_id=input.client_mutation_id,
    )


def build_mutation() -> type:
    """The Mutation type: generated createX/updateX plus delete, link and unlink."""
    namespace: Mapping[str, Any] = {
        **_mutation_fields(),
        "delete_node": strawberry.mutation(
            resolver=_delete_node,
            description="Delete a node (with `cascade`, its links and children).",
        ),
        "link_nodes": strawberry.mutation(
            resolver=_link_nodes, description="Link two nodes, or change a link's properties."
        ),
        "unlink_nodes": strawberry.mutation(resolver=_unlink_nodes, description="Remove a link."),
    }
    cls = type("Mutation", (), dict(namespace))
    return strawberry.type(
        cls, description="Writes: each needs a bearer token and names its sources."
    )
