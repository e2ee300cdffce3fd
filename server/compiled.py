"""Compiled queries: a document that ran once runs again as a plan, not through graphql-core.

For every field of every request, graphql-core collects the selection set,
looks up the field's definition, builds a resolve info, coerces the
arguments and completes the value by its type, and Strawberry then converts
the arguments again and builds its own info: about 20 µs a field, where the
resolver itself takes one or two. For a document that has already run, all of
that except the resolver call is fixed. So a query that has proven it
repeats is compiled into a ``Plan`` (``server.pipeline.execution``): for
each selection set, the response keys in order, each with the resolver to
call, its arguments (converted once when they use no variables) and a
function that completes its value the way graphql-core would, all generated
as one Python function per selection set.
Later requests call those functions.

A plan only runs the happy path. Whenever graphql-core would have to report
something (a resolver raises, a non-null field is null, a value does not
serialize, a variable does not coerce) the plan gives up with ``UnsupportedError``
and the request runs through the ordinary executor, which produces the
specified errors and partial data; queries only read, so running one twice is
harmless. Operations with directives of their own, introspection and reads as of a
version (``asOf``) are never compiled.
The tests run every kind of query both ways and compare the answers.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from operator import attrgetter
from types import CodeType
from typing import Any, TypeGuard

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_argument_values,
    is_abstract_type,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Path as ResponsePath
from graphql.utilities import type_from_ast
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from server.arguments import argument_coercer, converter_of, uses_variables
from server.caching import LeastRecentlyUsed, Sightings
from server.cost import alias_free_text, spreads_fragments
from server.executor import ExecutionTimeoutError

MAX_INT = 2**31 - 1
MIN_INT = -(2**31)


class UnsupportedError(Exception):
    """Something the plan does not model: the ordinary executor answers instead."""


class _TimedOutError(Exception):
    """The request ran past its deadline while walking the plan."""


class Run:
    """One execution of a plan: what changes from one request to the next."""

    __slots__ = ("arguments", "context", "deadline", "fields", "infos", "plan", "variables")

    def __init__(
        self, plan: Plan, context: Any, variables: VariableValues | None, deadline: float
    ) -> None:
        self.plan = plan
        self.context = context
        self.variables = variables
        self.deadline = deadline
        self.infos: dict[int, Info] = {}
        self.arguments: dict[int, dict[str, Any]] = {}
        self.fields = 0  # keys of the objects made so far: the actual cost, counted as it runs

    def info(self, resolver: FieldResolver) -> Info:
        """Strawberry's info for a field, made once per request (resolvers read its context)."""
        found = self.infos.get(resolver.index)
        if found is None:
            found = self.infos[resolver.index] = Info(
                _raw_info=self.plan.raw_info(resolver, self), _field=resolver.definition
            )
        return found

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise _TimedOutError


Complete = Callable[[Any, Run], Any]


class ObjectList:
    """Completes a list of objects: items of an accepted class go straight to their walk."""

    __slots__ = ("accepted", "item", "nullable", "walk")

    def __init__(
        self,
        walk: Callable[[Any, Run], dict[str, Any]],
        accepted: set[type],
        item: Complete,
        nullable: bool,
    ) -> None:
        self.walk = walk
        self.accepted = accepted  # classes whose items need no check
        self.item = item  # completes any other item, checking it first
        self.nullable = nullable

    def __call__(self, value: Any, run: Run) -> Any:
        if value is None:
            return _null(self.nullable)
        if not isinstance(value, list | tuple):
            raise UnsupportedError("not a list")
        walk, accepted, item = self.walk, self.accepted, self.item
        found = []
        for each in value:  # lists are where the work multiplies: the deadline, each item
            run.check_deadline()
            found.append(walk(each, run) if type(each) in accepted else item(each, run))
        return found

    def inline(self, i: int, call: str) -> tuple[str, dict[str, Any]]:
        names = {f"w{i}": self.walk, f"a{i}": self.accepted, f"i{i}": self.item}
        return (
            f"[(w{i}(e, run) if type(e) in a{i} else i{i}(e, run)) "
            f"if now() <= run.deadline else late(run) for e in v{i}] "
            f"if type(v{i} := {call}) in seq else c{i}(v{i}, run)",
            {**names, "now": time.monotonic, "seq": _SEQUENCES, "late": _late},
        )


