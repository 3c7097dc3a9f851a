-- Two objects that would become one Python class: the error names both and the fix.
CREATE SCHEMA app;
CREATE TABLE user_accounts (id int PRIMARY KEY);
CREATE TABLE "UserAccounts" (id int PRIMARY KEY);
