-- The "type zoo": every PostgreSQL type the generator maps, plus enums, domains,
-- composite types, arrays, constraints and awkward column names.
CREATE TYPE mood AS ENUM ('happy', 'so-so', 'very sad');
COMMENT ON TYPE mood IS 'How a user feels.';
CREATE DOMAIN percent AS numeric(5, 2) CHECK (VALUE >= 0 AND VALUE <= 100);
CREATE DOMAIN short_code AS varchar(8) CHECK (VALUE ~ '^[A-Z]+$');
CREATE DOMAIN odd_number AS integer CHECK (VALUE % 2 = 1);
CREATE TYPE money_amount AS (currency char(3), amount numeric(12, 2));
-- Dependency order differs from name order: a_line uses point2d, origin is a domain over it.
CREATE TYPE point2d AS (x double precision, y double precision);
CREATE TYPE a_line AS (start point2d, stop point2d);
CREATE DOMAIN origin AS point2d CHECK ((VALUE).x = 0 AND (VALUE).y = 0);

CREATE TABLE zoo (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    c_smallint smallint NOT NULL DEFAULT 0,
    c_integer integer,
    c_bigint bigint,
    c_numeric numeric(10, 3),
    c_real real,
    c_double double precision,
    c_money money,
    c_text text NOT NULL DEFAULT '',
    c_varchar varchar(20),
    c_char char(4),
    c_bool boolean,
    c_bytea bytea,
    c_uuid uuid DEFAULT gen_random_uuid(),
    c_date date,
    c_time time,
    c_timetz timetz,
    c_timestamp timestamp,
    c_timestamptz timestamptz,
    c_interval interval,
    c_json json,
    c_jsonb jsonb,
    c_int_array integer[],
    c_text_matrix text[][],
    c_inet inet,
    c_cidr cidr,
    c_macaddr macaddr,
    c_int4range int4range,
    c_tstzrange tstzrange,
    c_int4multirange int4multirange,
    c_tsvector tsvector,
    c_xml xml,
    c_bit bit(4),
    c_varbit varbit(8),
    c_mood mood,
    c_moods mood[],
    c_percent percent,
    c_code short_code,
    c_odd odd_number,
    c_price money_amount,
    c_line a_line,
    c_origin origin,
    "date" date,
    c_total numeric GENERATED ALWAYS AS (c_numeric * 2) STORED,
    rating integer CHECK (rating >= 1 AND rating <= 5),
    status text CHECK (status IN ('draft', 'published')),
    nick text CHECK (char_length(nick) >= 2),
    lo integer,
    hi integer,
    CHECK (lo < hi)
);
COMMENT ON TABLE zoo IS 'One column of every type.';
COMMENT ON COLUMN zoo.c_text IS 'Plain "text" with a \ backslash.';

-- Names that are not safe Python attribute names.
CREATE TABLE "Awkward Names" (
    id integer PRIMARY KEY,
    "class" text,
    "from" text,
    "json" text,
    "model_config" text,
    "schema" text,
    "copy" text,
    "1st" text,
    "two words" text,
    "quote""d" text,
    "naïve" text,
    "_private" text
);

-- Singular and plural tables: `tag` is Tag, so `tags` keeps its plural, Tags.
CREATE TABLE tag (id integer PRIMARY KEY);
CREATE TABLE tags (id integer PRIMARY KEY);
