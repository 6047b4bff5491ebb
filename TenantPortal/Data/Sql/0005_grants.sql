REVOKE ALL ON ALL ROUTINES IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    app.is_valid_agent_name(text), app.is_valid_agent_config(jsonb),
    app.enter_agent_context(bytea, text, text, timestamptz)
TO portal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON agents, api_keys TO portal_app;
