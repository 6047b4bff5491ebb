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
-- whose key has p_capability; inserted only by an agent, with the key of its context (api_key_id), in rows that pass
-- p_inserters (by default: as itself, agent_id); updated by p_updaters; deleted by nobody (a project's or agent's
-- deletion takes its rows with it). Audited as p_entity (p_actions as for app.audit_table); a write counts as the
-- project's and the agent's activity.
CREATE OR REPLACE PROCEDURE app.secure_agent_table(p_table regclass, p_entity text, p_capability text,
    p_actions text[] DEFAULT NULL, p_updaters text DEFAULT 'false',
    p_inserters text DEFAULT 'agent_id = (SELECT app.current_actor_id())')
LANGUAGE plpgsql AS $$
BEGIN
    CALL app.reset_table_security(p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR ALL TO portal_app
                        USING (org_id = (SELECT app.current_org_id())
                               AND ((SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])))
                        WITH CHECK (org_id = (SELECT app.current_org_id()))', p_table);
    EXECUTE format('CREATE POLICY agents_insert ON %s AS RESTRICTIVE FOR INSERT TO portal_app
                        WITH CHECK ((SELECT app.current_actor_type()) = ''agent''
                                    AND api_key_id = (SELECT app.current_key_id()) AND (%s))', p_table, p_inserters);
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

-- A project's feed: messages and decision changes take consecutive positions (seq) in a BEFORE trigger. The feed
-- head's row stays locked until the writing transaction ends, so positions are handed out in commit order: a reader
-- that sees position n has seen every earlier one, and a cursor never skips a write that commits late. A message or
-- proposal gets a place only when the context's agent may insert it (this runs first, as the owner, before row-level
-- security refuses anything else, and must not touch, lock or reveal the feed of a project the agent is not in); a
-- decision moves to a new place when its status changes (people's updates pass row-level security before triggers).
CREATE OR REPLACE FUNCTION app.place_in_project_feed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF app.current_actor_type() IS DISTINCT FROM 'agent' OR NEW.org_id IS DISTINCT FROM app.current_org_id()
           OR NEW.project_id IS DISTINCT FROM app.current_project_id() OR NEW.agent_id IS DISTINCT FROM app.current_actor_id() THEN
            RETURN NEW;
        END IF;
    ELSIF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    INSERT INTO app.project_feed_heads AS h (org_id, project_id, seq) VALUES (NEW.org_id, NEW.project_id, 1)
    ON CONFLICT (org_id, project_id) DO UPDATE SET seq = h.seq + 1
    RETURNING h.seq INTO NEW.seq;
    RETURN NEW;
END;
$$;

-- AFTER a message or a decision change: tells every app instance (they LISTEN on portal_feeds) that the project's
-- feed moved, when the write commits. The payload is the project's id; event streams read the feed again in their
-- own context.
CREATE OR REPLACE FUNCTION app.signal_feed_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM pg_catalog.pg_notify('portal_feeds', NEW.project_id::text);
    RETURN NULL;
END;
$$;

-- BEFORE UPDATE on decisions: the proposal never changes, and a decision is decided once. Moving it out of pending
-- (or deferred) stamps who decided and when; a decided decision stays as it was decided. The proposing key and the
-- person who decided may only go (their deletion sets them to NULL).
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
    ELSIF (NEW.chosen_option, NEW.rationale, NEW.decided_at) IS DISTINCT FROM (OLD.chosen_option, OLD.rationale, OLD.decided_at)
          OR (NEW.decided_by IS DISTINCT FROM OLD.decided_by AND NEW.decided_by IS NOT NULL) THEN
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

-- BEFORE UPDATE on meetings: a meeting's title, agenda, time and organizer never change; it closes once (stamped
-- with the time) and stays closed.
CREATE OR REPLACE FUNCTION app.close_meeting_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.agent_id, NEW.title, NEW.agenda, NEW.scheduled_at, NEW.created_at)
       IS DISTINCT FROM (OLD.agent_id, OLD.title, OLD.agenda, OLD.scheduled_at, OLD.created_at)
       OR (NEW.api_key_id IS DISTINCT FROM OLD.api_key_id AND NEW.api_key_id IS NOT NULL) THEN
        RAISE EXCEPTION 'a meeting''s title, agenda, time and organizer cannot change' USING ERRCODE = 'check_violation', CONSTRAINT = 'meetings_immutable';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF OLD.status = 'closed' THEN
            RAISE EXCEPTION 'meeting % is closed', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'meetings_closed_once';
        END IF;
        NEW.closed_at := now();
    ELSIF NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        RAISE EXCEPTION 'meeting % closed at %', OLD.id, OLD.closed_at USING ERRCODE = 'check_violation', CONSTRAINT = 'meetings_closed_once';
    END IF;
    RETURN NEW;
END;
$$;

-- BEFORE INSERT on meeting_messages: nobody posts in a closed meeting. The meeting's row is read with a share lock,
-- so a post and the meeting's closing are ordered: a post that commits first is in the meeting, one that comes after
-- the closing is refused. Like app.place_in_project_feed it runs before row-level security and therefore looks only
-- at a meeting the context's agent may post to at all (its project, its capability); anything else is left to the
-- policies, and reveals nothing.
CREATE OR REPLACE FUNCTION app.post_in_open_meeting() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_status text;
BEGIN
    IF app.current_actor_type() IS DISTINCT FROM 'agent' OR NEW.org_id IS DISTINCT FROM app.current_org_id()
       OR NEW.project_id IS DISTINCT FROM app.current_project_id() OR NOT ('create_meetings' = ANY (app.current_capabilities())) THEN
        RETURN NEW;
    END IF;
    SELECT m.status INTO v_status FROM public.meetings m
    WHERE m.org_id = NEW.org_id AND m.project_id = NEW.project_id AND m.id = NEW.meeting_id
    FOR SHARE;
    IF v_status = 'closed' THEN
        RAISE EXCEPTION 'meeting % is closed', NEW.meeting_id USING ERRCODE = 'check_violation', CONSTRAINT = 'meeting_messages_meeting_open';
    END IF;
    RETURN NEW;
