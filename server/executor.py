"""The executor that runs each query: stopped at a deadline, quiet about the schema if asked.

Execution runs in a worker thread, which cannot be killed from outside; a
timeout that only stopped waiting would leave the work running and the thread
busy. So the executor itself checks the deadline before resolving every field
and, once it has passed, refuses to resolve anything more: the remaining
fields are never started, the error travels straight to the root (no partial
data), and the thread is free again. A single resolver already running is not
interrupted; the other limits keep each one small.

Subscriptions last as long as their client wants: the limit applies to the
work of producing each event, from the moment the event arrives.

Mutations are not stopped: a write that has begun is let finish and reported,
rather than applied but answered with a timeout; the cost limit bounds them.
"""

from __future__ import annotations

import math
import time
from typing import Any, cast

from graphql import GraphQLError, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from server.settings import PREFIX

clock = time.monotonic  # the deadline's clock; tests move it to make a subscription old


class ExecutionTimeoutError(GraphQLError):
    """The query ran past the execution time limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"Time limit exceeded: the query ran for more than {seconds:g} seconds and was "
            f"stopped; the limit is {seconds:g} seconds.",
            extensions={
                "code": "TIMEOUT",
                "limit": seconds,
                "setting": PREFIX + "EXECUTION_TIMEOUT",
            },
        )


def is_timeout(error: GraphQLError) -> bool:
    return isinstance(error, ExecutionTimeoutError) or isinstance(
        error.original_error, ExecutionTimeoutError
    )


def executor_class(
    timeout: float, *, hide_suggestions: bool
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """An executor class (built once per schema) stopping each execution after ``timeout`` s.

    ``hide_suggestions`` drops "Did you mean ...?" from execution errors (bad
    variables, enum values), as validation does when introspection is off.
    """

    class DeadlineExecutor(StrawberryGraphQLCoreExecutionContext):
        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            if hide_suggestions:
                kwargs["hide_suggestions"] = True
            return super().build(*args, **kwargs)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            writes = self.operation.operation is OperationType.MUTATION
            self.deadline = math.inf if writes else clock() + timeout

        def build_per_event_executor(self, payload: Any) -> DeadlineExecutor:
            # A subscription lives as long as its client wants; the time limit is
            # for the work of producing each event, so each event gets its own.
            executor = cast(DeadlineExecutor, super().build_per_event_executor(payload))
            executor.deadline = clock() + timeout
            return executor

        def execute_field(self, *args: Any, **kwargs: Any) -> Any:
            if clock() > self.deadline:
                raise ExecutionTimeoutError(timeout)
            return super().execute_field(*args, **kwargs)

        def handle_field_error(self, raw_error: Exception, *args: Any, **kwargs: Any) -> None:
            # A timeout is not a field error: let it end the whole operation.
            if isinstance(raw_error, ExecutionTimeoutError):
                raise raw_error
            super().handle_field_error(raw_error, *args, **kwargs)

    return DeadlineExecutor
