"""The dev store's GraphQL schema is a faithful subset of Shopify's Admin schema, and every document
the app sends is valid against both: what passes locally would pass at Shopify."""

from __future__ import annotations

from functools import cache

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    build_schema,
    is_required_argument,
    is_required_input_field,
    parse,
    validate,
)

from app.devstore.graphql_api import SCHEMA_FILE
from app.shopify.client import all_operations
from tests.app.support import find_shop
from tests.conftest import STORE_URL
from tests.factories import SHOP, install_shop
from tests.shopify import admin_schema_introspection

OPERATIONS = all_operations()
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


@cache
def dev_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text())


@cache
def full_schema() -> GraphQLSchema:
    # Shopify's schema breaks one of graphql-core 3.3's newer rules (a deprecated field implementing
    # a non-deprecated interface field), which says nothing about whether our documents are valid.
    return build_client_schema(admin_schema_introspection()["data"], assume_valid=True)


def _dev_types() -> dict[str, GraphQLNamedType]:
    return {
        name: t
        for name, t in dev_schema().type_map.items()
        if not name.startswith("__") and name not in BUILT_IN_SCALARS
    }


def _differences(name: str, mine: GraphQLNamedType, theirs: GraphQLNamedType | None) -> list[str]:
    """How the dev store's `mine` departs from Shopify's `theirs`; empty when it is a faithful subset."""
    if theirs is None:
        return [f"{name}: no such type in Shopify's schema"]
    if type(mine) is not type(theirs):
        return [f"{name}: {type(mine).__name__} here, {type(theirs).__name__} at Shopify"]
    problems: list[str] = []
    if isinstance(mine, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(theirs, GraphQLObjectType | GraphQLInterfaceType)
        for field_name, field in mine.fields.items():
            their_field = theirs.fields.get(field_name)
            if their_field is None:
                problems.append(f"{name}.{field_name}: no such field")
                continue
            if str(field.type) != str(their_field.type):
                problems.append(f"{name}.{field_name}: {field.type} here, {their_field.type} at Shopify")
            for arg_name, arg in field.args.items():
                their_arg = their_field.args.get(arg_name)
                if their_arg is None:
                    problems.append(f"{name}.{field_name}({arg_name}): no such argument")
                elif str(arg.type) != str(their_arg.type):
                    problems.append(f"{name}.{field_name}({arg_name}): {arg.type} here, {their_arg.type} at Shopify")
            for arg_name, their_arg in their_field.args.items():
                if is_required_argument(their_arg) and arg_name not in field.args:
                    problems.append(f"{name}.{field_name}({arg_name}): required at Shopify, missing here")
        if isinstance(mine, GraphQLObjectType):
            their_interfaces = {i.name for i in theirs.interfaces}
            problems += [
                f"{name}: does not implement {i.name}" for i in mine.interfaces if i.name not in their_interfaces
            ]
    elif isinstance(mine, GraphQLInputObjectType):
        assert isinstance(theirs, GraphQLInputObjectType)
        for field_name, field in mine.fields.items():
            their_field = theirs.fields.get(field_name)
            if their_field is None:
                problems.append(f"{name}.{field_name}: no such input field")
            elif str(field.type) != str(their_field.type):
                problems.append(f"{name}.{field_name}: {field.type} here, {their_field.type} at Shopify")
        for field_name, their_field in theirs.fields.items():
            if is_required_input_field(their_field) and field_name not in mine.fields:
                problems.append(f"{name}.{field_name}: required at Shopify, missing here")
    elif isinstance(mine, GraphQLEnumType):
        assert isinstance(theirs, GraphQLEnumType)
        problems += [f"{name}.{value}: no such enum value" for value in mine.values if value not in theirs.values]
    elif isinstance(mine, GraphQLUnionType):
        assert isinstance(theirs, GraphQLUnionType)
        their_members = {t.name for t in theirs.types}
        problems += [f"{name}: {t.name} is not a member" for t in mine.types if t.name not in their_members]
    else:
        assert isinstance(mine, GraphQLScalarType)
    return problems


@pytest.mark.parametrize("type_name", sorted(_dev_types()))
def test_every_dev_store_type_matches_shopifys(type_name):
    # given one type of the dev store's schema, and Shopify's full Admin schema
    theirs = full_schema()

    # when it is compared member by member
    problems = _differences(type_name, _dev_types()[type_name], theirs.type_map.get(type_name))

    # then every field, argument, input field, enum value and union member exists there, typed alike
    assert problems == []


def test_the_dev_store_roots_are_shopifys_roots():
    # given both schemas
    theirs = full_schema()

    # when
    mine = dev_schema()

    # then
    assert mine.query_type.name == theirs.query_type.name
    assert mine.mutation_type.name == theirs.mutation_type.name
    assert mine.subscription_type is None


def test_the_comparison_notices_a_departure():
    # given a dev store type that got a field wrong, one field Shopify does not have, one enum value too many
    wrong = build_schema(
        """
        type Query { shop: Shop! }
        type Shop { id: ID! name: Int currencyCode: CurrencyCode! inventedField: String }
        enum CurrencyCode { USD NOT_A_CURRENCY }
        """
    )
    theirs = full_schema()

    # when
    shop_problems = _differences("Shop", wrong.type_map["Shop"], theirs.type_map["Shop"])
    enum_problems = _differences("CurrencyCode", wrong.type_map["CurrencyCode"], theirs.type_map["CurrencyCode"])

    # then each departure is named
    assert shop_problems == ["Shop.name: Int here, String! at Shopify", "Shop.inventedField: no such field"]
    assert enum_problems == ["CurrencyCode.NOT_A_CURRENCY: no such enum value"]


def test_the_app_sends_some_operations():
    # given / when / then: an empty operations folder would make the validations below vacuous
    assert {"ShopDetails", "WebhookSubscriptionCreate", "WebhookSubscriptions", "OrdersUpdatedSince"} <= set(OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_is_valid_against_the_dev_store_schema(name):
    # given one document the app sends
    document = parse(OPERATIONS[name])

    # when
    errors = validate(dev_schema(), document)

    # then
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_is_valid_against_shopifys_admin_schema(name):
    # given one document the app sends, and Shopify's full schema
    theirs = full_schema()
    document = parse(OPERATIONS[name])

    # when
    errors = validate(theirs, document)

    # then
    assert [e.message for e in errors] == []


async def test_the_dev_store_refuses_an_unknown_field_with_graphql_errors(client, store_client, services, devstore, db):
    # given an installed shop and its token
    await install_shop(client, store_client)
    shop = await find_shop(db)
    token = await services.tokens.access_token(shop.id, SHOP)

    # when a document asks for a field Shopify does not have
    response = await store_client.post(
        f"{STORE_URL}/admin/api/2026-04/graphql.json",
        json={"query": "query { shop { id notARealField } }"},
        headers={"X-Shopify-Access-Token": token},
    )

    # then it is refused as Shopify refuses it: errors, and no data
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert "notARealField" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_the_dev_store_refuses_a_wrong_argument_type(client, store_client, services, devstore, db):
    # given an installed shop and its token
    await install_shop(client, store_client)
    shop = await find_shop(db)
    token = await services.tokens.access_token(shop.id, SHOP)

    # when a document passes a string where Shopify wants an Int
    response = await store_client.post(
        f"{STORE_URL}/admin/api/2026-04/graphql.json",
        json={"query": 'query { orders(first: "ten") { nodes { id } } }'},
        headers={"X-Shopify-Access-Token": token},
    )

    # then
    assert response.json()["errors"]
    assert "data" not in response.json()


async def test_the_dev_store_refuses_an_unknown_token_with_401(store_client):
    # given
    # when
    response = await store_client.post(
        f"{STORE_URL}/admin/api/2026-04/graphql.json",
        json={"query": "query { shop { id } }"},
        headers={"X-Shopify-Access-Token": "shpat_not_granted"},
    )

    # then
    assert response.status_code == 401
    assert "errors" in response.json()