END;
$$;

-- /me reads the agent's key from app.enter_agent_context now.
DROP FUNCTION IF EXISTS app.current_agent_key();

GRANT EXECUTE ON FUNCTION
    app.is_valid_message_type(text), app.is_valid_correlation_id(text), app.is_small_json_object(jsonb),
    app.are_valid_decision_options(text[])
TO portal_app;

-- Idempotency-Key: claims the key for this request of the context's API key. Returns claimed when this request is
-- the first with it (or the first is older than 24 hours): the caller then does its work in the same transaction and
-- records its response with app.finish_idempotent_request before committing. Otherwise returns the first request's
-- response and whether this request is the same (same hash of method, path and body). A first request still in
-- progress holds the key's row: a concurrent repeat waits for it to commit (then gets its response) or roll back
-- (then claims the key itself), so concurrent repeats never write twice.
CREATE OR REPLACE FUNCTION app.claim_idempotent_request(p_key text, p_hash bytea)
RETURNS TABLE (claimed boolean, same_request boolean, status integer, location text, body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key_id uuid := app.current_key_id();
    v_row app.idempotent_requests;
BEGIN
    IF v_key_id IS NULL OR app.current_actor_type() IS DISTINCT FROM 'agent' THEN
        RAISE EXCEPTION 'idempotency keys belong to agent requests' USING ERRCODE = '42501';
    END IF;
    IF char_length(p_key) NOT BETWEEN 1 AND 255 OR octet_length(p_hash) <> 32 THEN
        RAISE EXCEPTION 'an idempotency key has 1-255 characters and a SHA-256 request hash' USING ERRCODE = '22023';
    END IF;
    INSERT INTO app.idempotent_requests AS r (org_id, api_key_id, idempotency_key, request_hash)
    VALUES (app.current_org_id(), v_key_id, p_key, p_hash)
    ON CONFLICT (api_key_id, idempotency_key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = NULL, location = NULL, body = NULL, created_at = now()
        WHERE r.created_at < now() - interval '24 hours';
    IF FOUND THEN
        RETURN QUERY SELECT true, true, NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO v_row FROM app.idempotent_requests r WHERE r.api_key_id = v_key_id AND r.idempotency_key = p_key;
    RETURN QUERY SELECT false, v_row.request_hash = p_hash, v_row.status, v_row.location, v_row.body;
END;
$$;

-- Records the response of a request that claimed its idempotency key; old keys of the same API key go.
CREATE OR REPLACE FUNCTION app.finish_idempotent_request(p_key text, p_status integer, p_location text, p_body text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key_id uuid := app.current_key_id();
BEGIN
    UPDATE app.idempotent_requests r SET status = p_status, location = p_location, body = p_body
    WHERE r.api_key_id = v_key_id AND r.idempotency_key = p_key;
    DELETE FROM app.idempotent_requests r WHERE r.api_key_id = v_key_id AND r.created_at < now() - interval '24 hours';
END;
$$;

-- Counts one request of the context's API key in the current minute, against the key's own limit, in PostgreSQL so
-- that every app instance counts alike. Returns nothing outside an agent's context.
CREATE OR REPLACE FUNCTION app.count_agent_request()
RETURNS TABLE (allowed boolean, request_limit integer, remaining integer, reset_seconds integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key_id uuid := app.current_key_id();
    v_org uuid := app.current_org_id();
    v_now timestamptz := clock_timestamp();
    v_start timestamptz := date_trunc('minute', clock_timestamp());
    v_limit integer;
    v_used integer;
BEGIN
    SELECT k.rate_limit_per_minute INTO v_limit FROM public.api_keys k WHERE k.org_id = v_org AND k.id = v_key_id;
    IF v_limit IS NULL OR app.current_actor_type() IS DISTINCT FROM 'agent' THEN
        RETURN;
    END IF;
    -- A count lost to a crash is harmless, so this transaction does not wait for its WAL to reach the disk (the count
    -- is the only thing a request's admission writes, but for the key's last use, noted once a minute).
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO app.key_request_windows AS w (org_id, api_key_id, window_start, used) VALUES (v_org, v_key_id, v_start, 1)
    ON CONFLICT (api_key_id) DO UPDATE
        SET window_start = EXCLUDED.window_start,
            used = CASE WHEN w.window_start = EXCLUDED.window_start THEN w.used + 1 ELSE 1 END
    RETURNING w.used INTO v_used;
    RETURN QUERY SELECT v_used <= v_limit, v_limit, greatest(v_limit - v_used, 0),
                        greatest(ceil(extract(epoch FROM v_start + interval '1 minute' - v_now)), 1)::integer;
END;
$$;

GRANT EXECUTE ON FUNCTION
    app.claim_idempotent_request(text, bytea), app.finish_idempotent_request(text, integer, text, text), app.count_agent_request()
TO portal_app;
