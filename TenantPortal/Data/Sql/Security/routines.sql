-- Whatever the default privileges of the role that ran a migration, no routine is callable by PUBLIC: requests
-- (portal_app) call only what a routine file grants them. Re-applied with the table declarations.
REVOKE ALL ON ALL ROUTINES IN SCHEMA app, public FROM PUBLIC;