class ObjectCompleter:
    """Completes one object: of a class already accepted, it goes straight to the walk."""

    __slots__ = ("accepted", "is_type_of", "name", "nullable", "walk")

    def __init__(self, type_: GraphQLObjectType, selection: SelectionPlan, nullable: bool) -> None:
        self.name = type_.name
        self.is_type_of = type_.is_type_of
        self.walk = selection.walk
        self.accepted = selection.accepted  # classes is_type_of already accepted
        self.nullable = nullable

    def __call__(self, value: Any, run: Run) -> Any:
        if value is None:
            return _null(self.nullable)
        if type(value) not in self.accepted:
            if self.is_type_of is not None and not self.is_type_of(value, None):  # type: ignore[arg-type]
                raise UnsupportedError(f"not a {self.name}")
            self.accepted.add(type(value))
        return self.walk(value, run)

    def inline(self, i: int, call: str) -> tuple[str, dict[str, Any]]:
        return (
            f"w{i}(v{i}, run) if type(v{i} := {call}) in a{i} else c{i}(v{i}, run)",
            {f"w{i}": self.walk, f"a{i}": self.accepted},
        )


class ScalarCompleter:
    """Serializes a scalar as graphql-core does; the common exact types skip the call."""

    __slots__ = ("exact", "is_int", "nullable", "serialize")

    def __init__(self, type_: GraphQLScalarType, nullable: bool) -> None:
        self.serialize = type_.serialize
        self.exact: type | None = None  # values of exactly this type complete as themselves
        if type_ is GraphQLString or type_ is GraphQLID:
            self.exact = str
        elif type_ is GraphQLBoolean:
            self.exact = bool
        self.is_int = type_ is GraphQLInt
        self.nullable = nullable

    def __call__(self, value: Any, run: Run) -> Any:
        if type(value) is self.exact:
            return value
        if value is None:
            return _null(self.nullable)
        if self.is_int and type(value) is int and MIN_INT <= value <= MAX_INT:
            return value
        serialized = self.serialize(value)
        if serialized is None:
            raise UnsupportedError("a scalar that serialized to null")
        return serialized

    def inline(self, i: int, call: str) -> tuple[str, dict[str, Any]] | None:
        if self.exact is not None:
            return f"v{i} if type(v{i} := {call}) is t{i} else c{i}(v{i}, run)", {
                f"t{i}": self.exact
            }
        if self.is_int:
            return (
                f"v{i} if type(v{i} := {call}) is int and {MIN_INT} <= v{i} <= {MAX_INT} "
                f"else c{i}(v{i}, run)",
                {},
            )
        return None


class EnumCompleter:
    """Serializes an enum value to its name, remembering the names it has seen."""

    __slots__ = ("names", "nullable", "serialize")

    def __init__(self, type_: GraphQLEnumType, nullable: bool) -> None:
        self.serialize = type_.serialize
        self.names: dict[Any, Any] = {}  # value -> name; the enum's values are few and fixed
        self.nullable = nullable

    def __call__(self, value: Any, run: Run) -> Any:
        if value is None:
            return _null(self.nullable)
        name = self.names.get(value)
        if name is None:
            name = self.names[value] = self.serialize(value)
        return name

    def inline(self, i: int, call: str) -> tuple[str, dict[str, Any]]:
        return (
            f"x{i} if (x{i} := n{i}.get(v{i} := {call})) is not None else c{i}(v{i}, run)",
            {f"n{i}": self.names},
        )


