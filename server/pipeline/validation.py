"""The validate stage: the specification's rules, once per document.

The rules are graphql-core's ``specified_rules`` plus the two Strawberry adds
(as its own validation does); without introspection, ``__schema``/``__type``
are refused and no error suggests a field, argument or type name. The
verdict is kept on the parsed document (``Documents``), so a repeated
document is validated once.
"""

from __future__ import annotations

from graphql import ASTValidationRule, GraphQLError, GraphQLSchema, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.build import STRAWBERRY_RULES
from server.pipeline.documents import Document


class Validator:
    """The rules of one served schema, built once so that every document meets the same ones."""

    def __init__(self, schema: GraphQLSchema, introspection: bool) -> None:
        self.schema = schema
        self.hide_suggestions = not introspection
        rules: list[type[ASTValidationRule]] = [*specified_rules, *STRAWBERRY_RULES]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)

    def errors(self, document: Document) -> list[GraphQLError]:
        """The document's validation errors (empty when valid), worked out on its first use."""
        if document.errors is None:
            document.errors = validate(
                self.schema, document.node, self.rules, hide_suggestions=self.hide_suggestions
            )
        return document.errors
