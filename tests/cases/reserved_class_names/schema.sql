-- Tables and types named like what the generated modules import or define (Field, Row,
-- Decimal, Point, Any; tables.py's Base, Optional, ...): in the models the row class gets "Row"
-- appended (Insert and Update keep the stem), an enum "Enum", a domain or composite "Type";
-- in tables.py the class gets a trailing "_". Nothing shadows an import.
CREATE TABLE "any" (id int PRIMARY KEY);
CREATE TABLE "decimal" (id int PRIMARY KEY, d numeric);
CREATE TABLE field (id int PRIMARY KEY);
CREATE TABLE row (id int PRIMARY KEY);
CREATE TABLE base (id int PRIMARY KEY);  -- tables.py: Base is the declarative base, so Base_
CREATE TABLE point (id int PRIMARY KEY, p point);
CREATE TYPE literal AS ENUM ('a', 'b');
CREATE DOMAIN annotated AS text;
CREATE TABLE uses (id int PRIMARY KEY, l literal, a annotated);

-- Python's constants (class None(Row) does not parse), soft keywords, and the names a table's
-- access module imports (Key, Spec, Table: a table of that name shadowed them).
CREATE TABLE "none" (id int PRIMARY KEY);
CREATE TABLE "True" (id int PRIMARY KEY);
CREATE TABLE "FALSE" (id int PRIMARY KEY);
CREATE TABLE "match" (id int PRIMARY KEY);
CREATE TABLE "type" (id int PRIMARY KEY);
CREATE TABLE key (id int PRIMARY KEY, v text);
CREATE TABLE spec (id int PRIMARY KEY);
CREATE TABLE "table" (id int PRIMARY KEY);
-- Columns named like the models' own methods (Changes.to_db(), Input.given(), BaseModel's),
-- and like the table layer's parameters.
CREATE TABLE methods (
    id int PRIMARY KEY, to_db text, given text, model_dump text, json text, validate text,
    "self" text, cls text, "limit" int, "order_by" text, changes text
);
