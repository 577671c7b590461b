"""Plain fields: objects whose selected fields only read attributes are written out directly.

graphql-core completes every field of an answer the same way: a resolve-info object, the
resolver, the completion of its value and a path, per field. A page of 100 needs is about
1,100 fields, and each is an attribute of an object the root resolver already built. Here,
once the document has been parsed, validated and its root fields resolved exactly as before,
an object whose selection is "plain" is serialised by walking the selection set:

- a plain field reads an attribute (a Strawberry field with no resolver, no arguments and no
  extensions, so no permission classes: ``ATTRIBUTE_MARK`` on its resolver); ``__typename``;
  leaves are coerced by their own scalar or enum type, exactly as graphql-core coerces them;
  lists and nested objects are walked the same way;
- a field whose resolver returns a value the object may already carry says so with
  ``metadata={PREPARED: "attribute"}`` (a 1-tuple, or None when not prepared): the walk takes
  the tuple's value, exactly what the resolver would return (``Need.village`` on a page);
- any other field with a synchronous resolver of its own is run by graphql-core's own
  ``execute_field`` at its place, in queries only (a mutation's answer is never run twice).

Anything the walk cannot answer exactly as the normal executor would (an error anywhere, a
null in a non-null place, a value to await, an abstract type, a value of an unexpected class,
@defer) abandons the walk at its outermost object, which graphql-core then completes as
before: reading attributes again is harmless, and errors, paths and nulls are its own. The
selection sets (fragments, @skip/@include, aliases) are collected by graphql-core itself, once
per execution and object position; whether a field is plain is decided once per field.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, NamedTuple

from graphql import (
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
    GraphQLString,
    OperationType,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Set on a resolver that only reads an attribute: the attribute's name (gateway/graphql/__init__).
ATTRIBUTE_MARK = "_khum_attribute"
# A Strawberry field's metadata key: the attribute holding its resolver's value, prepared.
PREPARED = "khum_prepared"
_MAX_INT = 2_147_483_647

ATTRIBUTE, TYPENAME, DELEGATE, PREPARED_OR_DELEGATE = 0, 1, 2, 3
# How a field is answered, or None: only graphql-core answers it (an async resolver, arguments
# read by extensions, an interface or union to resolve).
_kinds: dict[int, tuple[GraphQLField, tuple[int, str] | None]] = {}


class Fallback(Exception):
    """The walk met something only graphql-core answers exactly."""


class Entry(NamedTuple):
    name: str  # the response key (an alias or the field's name)
    kind: int
    attribute: str
    type: GraphQLOutputType
    details: FieldDetailsList
    fast: object  # a value of exactly this class is its own answer (str, bool, 32-bit int)


def _fast(output: GraphQLOutputType) -> type | None:
    if isinstance(output, GraphQLNonNull):
        output = output.of_type
    if output is GraphQLString or output is GraphQLID:
        return str
    if output is GraphQLBoolean:
        return bool
    return int if output is GraphQLInt else None


class Plan(NamedTuple):
    entries: tuple[Entry, ...]
    origin: type | None  # the class a value must be, when the type checks it (is_type_of)


def _object_leaves(output: GraphQLOutputType) -> bool:
    """Whether values of this type are walkable: objects, leaves, lists and non-nulls of them."""
    while isinstance(output, GraphQLNonNull | GraphQLList):
        output = output.of_type
    return isinstance(output, GraphQLObjectType | GraphQLScalarType | GraphQLEnumType)


def field_kind(field: GraphQLField) -> tuple[int, str] | None:
    """How one field of the schema is answered by the walk (decided once per field)."""
    known = _kinds.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    kind: tuple[int, str] | None = None
    attribute = getattr(field.resolve, ATTRIBUTE_MARK, None)
    strawberry_field = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if _object_leaves(field.type):
        if isinstance(attribute, str) and not field.args:
            kind = (ATTRIBUTE, attribute)
        elif (
            isinstance(strawberry_field, StrawberryField)
            and strawberry_field.base_resolver is not None
            and not strawberry_field.is_async
            and not strawberry_field.extensions
        ):
            metadata: Mapping[Any, Any] = strawberry_field.metadata or {}
            prepared = metadata.get(PREPARED)
            kind = (PREPARED_OR_DELEGATE, prepared) if isinstance(prepared, str) else (DELEGATE, "")
    _kinds[id(field)] = (field, kind)  # the field is kept, so its id is never reused
    return kind


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain objects written out by a walk."""

    plain_fields = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._walking = 0
        self._plans: dict[tuple[str, int], Plan | None] = {}
        self._delegates = self.operation.operation == OperationType.QUERY

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if not self.plain_fields or position_context is not None:
            return super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
        if self._walking:  # inside a walk (a delegated field's object): failures go up to it
            return self._object(return_type, field_details_list, result, path)
        self._walking += 1
        try:
            return self._object(return_type, field_details_list, result, path)
        except Exception:  # noqa: S110  # the normal executor answers, with its own errors
            pass
        finally:
            self._walking -= 1
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> None:
        if self._walking:  # a delegated field failed: the walk is abandoned, nothing recorded
            raise Fallback from raw_error
        super().handle_field_error(raw_error, return_type, field_details_list, path)

    def _plan(self, parent: GraphQLObjectType, details: FieldDetailsList) -> Plan | None:
        """The walk of one object position (graphql-core keeps ``details`` alive, so its id
        stays this position's for the execution)."""
        key = (parent.name, id(details))
        if key in self._plans:
            return self._plans[key]
        plan: Plan | None = None
        grouped, deferred, _forbidden = self.collect_subfields(parent, details)
        entries = []
        for name, field_details in grouped.items():
            first = field_details[0].node
            if any(d.defer_usage is not None or d.fragment_variable_values for d in field_details):
                break
            if first.name.value == "__typename":
                entries.append(Entry(name, TYPENAME, "", GraphQLString, field_details, None))
                continue
            field = parent.fields.get(first.name.value)
            kind = field_kind(field) if field is not None else None
            if field is None or kind is None or (kind[0] >= DELEGATE and not self._delegates):
                break
            entries.append(Entry(name, kind[0], kind[1], field.type, field_details, _fast(field.type)))
        else:
            if not deferred:
                definition = (parent.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
                origin = getattr(definition, "origin", None) if parent.is_type_of else None
                if parent.is_type_of is None or isinstance(origin, type):
                    plan = Plan(tuple(entries), origin)
        self._plans[key] = plan
        return plan

    def _object(self, parent: GraphQLObjectType, details: FieldDetailsList, source: Any, path: Path) -> Any:
        plan = self._plan(parent, details)
        if plan is None or (plan.origin is not None and type(source) is not plan.origin):
            raise Fallback
        answer: dict[str, Any] = {}
        complete = self._complete
        typename = parent.name
        value: Any
        for entry in plan.entries:
            kind, name = entry.kind, entry.name
            if kind == ATTRIBUTE:
                value = getattr(source, entry.attribute)
                fast = entry.fast
                if type(value) is fast and (fast is not int or -_MAX_INT - 1 <= value <= _MAX_INT):
                    answer[name] = value  # what coerce_output_value returns, without the calls
                else:
                    answer[name] = complete(entry.type, entry.details, value, path, name, typename)
            elif kind == TYPENAME:
                answer[entry.name] = typename
            elif kind == PREPARED_OR_DELEGATE and (ready := getattr(source, entry.attribute)) is not None:
                answer[entry.name] = complete(entry.type, entry.details, ready[0], path, entry.name, typename)
            else:
                here = Path(path, entry.name, parent.name)
                value = self.execute_field(parent, source, entry.details, here, None)
                if self.is_awaitable(value):
                    if isinstance(value, Coroutine):
                        value.close()
                    raise Fallback
                if value is not Undefined:
                    answer[entry.name] = value
        return answer

    def _complete(
        self,
        output: GraphQLOutputType,
        details: FieldDetailsList,
        value: Any,
        path: Path,
        key: str | int,
        typename: str | None,
    ) -> Any:
        """One value, as graphql-core's ``complete_value`` would complete it."""
        if isinstance(output, GraphQLNonNull):
            if value is None:
                raise Fallback
            output = output.of_type
        elif value is None or value is Undefined:
            return None
        kind = type(value)
        if (
            (kind is str and (output is GraphQLString or output is GraphQLID))
            or (kind is bool and output is GraphQLBoolean)
            or (kind is int and output is GraphQLInt and -_MAX_INT - 1 <= value <= _MAX_INT)
        ):
            return value  # what coerce_output_value would return, without the call
        if isinstance(value, Exception):
            raise Fallback
        if isinstance(output, GraphQLScalarType | GraphQLEnumType):
            coerced = output.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise Fallback
            return coerced
        here = Path(path, key, typename)
        if isinstance(output, GraphQLObjectType):
            return self._object(output, details, value, here)
        if isinstance(output, GraphQLList) and type(value) in (list, tuple):
            item = output.of_type
            complete = self._complete
            return [complete(item, details, v, here, i, None) for i, v in enumerate(value)]
        raise Fallback


class NormalExecutionContext(PlainFieldsExecutionContext):
    """The same context with the walk off (``KHUM_GATEWAY_PLAIN_FIELDS=false``, and tests)."""

    plain_fields = False
