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
