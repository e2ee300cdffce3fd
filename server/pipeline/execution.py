"""The execute stage: one interface over the two executors.

graphql-core's executor (the reference) answers every operation; a query
whose document has proven that it repeats also gets a compiled plan
(``server.compiled``), which answers later runs at a fraction of the cost and
gives way to the reference whenever something unusual happens. A document
seen once pays parse, validate and execute, nothing more: its plan is
compiled after its ``COMPILE_AFTER``-th successful run, off the request's
path, in a worker thread. The tests hold the plans to the reference's answers.

Readers share the graph's lock; a mutation takes it alone. A plan that ran
quickly last time (``INLINE_SECONDS``) runs on the event loop, sparing the
hand-over to a worker thread, but only if the lock is free to read at once;
everything else runs in a thread, so the loop never waits on the lock.
"""

from __future__ import annotations

import asyncio
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
from server.compiled import Plan, UnsupportedError, compile_query
from server.executor import ExecutionTimeoutError
from server.pipeline.documents import Document, Documents
from server.pipeline.operations import select_operation

# A document's successful runs before its plan is compiled: a document seen once
# never pays for a plan (0.9 ms for the small query, more than its execution).
COMPILE_AFTER = 2

# A compiled query whose last run took less CPU time than this runs on the event loop.
# It is the interpreter's switch interval: a worker thread holding the GIL gives the
# loop a turn no sooner, so a thread would not answer other requests any earlier,
# while handing the plan over costs CPU (measured: about 0.5 ms on a 2.8 ms query).
INLINE_SECONDS = sys.getswitchinterval()


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
    ) -> ExecutionResult:
        """The operation's result: from its plan if it has one that answers, else the reference."""
        plan = document.plans.get(operation_name) if kind is OperationType.QUERY else None
        if plan is not None:
            result = await self._run_plan(plan, variables, context)
            if result is not None:
                return result
        lock = self.graph.lock.turn if kind is OperationType.MUTATION else self.graph.lock.reading

        def run() -> ExecutionResult:
            with lock():
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

    def compile(self, document: Document, operation_name: str | None) -> None:
        """Compile the plan of one operation (None when it has none) and re-weigh the document."""
        plan: Plan | None = None
        try:
            operation = select_operation(document, operation_name)
            plan = compile_query(self.schema, document.node, operation)
        except (UnsupportedError, GraphQLError, KeyError):
            plan = None
        document.plans[operation_name] = plan
        self.documents.resize(document)

    async def _run_plan(
        self, plan: Plan, variables: VariableValues, context: Any
    ) -> ExecutionResult | None:
        """A compiled query's result, or None when the reference executor must answer."""
        lock = self.graph.lock
        if plan.seconds < INLINE_SECONDS and lock.try_read():
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
        started = time.thread_time()  # CPU time: a busy machine does not make a plan look slow
        try:
            data = plan.execute(context, variables, self.timeout)
        except ExecutionTimeoutError as error:
            return ExecutionResult(data=None, errors=[error])
        except Exception:  # anything unusual is the reference executor's to word
            return None
        finally:
            plan.seconds = time.thread_time() - started
        return ExecutionResult(data=data, errors=None)
