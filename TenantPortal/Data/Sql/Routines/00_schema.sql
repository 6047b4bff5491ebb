-- The schema the portal's routines live in, and the rule every routine follows: nobody may call it unless granted.
CREATE SCHEMA IF NOT EXISTS app;
GRANT USAGE ON SCHEMA app TO portal_app;

-- Routines created from here on (by portal_owner, who runs the migrations) are not executable by PUBLIC; each file
-- grants portal_app what requests call.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON ROUTINES FROM PUBLIC;
