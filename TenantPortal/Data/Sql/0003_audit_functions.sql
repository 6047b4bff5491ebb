-- The canonical form of an event: every field in a fixed order, timestamps in UTC with microseconds, details as
-- jsonb text (which fixes key order and spacing). The hash of an event is sha256(prev_hash || canonical form).
CREATE FUNCTION app.audit_canonical(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(concat_ws(chr(31),
        e.chain_key, e.seq, e.org_id, e.workspace_id, e.project_id, e.actor_type, e.actor_id, e.api_key_id,
        e.action, e.entity_type, e.entity_id, host(e.ip_address), e.user_agent, e.details::text, e.status,
        e.error_message, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8');
$$;

-- Appends one event to its chain. Called by the row triggers and app.record_event, never directly by requests.
CREATE FUNCTION app.append_audit_event(
    p_org_id uuid, p_workspace_id uuid, p_project_id uuid, p_action text, p_entity_type text, p_entity_id text,
    p_details jsonb, p_status text DEFAULT 'success', p_error text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_chain uuid := coalesce(p_org_id, '00000000-0000-0000-0000-000000000000');
    v_head public.audit_chain_heads;
    v_event public.audit_events;
    v_ip inet;
BEGIN
    INSERT INTO public.audit_chain_heads (chain_key, seq, hash) VALUES (v_chain, 0, '\x'::bytea) ON CONFLICT DO NOTHING;
    SELECT * INTO v_head FROM public.audit_chain_heads WHERE chain_key = v_chain FOR UPDATE;

    BEGIN
        v_ip := NULLIF(current_setting('app.client_ip', true), '')::inet;
    EXCEPTION WHEN invalid_text_representation THEN
        v_ip := NULL;
    END;

    v_event := ROW(
        v_chain, v_head.seq + 1, p_org_id, p_workspace_id, p_project_id,
        coalesce(app.current_actor_type(), 'system'), app.current_actor_id(), NULL,
        p_action, p_entity_type, p_entity_id, v_ip, NULLIF(current_setting('app.user_agent', true), ''),
        coalesce(p_details, '{}'::jsonb), coalesce(p_status, 'success'), p_error, clock_timestamp(),
        v_head.hash, '\x'::bytea)::public.audit_events;
    v_event.hash := sha256(v_head.hash || app.audit_canonical(v_event));

    INSERT INTO public.audit_events SELECT v_event.*;
    UPDATE public.audit_chain_heads SET seq = v_event.seq, hash = v_event.hash WHERE chain_key = v_chain;
    RETURN v_event.seq;
END;
$$;

-- Secrets never enter the log.
CREATE FUNCTION app.audit_redact(p_row jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, CASE
        WHEN key ~ '(password|secret|token|key_hash|security_stamp|concurrency_stamp)' THEN '"[redacted]"'::jsonb
        ELSE value END), '{}'::jsonb)
    FROM jsonb_each(p_row);
$$;

-- Row trigger: one event per changed row, in the same transaction. TG_ARGV: entity name, then optional action names
-- for insert, update and delete (default <entity>_create, <entity>_update, <entity>_delete).
CREATE FUNCTION app.audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_entity text := TG_ARGV[0];
    v_old jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN app.audit_redact(to_jsonb(OLD)) END;
    v_new jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN app.audit_redact(to_jsonb(NEW)) END;
    v_row jsonb := coalesce(v_new, v_old);
    v_action text;
    v_details jsonb;
    v_changed jsonb;
BEGIN
    v_action := CASE TG_OP
        WHEN 'INSERT' THEN coalesce(TG_ARGV[1], v_entity || '_create')
        WHEN 'UPDATE' THEN coalesce(TG_ARGV[2], v_entity || '_update')
        ELSE coalesce(TG_ARGV[3], v_entity || '_delete') END;

    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb) INTO v_changed
        FROM jsonb_each(v_new) n WHERE n.value IS DISTINCT FROM v_old -> n.key;
        -- Archiving and restoring are named for what they are.
        IF v_changed ? 'archived_at' THEN
            v_action := v_entity || CASE WHEN v_new ->> 'archived_at' IS NULL THEN '_restore' ELSE '_archive' END;
        END IF;
        v_details := jsonb_build_object('old', v_old, 'new', v_new, 'changed', (SELECT coalesce(jsonb_agg(k), '[]') FROM jsonb_object_keys(v_changed) k));
    ELSE
        v_details := jsonb_build_object('old', v_old, 'new', v_new);
    END IF;

    PERFORM app.append_audit_event(
        CASE WHEN TG_TABLE_NAME = 'organizations' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'org_id')::uuid END,
        CASE WHEN TG_TABLE_NAME = 'workspaces' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'workspace_id')::uuid END,
        (v_row ->> 'project_id')::uuid,
        v_action, TG_TABLE_NAME,
        coalesce(v_row ->> 'id', concat_ws('/', v_row ->> 'workspace_id', v_row ->> 'user_id')),
        v_details);
    RETURN NULL;
END;
$$;

-- Puts a table under audit: one line in a migration.
CREATE PROCEDURE app.audit_table(p_table regclass, p_entity text, p_actions text[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    -- Trigger arguments are strings; a missing action must be left out, not passed as the text 'null'.
    EXECUTE format('CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW
                    EXECUTE FUNCTION app.audit_row_change(%s)',
                   p_table, (SELECT string_agg(quote_literal(a), ', ') FROM unnest(ARRAY[p_entity] || coalesce(p_actions, '{}')) a));
END;
$$;

-- Events that are not row changes (sign-in, export, verification), in the current context's chain.
CREATE FUNCTION app.record_event(p_action text, p_entity_type text DEFAULT NULL, p_entity_id text DEFAULT NULL,
    p_details jsonb DEFAULT '{}', p_status text DEFAULT 'success', p_error text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
    SELECT app.append_audit_event(app.current_org_id(), NULL, app.current_project_id(), p_action, p_entity_type,
                                  p_entity_id, app.audit_redact(coalesce(p_details, '{}'::jsonb)), p_status, p_error);
$$;

-- Walks a chain from the start, recomputing every hash. Reports the first broken event, or the count and head hash.
CREATE FUNCTION app.verify_audit_chain(p_chain uuid)
RETURNS TABLE (ok boolean, events bigint, head_hash text, broken_seq bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_event public.audit_events;
    v_prev bytea := '\x'::bytea;
    v_expected bigint := 1;
    v_head public.audit_chain_heads;
BEGIN
    -- Only the organization's owners and admins (or platform admins) may walk its chain.
    IF NOT (app.is_platform_admin() OR (p_chain = app.current_org_id() AND app.current_org_can_manage())) THEN
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
        IF v_event.hash <> sha256(v_prev || app.audit_canonical(v_event)) THEN
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

-- The UTC calendar day of a moment, for the activity chart.
CREATE FUNCTION app.utc_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (t AT TIME ZONE 'UTC')::date $$;

-- Every organization, for the platform admins' audit view; refused for anyone else.
CREATE FUNCTION app.platform_organizations() RETURNS TABLE (id uuid, name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF NOT app.is_platform_admin() THEN
        RAISE EXCEPTION 'only platform admins list every organization' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT o.id, o.name FROM public.organizations o ORDER BY lower(o.name), o.id;
END;
$$;
