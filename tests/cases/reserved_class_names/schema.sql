-- Tables and types named like what the models modules import (Field, Row, Decimal, Point,
-- Any, ...): the row class gets "Row" appended (its Insert and Update keep the plain stem),
-- an enum "Enum", a domain or composite type "Type"; nothing shadows an import.
CREATE TABLE "any" (id int PRIMARY KEY);
CREATE TABLE "decimal" (id int PRIMARY KEY, d numeric);
CREATE TABLE field (id int PRIMARY KEY);
CREATE TABLE row (id int PRIMARY KEY);
CREATE TABLE point (id int PRIMARY KEY, p point);
CREATE TYPE literal AS ENUM ('a', 'b');
CREATE DOMAIN annotated AS text;
CREATE TABLE uses (id int PRIMARY KEY, l literal, a annotated);