class FieldResolver:
    """Calls one field's resolver as Strawberry would, minus what is the same every time."""

    __slots__ = (
        "coerce",
        "convert",
        "definition",
        "field_nodes",
        "function",
        "graphql_field",
        "index",
        "info_name",
        "name",
        "parent",
        "source_names",
        "static_arguments",
        "takes_self",
    )

    def __init__(
        self,
        index: int,
        field_nodes: tuple[FieldNode, ...],
        parent: GraphQLObjectType,
        graphql_field: GraphQLField,
        definition: StrawberryField,
        static_arguments: dict[str, Any] | None,  # None: they depend on the request's variables
        convert: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        resolver = definition.base_resolver
        assert resolver is not None
        self.index = index
        self.name: str = field_nodes[0].name.value
        self.field_nodes = field_nodes
        self.parent = parent
        self.graphql_field = graphql_field
        self.definition = definition
        self.static_arguments = static_arguments
        self.convert = convert
        # Arguments with variables: coerced from the variables by a function made once
        # (server.arguments), or by graphql-core where that function does not model them.
        self.coerce = (
            None
            if static_arguments is not None
            else argument_coercer(graphql_field, field_nodes[0])
        )
        if not callable(resolver.wrapped_func):
            raise UnsupportedError(f"{parent.name}.{self.name} has an uncallable resolver")
        self.function: Callable[..., Any] = resolver.wrapped_func
        self.takes_self = resolver.self_parameter is not None
        self.info_name = resolver.info_parameter.name if resolver.info_parameter else None
        self.source_names = tuple(
            reserved.name
            for reserved in (resolver.root_parameter, resolver.parent_parameter)
            if reserved is not None
        )

    def __call__(self, source: Any, run: Run) -> Any:
        kwargs = self.static_arguments
        if kwargs is None:
            kwargs = self.arguments(run)
        if self.info_name is not None or self.source_names:
            kwargs = dict(kwargs)
            if self.info_name is not None:
                kwargs[self.info_name] = run.info(self)
            for name in self.source_names:
                kwargs[name] = source
        if self.takes_self:
            return self.function(source, **kwargs)
        return self.function(**kwargs)

    def expression(self) -> tuple[str, dict[str, Any]]:
        """The cheapest call doing what ``__call__`` does, for ``SelectionPlan.generate``.

        Most resolvers are methods taking ``self`` and perhaps ``info``, with
        arguments fixed in the document: those are called directly.
        """
        static = self.static_arguments
        if not self.takes_self or self.source_names or static is None:
            return "r{i}(source, run)", {"r{i}": self}
        names: dict[str, Any] = {"f{i}": self.function, "r{i}": self, "s{i}": static}
        arguments = ["source"]
        if self.info_name is not None:
            # The info made for this field earlier in the request, without a call; the
            # first item of the request makes it.
            info = "run.infos.get(n{i}) or run.info(r{i})"
            arguments.append(f"{self.info_name}=({info})")
            names["n{i}"] = self.index
        if static:
            arguments.append("**s{i}")
        return f"f{{i}}({', '.join(arguments)})", names

    def arguments(self, run: Run) -> dict[str, Any]:
        """The arguments with this request's variables, converted once per request."""
        found = run.arguments.get(self.index)
        if found is None:
            variables = run.variables
            if self.coerce is not None and variables is not None:
                coerced = self.coerce(variables.coerced)
            else:
                coerced = get_argument_values(self.graphql_field, self.field_nodes[0], variables)
            found = run.arguments[self.index] = self.convert(coerced)
        return found


@dataclass(slots=True)
class FieldPlan:
    """One response key: a Python expression resolving it on ``source``, and its completion.

    ``call`` names what it uses with an ``{i}`` suffix, bound in ``names``
    (each field gets its own ``i`` when its selection is generated).
    """

    key: str  # the response key: the alias, or the field's name
    call: str
    names: dict[str, Any]
    complete: Complete


@dataclass(slots=True)
class SelectionPlan:
    """The fields one selection set asks of one object type, as one generated function.

    ``walk(source, run)`` returns the response object: a dict display with an
    expression per key, so that resolving a field costs its resolver call and
    little else (no loop, no per-field indirection).
    """

    walk: Callable[[Any, Run], dict[str, Any]]
    accepted: set[type] = field(default_factory=set)  # classes is_type_of already accepted

    @classmethod
    def generate(
        cls, type_name: str, fields: list[FieldPlan], compile_missing: bool = True
    ) -> SelectionPlan:
        """The selection's function; ``NotCompiledError`` if it needs new code and
        ``compile_missing`` is false."""
        names: dict[str, Any] = {}
        entries = []
        for i, plan in enumerate(fields):
            call = plan.call.replace("{i}", str(i))
            names.update({name.replace("{i}", str(i)): value for name, value in plan.names.items()})
            names[f"c{i}"] = plan.complete
            names[f"k{i}"] = plan.key
            # A completer that can write its common case inline does: a resolved value
            # of the usual kind completes without a call; anything else meets c{i}.
            inline = getattr(plan.complete, "inline", None)
            written = inline(i, call) if inline is not None else None
            if written is None:
                entries.append(f"k{i}: c{i}({call}, run)")
            else:
                names.update(written[1])
                entries.append(f"k{i}: {written[0]}")
        # Each object made adds its keys to the actual cost (``Plan.execute``), so the
        # answer need not be walked again to count them (8 µs for the small query's).
        source = (
            f"def walk(source, run):\n    run.fields += {len(entries)}\n"
            "    return {" + ", ".join(entries) + "}\n"
        )
        exec(CODE.get(source, compile_missing), names)  # our own text
        return cls(names["walk"])


class NotCompiledError(UnsupportedError):
    """Code a plan built on first sight would have to compile: the reference runs instead.

    ``repeated`` says another first-sight plan missed the same code before.
    """

    def __init__(self, repeated: bool) -> None:
        super().__init__("new code")
        self.repeated = repeated


class CodeCache:
    """Generated functions' code by its text, the least recently used dropped first.

    The text names what it uses (resolvers, completers, response keys,
    indexes) rather than holding it, so documents asking the same fields under
    other aliases, or of other objects, share the code: compiling the text
    took about 65 µs a selection set, 620 of the 700 µs that compiling the
    small query's plan took (``time.process_time`` over 300 documents, each
    under a new alias); from cached code the whole plan takes about 80 µs.

    It also remembers (``Sightings``, as many as the code it keeps) the texts
    that first-sight plans missed, so that a shape asked by a second new document
    is compiled then (``NotCompiledError.repeated``): a server that only ever
    sees new documents, each once, would otherwise never compile a plan.
    """

    def __init__(self, size: int) -> None:
        self._codes: LeastRecentlyUsed[str, CodeType] = LeastRecentlyUsed(size)
        self._missed = Sightings(size)  # texts first-sight plans missed

    def get(self, source: str, compile_missing: bool = True) -> CodeType:
        """The code of ``source``; ``NotCompiledError`` if it is new and not to be compiled."""
        code = self._codes.get(source)
        if code is not None:
            return code
        if not compile_missing:
            raise NotCompiledError(self._missed.repeated(source))
        code = compile(source, "<plan>", "exec")
        self._codes.put(source, code)
        return code


CODE = CodeCache(4096)  # distinct selection sets' code of one process (a few KB each)

# Bytes a shared field plan keeps alive per character of its document: the syntax tree
# with its tokens (``server.pipeline.documents.BYTES_PER_CHARACTER``, 150) and the
# plan's parts as much again.
SHARED_BYTES_PER_CHARACTER = 300
SHARED_FIELD_BYTES = 8 * 2**20  # of one schema: some 400 small documents' worth


class SharedFields:
    """Fields' plans by what they ask, shared by the plans of every document of one schema.

    A field's plan (its resolver, arguments and completion, all its
    subselections included) depends on its parent type and its text without
    its alias: the name, the arguments (values or variables, whose coerced
    values each run brings), the directives and the selections inside. So a
    document that differs from a known one by aliases or by other fields reuses
    the plans of the fields they have in common, and its own response keys are
    bound above them (``Plan._field``). Building the small query's plan under a
    new alias took 95 µs from cached code, nearly all of it below the aliased
    root field (``time.process_time`` over 3,000 documents).

    Not shared: fields whose selections spread named fragments (those belong
    to the document), fields merged from several nodes, and fields of a
    document parsed without locations (no text to key them by). A field's plan
    keeps its nodes, and through their tokens the document's whole tree, so the
    cache is bounded by the bytes of the documents it keeps, the least recently
    used dropped first.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size_bytes = 0
        self._plans: OrderedDict[tuple[str, str], tuple[FieldPlan, str]] = OrderedDict()
        self._kept: dict[str, int] = {}  # document text -> its fields kept
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> FieldPlan | None:
        with self._lock:
            found = self._plans.get(key)
            if found is None:
                return None
            self._plans.move_to_end(key)
            return found[0]

    def put(self, key: tuple[str, str], plan: FieldPlan, text: str) -> None:
        """Keep ``plan``, made from a document of ``text``, unless that document is too big."""
        weight = len(text) * SHARED_BYTES_PER_CHARACTER
        if weight > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._plans:
                return
            self._plans[key] = (plan, text)
            self._hold(text, weight)
            while self.size_bytes > self.max_bytes:
                _, (_, dropped) = self._plans.popitem(last=False)
                self._release(dropped)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self._kept.clear()
            self.size_bytes = 0

    def _hold(self, text: str, weight: int) -> None:
        """A document is counted once, however many of its fields are kept."""
        count = self._kept.get(text, 0)
        if count == 0:
            self.size_bytes += weight
        self._kept[text] = count + 1

    def _release(self, text: str) -> None:
        count = self._kept[text] - 1
        if count:
            self._kept[text] = count
        else:
            del self._kept[text]
            self.size_bytes -= len(text) * SHARED_BYTES_PER_CHARACTER


_SHARED: weakref.WeakKeyDictionary[strawberry.Schema, SharedFields] = weakref.WeakKeyDictionary()


def shared_fields_of(schema: strawberry.Schema) -> SharedFields:
    """The schema's shared field plans, made on first use."""
    found = _SHARED.get(schema)
    if found is None:
        found = _SHARED[schema] = SharedFields(SHARED_FIELD_BYTES)
    return found


def forget_compiled() -> None:
    """Drop all compiled code and shared field plans, as a new process starts (for tests)."""
    CODE._codes.clear()
    CODE._missed.clear()
    for shared in list(_SHARED.values()):
        shared.clear()


class Plan:
    """One operation of one document, compiled against the schema; thread-safe to run."""

    def __init__(
        self,
        schema: strawberry.Schema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        compile_missing: bool = True,
    ) -> None:
        self.schema = schema
        self.graphql_schema: GraphQLSchema = schema._schema
        self.operation = operation
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.document = document
        self.converter = converter_of(schema)
        self.shared = shared_fields_of(schema)
        self.has_variables = bool(operation.variable_definitions)
        self.seconds = math.inf  # how long the last run took; unknown until one ran
        root = self.graphql_schema.query_type
        if operation.operation is not OperationType.QUERY or root is None:
            raise UnsupportedError("only queries are compiled")
        # False: built from code compiled before only (``NotCompiledError`` if it needs
        # more). Only while building: types met later (of an interface) compile as needed.
        self.compile_missing = compile_missing
        try:
            self.root = self._selection(root, [operation.selection_set])
        finally:
            # Even when building stopped at new code: the fields built until then are
            # shared (``SharedFields``), and their abstract types compile as they run.
            self.compile_missing = True

    # --- running -----------------------------------------------------------------------

    def execute(
        self, context: Any, variables: VariableValues, timeout: float
    ) -> tuple[dict[str, Any], int]:
        """The ``data`` of a successful run and the fields it resolved (one per key of
        every object in it, what ``server.cost.actual_cost`` counts of an answer);
        ``UnsupportedError`` (or any error) when it is not one.

        ``variables`` are coerced already (``server.pipeline.variables``). Raises
        ``ExecutionTimeoutError`` past ``timeout`` seconds, as the ordinary
        executor does.
        """
        coerced = variables if self.has_variables else None
        deadline = time.monotonic() + timeout if math.isfinite(timeout) else math.inf
        run = Run(self, context, coerced, deadline)
        try:
            run.check_deadline()
            data = self.root.walk(None, run)
            return data, run.fields
        except _TimedOutError:
            raise ExecutionTimeoutError(timeout) from None

    def raw_info(self, resolver: FieldResolver, run: Run) -> GraphQLResolveInfo[Any]:
        """graphql-core's info for a field, shared by all its items in one request.

        So its ``path`` is the field's own key, without list indexes: the
        resolvers read the context and the parent type, and errors, which need
        the exact path, are always reported by the ordinary executor.
        """
        return GraphQLResolveInfo(
            field_name=resolver.name,
            field_nodes=list(resolver.field_nodes),
            return_type=resolver.graphql_field.type,
            parent_type=resolver.parent,
            path=ResponsePath(None, resolver.field_nodes[0].name.value, resolver.parent.name),
            schema=self.graphql_schema,
            fragments=self.fragments,
            root_value=None,
            operation=self.operation,
            variable_values=run.variables,  # type: ignore[arg-type]
            context=run.context,
            is_awaitable=_never_awaitable,
            abort_signal=None,
            async_helpers=None,  # type: ignore[arg-type]
        )

    # --- compiling ---------------------------------------------------------------------

    def _selection(
        self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> SelectionPlan:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(parent, selection_set, grouped, set())
        fields = [self._field(parent, key, nodes) for key, nodes in grouped.items()]
        try:
            return SelectionPlan.generate(parent.name, fields, self.compile_missing)
        except NotCompiledError as missing:
            if not missing.repeated:
                raise
            # A second new document of this shape: it is worth its code (about 65 µs a
            # selection set), here and in the selections around it.
            self.compile_missing = True
            return SelectionPlan.generate(parent.name, fields)

    def _collect(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        spread: set[str],
    ) -> None:
        """Fields by response key, through fragments, as graphql-core's collect_fields does."""
        for selection in selection_set.selections:
            if selection.directives:
                raise UnsupportedError("directives decide per request")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection, parent):
                    self._collect(parent, selection.selection_set, grouped, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in spread or fragment is None:
                    continue
                spread.add(name)
                if fragment.directives:
                    raise UnsupportedError("directives decide per request")
                if self._applies(fragment, parent):
                    self._collect(parent, fragment.selection_set, grouped, spread)

    def _applies(
        self, fragment: InlineFragmentNode | FragmentDefinitionNode, parent: GraphQLObjectType
    ) -> bool:
        condition = fragment.type_condition
        if condition is None:
            return True
        wanted = type_from_ast(self.graphql_schema, condition)
        if wanted is parent:
            return True
        if wanted is not None and is_abstract_type(wanted):
            return self.graphql_schema.is_sub_type(wanted, parent)
        return False

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        """The field's plan under response key ``key``: shared when another document
        asked the same of the same type (``SharedFields``), else built and shared."""
        shape = _shape_of(parent, nodes)
        if shape is None:
            return self._new_field(parent, key, nodes)
        found = self.shared.get(shape)
        if found is None:
            found = self._new_field(parent, key, nodes)
            self.shared.put(shape, found, _text_of(nodes[0]))
        return FieldPlan(key, found.call, found.names, found.complete)

    def _new_field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        name = nodes[0].name.value
        if name == "__typename":
            return FieldPlan(key, repr(parent.name), {}, _identity)
        if name.startswith("__"):
            raise UnsupportedError("introspection runs through graphql-core")
        if name == "asOf":  # its fields find their graph by the path, which plans do not keep
            raise UnsupportedError("reads as of a version run through graphql-core")
        graphql_field = parent.fields[name]
        definition = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(definition, StrawberryField) or definition.extensions:
            raise UnsupportedError(f"{parent.name}.{name} is not a plain Strawberry field")
        if definition.is_async:
            raise UnsupportedError(f"{parent.name}.{name} is asynchronous")
        complete = self._completer(graphql_field.type, nodes)
        if definition.is_basic_field:
            if definition.default_resolver is not getattr:
                raise UnsupportedError("a custom default resolver")
            getter = attrgetter(definition.python_name)
            return FieldPlan(key, "g{i}(source)", {"g{i}": getter}, complete)
        convert = self.converter.arguments(definition.arguments)
        static = None
        if not _uses_variables(nodes[0]):
            static = convert(get_argument_values(graphql_field, nodes[0]))
        resolver = FieldResolver(
            next(_INDEXES), tuple(nodes), parent, graphql_field, definition, static, convert
        )
        call, names = resolver.expression()
        return FieldPlan(key, call, names, complete)

    def _completer(
        self, type_: GraphQLOutputType, nodes: list[FieldNode], nullable: bool = True
    ) -> Complete:
        """How graphql-core's complete_value would turn a resolved value into JSON.

        A null where ``nullable`` is false is an error graphql-core reports.
        """
        if isinstance(type_, GraphQLNonNull):
            return self._completer(type_.of_type, nodes, nullable=False)
        if isinstance(type_, GraphQLList):
            of = type_.of_type
            if isinstance(of.of_type if isinstance(of, GraphQLNonNull) else of, GraphQLObjectType):
                return self._object_list_completer(of, nodes, nullable)
            item = self._completer(of, nodes)

            def complete_list(value: Any, run: Run) -> Any:
                if value is None:
                    return _null(nullable)
                if not isinstance(value, list | tuple):
                    raise UnsupportedError("not a list")
                run.check_deadline()  # lists are where the work multiplies
                return [item(each, run) for each in value]

            return complete_list
        if isinstance(type_, GraphQLScalarType):
            return ScalarCompleter(type_, nullable)
        if isinstance(type_, GraphQLEnumType):
            return EnumCompleter(type_, nullable)
        if isinstance(type_, GraphQLObjectType):
            return self._object_completer(type_, nodes, nullable)
        return self._abstract_completer(type_, nodes, nullable)

    def _object_completer(
        self,
        type_: GraphQLObjectType,
        nodes: list[FieldNode],
        nullable: bool,
        selection: SelectionPlan | None = None,
    ) -> ObjectCompleter:
        selection = selection or self._selection(type_, _subselections(nodes))
        return ObjectCompleter(type_, selection, nullable)

    def _object_list_completer(
        self, of: GraphQLOutputType, nodes: list[FieldNode], nullable: bool
    ) -> ObjectList:
        """A list of objects: items of a class already accepted go straight to the walk."""
        item_type = of.of_type if isinstance(of, GraphQLNonNull) else of
        assert isinstance(item_type, GraphQLObjectType)
        selection = self._selection(item_type, _subselections(nodes))
        item = self._object_completer(
            item_type, nodes, not isinstance(of, GraphQLNonNull), selection
        )
        return ObjectList(selection.walk, selection.accepted, item, nullable)

    def _abstract_completer(
        self, type_: GraphQLAbstractType, nodes: list[FieldNode], nullable: bool
    ) -> Complete:
        """Objects of an interface or union: one compiled selection per concrete type."""
        by_class: dict[type, Complete] = {}

        def complete_abstract(value: Any, run: Run) -> Any:
            if value is None:
                return _null(nullable)
            complete = by_class.get(type(value))
            if complete is None:
                try:
                    complete = self._concrete(type_, type(value), nodes)
                except NotCompiledError:
                    raise  # not a verdict on the type: a later run may compile it
                except UnsupportedError as error:
                    complete = _refuse(str(error))
                by_class[type(value)] = complete
            return complete(value, run)

        return complete_abstract

    def _concrete(
        self, abstract: GraphQLAbstractType, cls: type, nodes: list[FieldNode]
    ) -> Complete:
        """The completer for objects of ``cls`` where ``abstract`` is expected."""
        definition = getattr(cls, "__strawberry_definition__", None)
        if definition is None or definition.is_graphql_generic:
            raise UnsupportedError(f"cannot tell the GraphQL type of {cls.__name__}")
        runtime = self.graphql_schema.get_type(definition.name)
        if not isinstance(runtime, GraphQLObjectType) or not self.graphql_schema.is_sub_type(
            abstract, runtime
        ):
            raise UnsupportedError(f"{definition.name} is not a possible type of {abstract.name}")
        return self._object_completer(runtime, nodes, nullable=False)  # null was checked


def compile_query(
    schema: strawberry.Schema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    compile_missing: bool = True,
) -> Plan:
    """The plan of one operation of a valid document; ``UnsupportedError`` if it has no plan.

    With ``compile_missing`` false, only a plan made of code compiled before
    (``CODE``), else ``NotCompiledError``.
    """
    if operation.directives:
        raise UnsupportedError("directives decide per request")
    return Plan(schema, document, operation, compile_missing)


_SEQUENCES = (list, tuple)  # what resolvers return for GraphQL lists

# Resolvers' indexes, which key a run's infos and arguments: unique in the process, as
# plans share fields (``SharedFields``); atomic, as abstract types compile while running.
_INDEXES = itertools.count()


def _shape_of(parent: GraphQLObjectType, nodes: list[FieldNode]) -> tuple[str, str] | None:
    """What a field's plan depends on: its parent type and its text from its name on
    (so without its alias); None when it cannot be shared (``SharedFields``)."""
    if len(nodes) != 1:
        return None
    node = nodes[0]
    text = alias_free_text(node)
    if text is None or ("..." in text and spreads_fragments(node.selection_set)):
        return None
    return parent.name, text


def _text_of(node: FieldNode) -> str:
    assert node.loc is not None  # _shape_of found it
    return node.loc.source.body


def _subselections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def _uses_variables(node: Node) -> bool:
    """Whether a field's arguments refer to any variable (then they are coerced per request)."""
    return any(uses_variables(argument.value) for argument in node.arguments or ())  # type: ignore[attr-defined]


def _late(run: Run) -> Any:
    """Past the deadline in the middle of a list: stop (``Plan.execute`` words it)."""
    raise _TimedOutError


def _refuse(reason: str) -> Complete:
    def refuse(value: Any, run: Run) -> Any:
        raise UnsupportedError(reason)

    return refuse


def _identity(value: Any, run: Run) -> Any:
    return value


def _never_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return False


def _null(nullable: bool) -> None:
    if not nullable:
        raise UnsupportedError("null in a non-null field")
    return
