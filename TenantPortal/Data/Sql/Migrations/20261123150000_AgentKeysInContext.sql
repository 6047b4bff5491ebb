-- The context now carries the agent's key and its capabilities (Routines/10_context.sql), and an agent's context is
-- entered with the key itself, hashed in the database (Routines/11_entering.sql); the earlier forms of these go.
DROP FUNCTION IF EXISTS app.write_context(uuid, uuid, text, uuid[], uuid[], uuid[], uuid, text, uuid, boolean, text, text);
DROP FUNCTION IF EXISTS app.enter_agent_context(bytea, text, text, timestamptz);
