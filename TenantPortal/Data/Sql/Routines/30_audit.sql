-- The audit log: one hash chain per organization (chain_key = org id) and one for platform events (the zero uuid).

-- The hash sealing an event: sha256(previous hash || the event's encoding). Each event keeps the version of the
-- encoding it was sealed with, so events written before a change of encoding still verify.
--   1: the fields joined with the unit separator (concat_ws). Ambiguous: it skips NULLs, so two neighbouring
--      fields could trade places without changing the hash. Kept only to verify old events.
--   2: a JSON array of the version and every field (NULL stays null), timestamps in UTC with microseconds.
CREATE OR REPLACE FUNCTION app.audit_hash(p_prev bytea, e record) RETURNS bytea
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF e.hash_version = 1 THEN
        RETURN sha256(p_prev || convert_to(concat_ws(chr(31),
            e.chain_key, e.seq, e.org_id, e.workspace_id, e.project_id, e.actor_type, e.actor_id, e.api_key_id,
            e.action, e.entity_type, e.entity_id, host(e.ip_address), e.user_agent, e.details::text, e.status,
            e.error_message, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8'));
    ELSIF e.hash_version = 2 THEN
        RETURN sha256(p_prev || convert_to(jsonb_build_array(2,
            e.chain_key, e.seq, e.org_id, e.workspace_id, e.project_id, e.actor_type, e.actor_id, e.api_key_id,
            e.action, e.entity_type, e.entity_id, host(e.ip_address), e.user_agent, e.details, e.status,
            e.error_message, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8'));
    END IF;
    RAISE EXCEPTION 'unknown audit hash version %', e.hash_version;
END;
$$;

-- Appends one event to its chain. Called by the row triggers and app.record_event, never directly by requests.
-- Times never go back along a chain (an event is stamped no earlier than the one before it, whose time the head
-- keeps, even if the server's clock steps back), so a range of times is a range of seq: the viewer turns its date
-- filter into seq bounds.
CREATE OR REPLACE FUNCTION app.append_audit_event(
    p_org_id uuid, p_workspace_id uuid, p_project_id uuid, p_action text, p_entity_type text, p_entity_id text,
    p_details jsonb, p_status text DEFAULT 'success', p_error text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_chain uuid := coalesce(p_org_id, '00000000-0000-0000-0000-000000000000');
    v_head public.audit_chain_heads;
    v_event public.audit_events;
BEGIN
    INSERT INTO public.audit_chain_heads (chain_key, seq, hash) VALUES (v_chain, 0, '\x'::bytea) ON CONFLICT DO NOTHING;
    SELECT * INTO v_head FROM public.audit_chain_heads WHERE chain_key = v_chain FOR UPDATE;

    v_event.chain_key := v_chain;
    v_event.seq := v_head.seq + 1;
    v_event.org_id := p_org_id;
    v_event.workspace_id := p_workspace_id;
    v_event.project_id := p_project_id;
    v_event.actor_type := coalesce(app.current_actor_type(), 'system');
    v_event.actor_id := app.current_actor_id();
    v_event.api_key_id := app.current_key_id();
    v_event.action := p_action;
    v_event.entity_type := p_entity_type;
    v_event.entity_id := p_entity_id;
    BEGIN
        v_event.ip_address := NULLIF(current_setting('app.client_ip', true), '')::inet;
    EXCEPTION WHEN invalid_text_representation THEN
        v_event.ip_address := NULL;
    END;
    v_event.user_agent := NULLIF(current_setting('app.user_agent', true), '');
    v_event.details := coalesce(p_details, '{}'::jsonb);
    v_event.status := coalesce(p_status, 'success');
    v_event.error_message := p_error;
    v_event.occurred_at := greatest(clock_timestamp(), v_head.occurred_at);
    v_event.hash_version := 2;
    v_event.prev_hash := v_head.hash;
    v_event.hash := app.audit_hash(v_head.hash, v_event);

    INSERT INTO public.audit_events SELECT v_event.*;
    UPDATE public.audit_chain_heads SET seq = v_event.seq, hash = v_event.hash, occurred_at = v_event.occurred_at WHERE chain_key = v_chain;
    INSERT INTO public.audit_daily_counts AS c (chain_key, day, action, entity_type, events)
    VALUES (v_chain, app.utc_day(v_event.occurred_at), p_action, coalesce(p_entity_type, ''), 1)
    ON CONFLICT (chain_key, day, action, entity_type) DO UPDATE SET events = c.events + 1;
    RETURN v_event.seq;
END;
$$;

-- Secrets never enter the log, and what agents say to each other is not copied into it: a `content` field (and a
-- meeting's `agenda`) is kept as its SHA-256 and length, which still proves what was said.
CREATE OR REPLACE FUNCTION app.audit_redact(p_row jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, CASE
        WHEN key ~ '(password|secret|token|key_hash|security_stamp|concurrency_stamp)' THEN '"[redacted]"'::jsonb
        WHEN key IN ('content', 'agenda') AND jsonb_typeof(value) = 'string' THEN jsonb_build_object(
            'sha256', encode(sha256(convert_to(value #>> '{}', 'UTF8')), 'hex'), 'length', char_length(value #>> '{}'))
        ELSE value END), '{}'::jsonb)
    FROM jsonb_each(p_row);
$$;

-- The action a row change is recorded as: <entity>_create, _update or _delete unless the table names its own
-- (p_actions: insert, update, delete), and updates named for what they do.
CREATE OR REPLACE FUNCTION app.audit_action(p_entity text, p_op text, p_actions text[], p_old jsonb, p_new jsonb, p_changed text[])
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_op = 'INSERT' THEN coalesce(p_actions[1], p_entity || '_create')
        WHEN p_op = 'DELETE' THEN coalesce(p_actions[3], p_entity || '_delete')
        WHEN 'archived_at' = ANY (p_changed) THEN p_entity || CASE WHEN p_new ->> 'archived_at' IS NULL THEN '_restore' ELSE '_archive' END
        -- Decisions: a person approves or rejects (deferring and expiring are named for when they come).
        WHEN 'decided_at' = ANY (p_changed) THEN p_entity || CASE p_new ->> 'status'
            WHEN 'approved' THEN '_approve' WHEN 'rejected' THEN '_reject' WHEN 'deferred' THEN '_defer' WHEN 'expired' THEN '_expire'
            ELSE '_status_change' END
        WHEN 'revoked_at' = ANY (p_changed) AND p_new ->> 'revoked_at' IS NOT NULL THEN p_entity || '_revoke'
        WHEN 'accepted_at' = ANY (p_changed) THEN p_entity || '_accept'
        WHEN 'last_sent_at' = ANY (p_changed) THEN p_entity || '_resend'
        WHEN 'replaced_by' = ANY (p_changed) THEN p_entity || '_roll'
        WHEN 'status' = ANY (p_changed) AND p_new ->> 'status' = 'disabled' THEN p_entity || '_disable'
        WHEN 'status' = ANY (p_changed) AND p_old ->> 'status' = 'disabled' AND p_new ->> 'status' = 'active' THEN p_entity || '_enable'
        -- Tables with a status column: archiving and restoring are named, other moves are status changes.
        WHEN 'status' = ANY (p_changed) AND p_actions[2] IS NULL THEN p_entity || CASE
            WHEN p_new ->> 'status' = 'archived' THEN '_archive'
            WHEN p_old ->> 'status' = 'archived' THEN '_restore'
            ELSE '_status_change' END
        ELSE coalesce(p_actions[2], p_entity || '_update')
    END;
$$;

-- Row trigger: one event per changed row, in the same transaction. TG_ARGV: entity name, then optional action names
-- for insert, update and delete. Updates that only move bookkeeping columns (last use, last activity) are no event.
CREATE OR REPLACE FUNCTION app.audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_old jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    v_new jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
    v_row jsonb := coalesce(v_new, v_old);
    v_changed text[];
    v_details jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Compared before redaction, so a change to a secret column is seen (and recorded as changed, not shown).
        v_changed := ARRAY(SELECT n.key FROM jsonb_each(v_new) n WHERE n.value IS DISTINCT FROM v_old -> n.key ORDER BY n.key);
        IF cardinality(v_changed) > 0 AND v_changed <@ ARRAY['last_used_at', 'last_activity_at'] THEN
            RETURN NULL;
        END IF;
        v_details := jsonb_build_object('old', app.audit_redact(v_old), 'new', app.audit_redact(v_new), 'changed', to_jsonb(v_changed));
    ELSE
        v_details := jsonb_build_object('old', app.audit_redact(v_old), 'new', app.audit_redact(v_new));
    END IF;

    PERFORM app.append_audit_event(
        CASE WHEN TG_TABLE_NAME = 'organizations' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'org_id')::uuid END,
        CASE WHEN TG_TABLE_NAME = 'workspaces' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'workspace_id')::uuid END,
        CASE WHEN TG_TABLE_NAME = 'projects' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'project_id')::uuid END,
        app.audit_action(TG_ARGV[0], TG_OP, TG_ARGV[1:3], v_old, v_new, v_changed),
        TG_TABLE_NAME,
        coalesce(v_row ->> 'id', concat_ws('/', v_row ->> 'workspace_id', v_row ->> 'user_id')),
        v_details);
    RETURN NULL;
END;
$$;

-- Events that are not row changes (sign-in, export, verification), in the current context's chain.
CREATE OR REPLACE FUNCTION app.record_event(p_action text, p_entity_type text DEFAULT NULL, p_entity_id text DEFAULT NULL,
    p_details jsonb DEFAULT '{}', p_status text DEFAULT 'success', p_error text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT app.append_audit_event(app.current_org_id(), NULL, app.current_project_id(), p_action, p_entity_type,
                                  p_entity_id, app.audit_redact(coalesce(p_details, '{}'::jsonb)), p_status, p_error);
$$;

-- Whether this context may read (and verify) a chain: platform admins any chain, an organization's owners and admins
-- their own.
CREATE OR REPLACE FUNCTION app.may_read_audit_chain(p_chain uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT app.is_platform_admin() OR (p_chain = app.current_org_id() AND app.current_org_can_manage());
$$;

-- Walks a chain from the start, recomputing every hash. Reports the first broken event, or the count and head hash.
CREATE OR REPLACE FUNCTION app.verify_audit_chain(p_chain uuid)
RETURNS TABLE (ok boolean, events bigint, head_hash text, broken_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_event public.audit_events;
    v_prev bytea := '\x'::bytea;
    v_expected bigint := 1;
    v_head public.audit_chain_heads;
BEGIN
    -- Only the organization's owners and admins (or platform admins) may walk its chain.
    IF NOT app.may_read_audit_chain(p_chain) THEN
        RAISE EXCEPTION 'not allowed to verify this audit chain' USING ERRCODE = '42501';
    END IF;

    FOR v_event IN SELECT * FROM public.audit_events WHERE chain_key = p_chain ORDER BY seq LOOP
        IF v_event.seq <> v_expected THEN
            RETURN QUERY SELECT false, v_expected - 1, encode(v_prev, 'hex'), v_expected, format('event %s is missing', v_expected);
            RETURN;
        END IF;
        IF v_event.prev_hash <> v_prev THEN
            RETURN QUERY SELECT false, v_expected - 1, encode(v_prev, 'hex'), v_event.seq, 'does not link to the previous event';
            RETURN;
        END IF;
        IF v_event.hash <> app.audit_hash(v_prev, v_event) THEN
            RETURN QUERY SELECT false, v_expected - 1, encode(v_prev, 'hex'), v_event.seq, 'content does not match its hash';
            RETURN;
        END IF;
        v_prev := v_event.hash;
        v_expected := v_expected + 1;
    END LOOP;

    SELECT * INTO v_head FROM public.audit_chain_heads WHERE chain_key = p_chain;
    IF coalesce(v_head.seq, 0) <> v_expected - 1 OR coalesce(v_head.hash, '\x'::bytea) <> v_prev THEN
        RETURN QUERY SELECT false, v_expected - 1, encode(v_prev, 'hex'), v_expected, 'the chain is shorter than its recorded head';
        RETURN;
    END IF;

    RETURN QUERY SELECT true, v_expected - 1, encode(v_prev, 'hex'), NULL::bigint, NULL::text;
END;
$$;

-- Immutable for every role, the owner included.
CREATE OR REPLACE FUNCTION app.audit_events_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP USING ERRCODE = '42501';
END;
$$;

-- The UTC calendar day of a moment, for the activity chart.
CREATE OR REPLACE FUNCTION app.utc_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (t AT TIME ZONE 'UTC')::date $$;

-- The one audit chain this context reads: the one chosen with app.view_audit_chain, else the active organization's
-- for its owners and admins, else none. The audit policy is "chain_key = this", a single equality, so a query that
-- relies on row-level security alone still walks the chain's (chain_key, seq) index instead of every event. One
-- signature check for all three settings.
CREATE OR REPLACE FUNCTION app.audit_chain() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN app.context_is_valid() THEN coalesce(
        NULLIF(pg_catalog.current_setting('app.audit_chain', true), '')::uuid,
        CASE WHEN pg_catalog.current_setting('app.current_org_role', true) IN ('owner', 'admin')
             THEN NULLIF(pg_catalog.current_setting('app.current_org_id', true), '')::uuid END) END;
$$;

-- Chooses the chain this connection's context reads (until the next context is entered): platform admins any chain,
-- the organization's owners and admins their own. Refused for anyone else, and the context is left as it was.
CREATE OR REPLACE FUNCTION app.view_audit_chain(p_chain uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_chain IS NULL OR NOT app.may_read_audit_chain(p_chain) THEN
        RAISE EXCEPTION 'not allowed to read this audit chain' USING ERRCODE = '42501';
    END IF;
    PERFORM set_config('app.audit_chain', p_chain::text, false);
    PERFORM set_config('app.context_signature', app.context_signature(), false);
END;
$$;

-- The events of the context's chain (app.audit_chain) whose details contain the pattern (ILIKE, escape \), by seq.
-- Runs as the owner so the trigram index serves it; it admits nothing the audit policy would not. The search is
-- planned for the pattern at hand (EXECUTE), since whether the index helps depends on it; callers join on seq, and
-- the small row estimate has the planner probe the log by key rather than walk it.
CREATE OR REPLACE FUNCTION app.audit_text_matches(p_pattern text) RETURNS SETOF bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp ROWS 50 AS $$
DECLARE
    v_chain uuid := app.audit_chain();
BEGIN
    IF v_chain IS NULL OR p_pattern IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE 'SELECT e.seq FROM public.audit_events e WHERE e.chain_key = $1 AND e.details::text ILIKE $2 ESCAPE ''\'''
        USING v_chain, p_pattern;
END;
$$;

-- Every organization, for the platform admins' audit view; refused for anyone else.
CREATE OR REPLACE FUNCTION app.platform_organizations() RETURNS TABLE (id uuid, name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT app.is_platform_admin() THEN
        RAISE EXCEPTION 'only platform admins list every organization' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT o.id, o.name FROM public.organizations o ORDER BY lower(o.name), o.id;
END;
$$;

GRANT EXECUTE ON FUNCTION
    app.record_event(text, text, text, jsonb, text, text), app.verify_audit_chain(uuid), app.utc_day(timestamptz),
    app.platform_organizations(), app.audit_chain(), app.view_audit_chain(uuid), app.audit_text_matches(text)
TO portal_app;
