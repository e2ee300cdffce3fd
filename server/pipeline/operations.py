"""The select stage: which operation of the document runs.

``operationName`` chooses it; without one the document must hold exactly one
operation. An empty name is a name like any other (no operation has it), on
every transport alike.
"""

from __future__ import annotations

from graphql import GraphQLError, OperationDefinitionNode

from server.pipeline.documents import Document


def select_operation(document: Document, name: str | None) -> OperationDefinitionNode:
    """The operation to run; a ``GraphQLError`` (a request error) when there is none."""
    operations = document.operations
    if name is None:
        if len(operations) == 1:
            return operations[0]
        if not operations:
            raise GraphQLError("The document has no operation to run.")
        raise GraphQLError(
            "The document has several operations: say which to run with `operationName`."
        )
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise GraphQLError(f"Unknown operation named {name!r}.")
