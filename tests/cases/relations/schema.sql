-- Every kind of relation the table layer derives from foreign keys (plan/relations.py):
-- many-to-one and one-to-many, a self-reference, two foreign keys to one table, a composite
-- foreign key, one-to-one (a unique foreign key), many-to-many through a join table, a NULL-able
-- foreign key, a name clash with a column, and a view (no foreign keys: config.toml declares one).
CREATE TABLE person (
    id integer PRIMARY KEY,
    name text NOT NULL,
    manager_id integer REFERENCES person (id),  -- self-reference: person.manager, person.person_by_manager
    team text,  -- a column with the name the many-to-many to team would have
    "_c0" integer  -- named like the first count load=...(count=) adds beside the columns
);

CREATE TABLE profile (  -- one-to-one: person.profile, profile.person
    person_id integer PRIMARY KEY REFERENCES person (id),
    bio text
);

CREATE TABLE message (  -- two FKs to person: message.sender / recipient, person.message_by_sender / _by_recipient
    id integer PRIMARY KEY,
    sender_id integer NOT NULL REFERENCES person (id),
    recipient_id integer REFERENCES person (id),
    body text NOT NULL,
    "_n" integer  -- named like the row number load= adds beside a limited relation's columns
);

CREATE TABLE team (
    org text,
    code text,
    title text NOT NULL,
    "_k0" text,  -- named like the parent key load= adds beside a many-to-many's columns
    PRIMARY KEY (org, code)
);

CREATE TABLE membership (  -- a composite FK to team; and a join table: person.team_via_membership (many-to-many; "team" is a column), team.person
    person_id integer REFERENCES person (id),
    org text,
    code text,
    since date,
    PRIMARY KEY (person_id, org, code),
    FOREIGN KEY (org, code) REFERENCES team (org, code)
);

CREATE VIEW senders AS SELECT p.id, p.name, count(*)::int AS sent FROM person p JOIN message m ON m.sender_id = p.id GROUP BY p.id, p.name;

INSERT INTO person VALUES (1, 'Ada', NULL, 'x', 7), (2, 'Bob', 1, NULL, NULL), (3, 'Cy', 1, NULL, NULL), (4, 'Di', 2, 'y', NULL), (5, 'Ed', NULL, NULL, NULL);
INSERT INTO profile VALUES (1, 'math'), (2, NULL), (4, 'poetry');
INSERT INTO message VALUES (1, 1, 2, 'hi'), (2, 2, 1, 'hello'), (3, 1, NULL, 'note'), (4, 4, 4, 'self'), (5, 1, 3, 'yo');
INSERT INTO team VALUES ('a', 'x', 'Core'), ('a', 'y', 'Web'), ('b', 'x', 'Ops');
INSERT INTO membership VALUES (1, 'a', 'x', '2020-01-01'), (1, 'b', 'x', NULL), (2, 'a', 'x', '2021-01-01'), (4, 'a', 'y', NULL);
