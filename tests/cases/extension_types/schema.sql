-- Defect 5: types that belong to an extension (earthdistance's earth domain, tablefunc's
-- composite types) are generated only when a column uses them: here only earth.
CREATE EXTENSION cube;
CREATE EXTENSION earthdistance;
CREATE EXTENSION tablefunc;
CREATE TABLE places (id int PRIMARY KEY, here earth);
