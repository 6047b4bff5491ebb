-- Tenant context: session settings written only by app.write_context and signed by it, so a session that sets app.*
-- itself (SET app.current_org_id = ...) gets no context at all. The application enters a context through the
-- functions in 11_entering.sql each time a connection opens.

-- The signature binds every context setting to this backend process; a nested hash keeps it from being extended.
-- PL/pgSQL, because the policies check it in every query: its plan for reading the secret is kept for the session,
-- where an SQL function would plan that read again on each call (about 10 µs a check against 50).
CREATE OR REPLACE FUNCTION app.context_signature() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_secret bytea;
BEGIN
    SELECT s.secret INTO v_secret FROM app.context_secret s;
    RETURN encode(sha256(v_secret || sha256(v_secret || convert_to(concat_ws('|',
        pg_backend_pid(),
        current_setting('app.current_user_id', true),
        current_setting('app.current_org_id', true),
        current_setting('app.current_org_role', true),
        current_setting('app.current_workspace_ids', true),
        current_setting('app.current_admin_workspace_ids', true),
        current_setting('app.current_member_workspace_ids', true),
        current_setting('app.current_project_id', true),
        current_setting('app.actor_type', true),
        current_setting('app.actor_id', true),
        current_setting('app.is_platform_admin', true),
        current_setting('app.audit_chain', true),
        current_setting('app.current_key_id', true),
        current_setting('app.current_capabilities', true)), 'UTF8'))), 'hex');
END;
$$;

-- Whether the settings are the ones app.write_context signed. Says yes or no only (the signature itself would let a
-- session sign settings it wrote).
CREATE OR REPLACE FUNCTION app.context_is_valid() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(current_setting('app.context_signature', true) = app.context_signature(), false);
END;
$$;

-- A context setting, or NULL when it is unset, empty or not signed. Plain SQL, so the readers below fold into the
-- policies that call them and only the check above is a call of its own.
CREATE OR REPLACE FUNCTION app.setting(name text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN app.context_is_valid() THEN NULLIF(pg_catalog.current_setting(name, true), '') END;
$$;

CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.current_user_id')::uuid $$;

CREATE OR REPLACE FUNCTION app.current_org_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.current_org_id')::uuid $$;

CREATE OR REPLACE FUNCTION app.current_org_role() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.current_org_role') $$;

CREATE OR REPLACE FUNCTION app.current_workspace_ids() RETURNS uuid[]
LANGUAGE sql STABLE AS $$ SELECT coalesce(app.setting('app.current_workspace_ids')::uuid[], '{}') $$;

-- The workspaces whose projects, agents and keys the person manages: every workspace for the organization's owners and
-- admins, the workspaces a member administers; none for viewers, whatever their workspace role.
CREATE OR REPLACE FUNCTION app.current_admin_workspace_ids() RETURNS uuid[]
LANGUAGE sql STABLE AS $$ SELECT coalesce(app.setting('app.current_admin_workspace_ids')::uuid[], '{}') $$;

-- The workspaces whose projects the person works in (edits agents): the above, and where a member is a workspace member.
CREATE OR REPLACE FUNCTION app.current_member_workspace_ids() RETURNS uuid[]
LANGUAGE sql STABLE AS $$ SELECT coalesce(app.setting('app.current_member_workspace_ids')::uuid[], '{}') $$;

CREATE OR REPLACE FUNCTION app.current_project_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.current_project_id')::uuid $$;

CREATE OR REPLACE FUNCTION app.current_actor_type() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.actor_type') $$;

CREATE OR REPLACE FUNCTION app.current_actor_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.actor_id')::uuid $$;

-- The API key an agent's request came with, and what that key may do (empty for people).
CREATE OR REPLACE FUNCTION app.current_key_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT app.setting('app.current_key_id')::uuid $$;

CREATE OR REPLACE FUNCTION app.current_capabilities() RETURNS text[]
LANGUAGE sql STABLE AS $$ SELECT coalesce(app.setting('app.current_capabilities')::text[], '{}') $$;

CREATE OR REPLACE FUNCTION app.is_platform_admin() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(app.setting('app.is_platform_admin')::boolean, false) $$;

-- True when the active organization role may manage (owner or admin).
CREATE OR REPLACE FUNCTION app.current_org_can_manage() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(app.current_org_role() IN ('owner', 'admin'), false) $$;

-- Writes every context setting at once and signs them.
CREATE OR REPLACE FUNCTION app.write_context(
    p_user_id uuid, p_org_id uuid, p_org_role text, p_workspace_ids uuid[], p_admin_workspace_ids uuid[],
    p_member_workspace_ids uuid[], p_project_id uuid, p_actor_type text, p_actor_id uuid, p_is_platform_admin boolean,
    p_client_ip text, p_user_agent text, p_key_id uuid, p_capabilities text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- One statement: after a pool reset every statement of a routine is planned again, and this runs per connection.
    PERFORM set_config('app.current_user_id', coalesce(p_user_id::text, ''), false),
            set_config('app.current_org_id', coalesce(p_org_id::text, ''), false),
            set_config('app.current_org_role', coalesce(p_org_role, ''), false),
            set_config('app.current_workspace_ids', coalesce(p_workspace_ids::text, ''), false),
            set_config('app.current_admin_workspace_ids', coalesce(p_admin_workspace_ids::text, ''), false),
            set_config('app.current_member_workspace_ids', coalesce(p_member_workspace_ids::text, ''), false),
            set_config('app.current_project_id', coalesce(p_project_id::text, ''), false),
            set_config('app.actor_type', coalesce(p_actor_type, ''), false),
            set_config('app.actor_id', coalesce(p_actor_id::text, ''), false),
            set_config('app.is_platform_admin', coalesce(p_is_platform_admin::text, 'false'), false),
            set_config('app.client_ip', coalesce(p_client_ip, ''), false),
            set_config('app.user_agent', left(coalesce(p_user_agent, ''), 512), false),
            set_config('app.current_key_id', coalesce(p_key_id::text, ''), false),
            set_config('app.current_capabilities', coalesce(p_capabilities::text, ''), false),
            -- A chain chosen with app.view_audit_chain lasts until the next context.
            set_config('app.audit_chain', '', false);
    PERFORM set_config('app.context_signature', app.context_signature(), false);
END;
$$;

GRANT EXECUTE ON FUNCTION
    app.current_user_id(), app.current_org_id(), app.current_org_role(), app.current_workspace_ids(),
    app.current_admin_workspace_ids(), app.current_member_workspace_ids(), app.current_project_id(), app.current_actor_type(), app.current_actor_id(), app.is_platform_admin(),
    app.current_key_id(), app.current_capabilities(),
    app.current_org_can_manage(), app.context_is_valid(), app.setting(text)
TO portal_app;
