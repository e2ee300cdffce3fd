"""The execute stage: one interface over the two executors.

graphql-core's executor (the reference) answers every operation; a query
whose document has proven that it repeats also gets a compiled plan
(``server.compiled``), which answers later runs at a fraction of the cost and
gives way to the reference whenever something unusual happens. A document
seen once pays parse, validate and execute, nothing more: its plan is
compiled after its ``COMPILE_AFTER``-th successful run, off the request's
path, in a worker thread. Only where a plan can be put together from code
compiled for other documents, or code that a new document of the same shape
missed before (``_first_sight``), which costs less than the reference
executor's run, does a new document run from a plan at once. The
tests hold the plans to the reference's answers.

Readers share the graph's lock; a mutation takes it alone. A plan that ran
quickly last time (``INLINE_SECONDS``) runs on the event loop, sparing the
hand-over to a worker thread, but only if the lock is free to read at once;
everything else runs in a thread, so the loop never waits on the lock.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLError, OperationType, execute, subscribe
from graphql.execution.values import VariableValues
from starlette.concurrency import run_in_threadpool
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph_data import ShowGraph
from server.compiled import NotCompiledError, Plan, UnsupportedError, compile_query
from server.executor import ExecutionTimeoutError
from server.pipeline.documents import Document, Documents
from server.pipeline.operations import select_operation
from server.pipeline.validation import ARGUMENTS, EVERYTHING

# A document's successful runs before its plan is compiled: a document seen once
# never pays for a plan (0.9 ms for the small query, more than its execution).
COMPILE_AFTER = 2

# A compiled query whose last run took less time than this runs on the event loop.
# It is the interpreter's switch interval: a worker thread holding the GIL gives the
# loop a turn no sooner, so a thread would not answer other requests any earlier,
# while handing the plan over costs CPU (measured: about 0.5 ms on a 2.8 ms query).
INLINE_SECONDS = sys.getswitchinterval()

# A thread costs about 110-140 µs of CPU a run (``run_in_threadpool`` of nothing, 3,000
# times), a fifth of a new small document's request once its plan or its reference run
# is cheap. So a first run stays on the loop too when it is expected to be as quick:
# by the fields it can resolve (the cost estimate) at these costs, measured at about
# 1 µs a field for a plan's first run and 12 µs through the reference (the small query,
# 63 fields), doubled; and only for a document without arguments, since a filter or a
# search can take long over few fields (``_first_run_seconds``).
PLAN_FIELD_SECONDS = 2e-6
REFERENCE_FIELD_SECONDS = 25e-6


def _first_run_seconds(document: Document, cost: int | None, per_field: float) -> float:
    """What a run of a document that has no timing yet may take: unknown (inf) unless
    the document has no arguments and its cost estimate is known."""
    features = document.features
    if cost is None or features is None or ARGUMENTS in features or EVERYTHING in features:
        return math.inf
    return cost * per_field


class Executor:
    """Runs prepared operations of one schema over one graph; see the module docstring."""

    def __init__(
        self,
        schema: strawberry.Schema,
        graph: ShowGraph,
        documents: Documents,
        executor_class: type[StrawberryGraphQLCoreExecutionContext],
        timeout: float,
        compile_plans: bool = True,
        in_background: bool = True,
    ) -> None:
        self.schema = schema
        self.graph = graph
        self.documents = documents
        self.executor_class = executor_class
        self.timeout = timeout
        self.compile_plans = compile_plans
        self.in_background = in_background  # False: compile before answering (for tests)
        self.compiling: list[Future[None]] = []  # plans being compiled, for tests to await

    async def run(
        self,
        document: Document,
        operation_name: str | None,
        kind: OperationType,
        variables: VariableValues,
        context: Any,
        cost: int | None = None,
    ) -> ExecutionResult:
        """The operation's result: from its plan if it has one that answers, else the reference.

        ``cost`` is the estimate of the fields it resolves (``server.cost``),
        which lets a first run of a small document stay on the event loop.
        """
        query = kind is OperationType.QUERY
        plan = document.plans.get(operation_name) if query else None
        if plan is None and query and self._unseen(document, operation_name):
            plan = self._first_sight(document, operation_name)
        if plan is not None:
            seconds = plan.seconds
            if not math.isfinite(seconds):  # its first run
                seconds = _first_run_seconds(document, cost, PLAN_FIELD_SECONDS)
            result = await self._run_plan(plan, variables, context, seconds)
            if result is not None:
                return result
        lock = self.graph.lock
        quick = _first_run_seconds(document, cost, REFERENCE_FIELD_SECONDS) < INLINE_SECONDS
        if query and quick and lock.try_read():
            try:
                result = self.reference(document, operation_name, variables, context)
            finally:
                lock.release_read()
            if not result.errors:
                self._ran(document, operation_name)
            return result
        taking = lock.turn if kind is OperationType.MUTATION else lock.reading

        def run() -> ExecutionResult:
            with taking():
                return self.reference(document, operation_name, variables, context)

        result = await run_in_threadpool(run)
        if kind is OperationType.QUERY and not result.errors:
            self._ran(document, operation_name)
        return result

    def reference(
        self,
        document: Document,
        operation_name: str | None,
        variables: VariableValues,
        context: Any,
    ) -> ExecutionResult:
        """graphql-core's answer (synchronous: our resolvers never await)."""
        result = execute(
            self.schema._schema,
            document.node,
            context_value=context,
            variable_values=variables.coerced,
            operation_name=operation_name,
            executor_class=self.executor_class,
        )
        assert isinstance(result, ExecutionResult)
        return result

    async def subscribe(
        self,
        document: Document,
        operation_name: str | None,
        variables: VariableValues,
        context: Any,
    ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
        """The stream of a subscription's results, or the result that ends it at once."""
        found = subscribe(
            self.schema._schema,
            document.node,
            context_value=context,
            variable_values=variables.coerced,
            operation_name=operation_name,
            executor_class=self.executor_class,
        )
        if asyncio.iscoroutine(found) or isinstance(found, asyncio.Future):
            found = await found
        return found  # type: ignore[return-value]

    def _ran(self, document: Document, operation_name: str | None) -> None:
        """Count a successful run; the ``COMPILE_AFTER``-th compiles a plan in the background."""
        document.runs += 1
        if not self.compile_plans or document.runs != COMPILE_AFTER:
            return
        if operation_name in document.plans:
            return
        if not self.in_background:
            self.compile(document, operation_name)
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, self.compile, document, operation_name)
        self.compiling.append(future)  # type: ignore[arg-type]
        future.add_done_callback(lambda done: self.compiling.remove(done))  # type: ignore[arg-type]

    def _unseen(self, document: Document, operation_name: str | None) -> bool:
        """Whether the document has no plan yet, nor a verdict that it has none.

        Until its plan is compiled (``COMPILE_AFTER``), each run tries to make
        one from code compiled before: a miss costs the part built until then.
        """
        return self.compile_plans and operation_name not in document.plans

    def _first_sight(self, document: Document, operation_name: str | None) -> Plan | None:
        """A plan made on a document's first run, if it needs no code compiled for it.

        A plan's code is kept by its text (``server.compiled.CODE``), which
        names fields, not aliases or values, so most new documents (the same
        fields under new aliases, a query edited in GraphiQL) need no new code,
        and then building their plan and running it costs less than the
        reference executor alone: for the small query under a new alias,
        about 80 + 30 µs against 750 (``time.process_time``). A document
        needing new code runs through the reference and gets its plan as
        ``COMPILE_AFTER`` says, unless another new document missed the same
        code before: then its plan compiles that code now (``CodeCache``), so
        that new documents of a repeating shape run from plans. One its plan
        cannot answer runs through the reference too.
        """
        try:
            operation = select_operation(document, operation_name)
            plan = compile_query(self.schema, document.node, operation, compile_missing=False)
        except NotCompiledError:
            return None
        except (UnsupportedError, GraphQLError, KeyError):
            plan = None  # it never will have one: remembered, as compile() does
        document.plans[operation_name] = plan
        self.documents.reweigh(document)
        return plan

    def compile(self, document: Document, operation_name: str | None) -> None:
        """Compile the plan of one operation (None when it has none) and re-weigh the document."""
        plan: Plan | None = None
        try:
            operation = select_operation(document, operation_name)
            plan = compile_query(self.schema, document.node, operation)
        except (UnsupportedError, GraphQLError, KeyError):
            plan = None
        document.plans[operation_name] = plan
        self.documents.reweigh(document)

    async def _run_plan(
        self, plan: Plan, variables: VariableValues, context: Any, seconds: float
    ) -> ExecutionResult | None:
        """A compiled query's result, or None when the reference executor must answer.

        ``seconds`` is what the run is expected to take.
        """
        lock = self.graph.lock
        if seconds < INLINE_SECONDS and lock.try_read():
            try:
                return self._plan_result(plan, variables, context)
            finally:
                lock.release_read()

        def run() -> ExecutionResult | None:
            with lock.reading():
                return self._plan_result(plan, variables, context)

        return await run_in_threadpool(run)

    def _plan_result(
        self, plan: Plan, variables: VariableValues, context: Any
    ) -> ExecutionResult | None:
        # Wall time, what the run holds the loop for: ``perf_counter`` costs 0.05 µs, the
        # thread's CPU clock a system call of 0.6 µs (two a request, about 2 % of (f)).
        # A run stretched by a busy machine sends the next run to a thread, which
        # measures it again.
        started = time.perf_counter()
        try:
            data, fields = plan.execute(context, variables, self.timeout)
        except ExecutionTimeoutError as error:
            return ExecutionResult(data=None, errors=[error])
        except Exception:  # anything unusual is the reference executor's to word
            return None
        finally:
            plan.seconds = time.perf_counter() - started
        return CountedResult(data, fields)


class CountedResult(ExecutionResult):
    """A plan's result, with the fields it resolved counted while it ran (``fields``)."""

    __slots__ = ("fields",)

    def __init__(self, data: dict[str, Any], fields: int) -> None:
        super().__init__(data, None)
        self.fields = fields
