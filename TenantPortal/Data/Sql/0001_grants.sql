-- portal_app serves requests: it may connect and use the tables it needs, and owns nothing.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO portal_app', current_database());
END;
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO portal_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, roles, role_claims, user_claims, user_logins, user_roles, user_tokens TO portal_app;
GRANT USAGE ON SEQUENCE role_claims_id_seq, user_claims_id_seq TO portal_app;
