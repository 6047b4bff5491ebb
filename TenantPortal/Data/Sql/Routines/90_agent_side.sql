-- The agent side of a project: what agents write (messages, the decisions they propose), in what order, and how
-- waiting agents learn that a person decided.

-- Message types: 1-63 lowercase letters, digits, dots, hyphens or underscores, starting with a letter.
CREATE OR REPLACE FUNCTION app.is_valid_message_type(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT t ~ '^[a-z][a-z0-9_.-]{0,62}$' $$;

-- Correlation ids: 1-200 characters, no control characters (they travel in URLs and headers).
CREATE OR REPLACE FUNCTION app.is_valid_correlation_id(c text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT char_length(c) BETWEEN 1 AND 200 AND c !~ '[[:cntrl:]]' $$;

-- Metadata and payloads: a JSON object of at most 16 KiB as stored.
CREATE OR REPLACE FUNCTION app.is_small_json_object(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_typeof(j) = 'object' AND octet_length(j::text) <= 16384 $$;

-- A decision's options: 1-20 distinct labels, each 1-100 characters, trimmed, no control characters.
CREATE OR REPLACE FUNCTION app.are_valid_decision_options(o text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(cardinality(o) BETWEEN 1 AND 20 AND array_ndims(o) = 1 AND array_position(o, NULL) IS NULL
       AND (SELECT bool_and(x = btrim(x) AND char_length(x) BETWEEN 1 AND 100 AND x !~ '[[:cntrl:]]') FROM unnest(o) x)
       AND cardinality(o) = (SELECT count(DISTINCT x) FROM unnest(o) x), false);
$$;

-- A table of what agents write in their project: read by the people who see the project and by the project's agents
-- whose key has p_capability; inserted only by an agent, as itself and with the key of its context (agent_id,
-- api_key_id); updated by p_updaters; deleted by nobody (a project's or agent's deletion takes its rows with it).
-- Audited as p_entity (p_actions as for app.audit_table); a write counts as the project's and the agent's activity.
CREATE OR REPLACE PROCEDURE app.secure_agent_table(p_table regclass, p_entity text, p_capability text,
    p_actions text[] DEFAULT NULL, p_updaters text DEFAULT 'false')
LANGUAGE plpgsql AS $$
BEGIN
    CALL app.reset_table_security(p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR ALL TO portal_app
                        USING (org_id = (SELECT app.current_org_id())
                               AND ((SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])))
                        WITH CHECK (org_id = (SELECT app.current_org_id()))', p_table);
    EXECUTE format('CREATE POLICY agents_insert ON %s AS RESTRICTIVE FOR INSERT TO portal_app
                        WITH CHECK ((SELECT app.current_actor_type()) = ''agent''
                                    AND agent_id = (SELECT app.current_actor_id()) AND api_key_id = (SELECT app.current_key_id()))', p_table);
    EXECUTE format('CREATE POLICY writers_update ON %s AS RESTRICTIVE FOR UPDATE TO portal_app USING (%s)', p_table, p_updaters);
    EXECUTE format('CREATE POLICY writers_delete ON %s AS RESTRICTIVE FOR DELETE TO portal_app USING (false)', p_table);
    -- The key's capabilities are part of the signed context: an agent without this one neither reads nor writes here.
    EXECUTE format('CREATE POLICY agent_capability ON %s AS RESTRICTIVE FOR ALL TO portal_app
                        USING ((SELECT app.current_user_id()) IS NOT NULL OR %L = ANY ((SELECT app.current_capabilities())::text[]))
                        WITH CHECK ((SELECT app.current_user_id()) IS NOT NULL OR %L = ANY ((SELECT app.current_capabilities())::text[]))',
                   p_table, p_capability, p_capability);
    CALL app.restrict_to_project(p_table, 'project_id');
    CALL app.audit_table(p_table, p_entity, p_actions);
    EXECUTE format('DROP TRIGGER IF EXISTS note_project_activity ON %s', p_table);
    EXECUTE format('CREATE TRIGGER note_project_activity AFTER INSERT OR UPDATE ON %s FOR EACH ROW
                    EXECUTE FUNCTION app.note_project_activity()', p_table);
END;
$$;

-- BEFORE INSERT on agent_messages: the message's place in its project's feed. The feed head's row stays locked until
-- the inserting transaction ends, so positions are handed out in commit order: a reader that sees position n has
-- seen every earlier one, and a cursor never skips a message that commits late. A row of another organization than
-- the context's gets no place (row-level security refuses it next; this runs first, as the owner, and must not touch
-- another tenant's feed).
CREATE OR REPLACE FUNCTION app.place_in_project_feed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.org_id IS DISTINCT FROM app.current_org_id() THEN
        RETURN NEW;
    END IF;
    INSERT INTO app.project_feed_heads AS h (org_id, project_id, seq) VALUES (NEW.org_id, NEW.project_id, 1)
    ON CONFLICT (org_id, project_id) DO UPDATE SET seq = h.seq + 1
    RETURNING h.seq INTO NEW.seq;
    RETURN NEW;
END;
$$;

-- BEFORE UPDATE on decisions: the proposal never changes, and a decision is decided once. Moving it out of pending
-- (or deferred) stamps who decided and when; a decided decision stays as it was decided. The proposing key may only
-- go (its agent's deletion sets it to NULL before taking the decision with it).
CREATE OR REPLACE FUNCTION app.decide_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.agent_id, NEW.title, NEW.description, NEW.options, NEW.payload, NEW.deadline, NEW.created_at)
       IS DISTINCT FROM (OLD.agent_id, OLD.title, OLD.description, OLD.options, OLD.payload, OLD.deadline, OLD.created_at)
       OR (NEW.api_key_id IS DISTINCT FROM OLD.api_key_id AND NEW.api_key_id IS NOT NULL) THEN
        RAISE EXCEPTION 'a decision''s proposal cannot change' USING ERRCODE = 'check_violation', CONSTRAINT = 'decisions_proposal_immutable';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF OLD.status NOT IN ('pending', 'deferred') THEN
            RAISE EXCEPTION 'decision % is already %', OLD.id, OLD.status USING ERRCODE = 'check_violation', CONSTRAINT = 'decisions_decided_once';
        END IF;
        NEW.decided_by := app.current_user_id();
        NEW.decided_at := now();
    ELSIF (NEW.chosen_option, NEW.rationale, NEW.decided_by, NEW.decided_at)
          IS DISTINCT FROM (OLD.chosen_option, OLD.rationale, OLD.decided_by, OLD.decided_at) THEN
        RAISE EXCEPTION 'decision % is already %', OLD.id, OLD.status USING ERRCODE = 'check_violation', CONSTRAINT = 'decisions_decided_once';
    END IF;
    RETURN NEW;
END;
$$;

-- AFTER UPDATE on decisions: tells every app instance (they LISTEN on portal_decisions) that a decision changed, when
-- the change commits. The payload is the decision's id only; a waiter reads the decision again in its own context.
CREATE OR REPLACE FUNCTION app.signal_decision_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_catalog.pg_notify('portal_decisions', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;

-- The key of the agent's context as /me shows it (agents do not read api_keys themselves).
CREATE OR REPLACE FUNCTION app.current_agent_key() RETURNS TABLE (prefix text, last_four text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.prefix, k.last_four, k.expires_at FROM public.api_keys k
    WHERE k.org_id = app.current_org_id() AND k.id = app.current_key_id() AND app.current_actor_type() = 'agent';
$$;

GRANT EXECUTE ON FUNCTION
    app.is_valid_message_type(text), app.is_valid_correlation_id(text), app.is_small_json_object(jsonb),
    app.are_valid_decision_options(text[]), app.current_agent_key()
TO portal_app;

