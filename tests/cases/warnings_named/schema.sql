-- Defect 8: SQLAlchemy's and sqlacodegen's warnings are one `warning:` line each, naming the
-- objects (here a foreign-key cycle, which SQLAlchemy cannot sort).
CREATE TABLE departments (id int PRIMARY KEY, head_id int);
CREATE TABLE agents (id int PRIMARY KEY, department_id int REFERENCES departments (id));
ALTER TABLE departments ADD FOREIGN KEY (head_id) REFERENCES agents (id);
