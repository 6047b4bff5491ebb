-- Entering a context. The application calls one of these each time a connection opens; each writes the whole context,
-- so nothing of a previous one survives.

-- A clean session for the next request on a pooled connection: everything DISCARD ALL does but drop the session's
-- cached plans (so the routines here are not planned again on every connection). The application calls it first on
-- every connection it opens, in the same round trip as the entry. Runs as the caller and without a SET clause of its
-- own: a function's SET would restore the caller's search_path on return, undoing RESET ALL. Names are qualified; a
-- caller cannot put functions in pg_temp's way (PostgreSQL never looks there for unqualified function names).
CREATE OR REPLACE FUNCTION app.reset_connection() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'CLOSE ALL';
    EXECUTE 'SET SESSION AUTHORIZATION DEFAULT';
    EXECUTE 'RESET ALL';
    -- Plans outlive the reset; whether one is compiled to machine code is decided when it runs. A request's SQL could
    -- have had the routines planned with JIT at any cost; off here, no such plan is compiled in a later request.
    EXECUTE 'SET jit = off';
    EXECUTE 'DEALLOCATE ALL';
    EXECUTE 'UNLISTEN *';
    PERFORM pg_catalog.pg_advisory_unlock_all();
    EXECUTE 'DISCARD SEQUENCES';
    EXECUTE 'DISCARD TEMP';
END;
$$;

-- A signed-in person with no active organization: may list their memberships and create an organization.
CREATE OR REPLACE FUNCTION app.enter_user_session(p_user_id uuid, p_client_ip text, p_user_agent text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_admin boolean;
BEGIN
    SELECT u.is_platform_admin INTO v_admin FROM public.users u WHERE u.id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown user %', p_user_id USING ERRCODE = '42501';
    END IF;
    PERFORM app.write_context(p_user_id, NULL, NULL, NULL, NULL, NULL, NULL, 'human', p_user_id, v_admin, p_client_ip, p_user_agent, NULL, NULL);
END;
$$;

-- A person working in one organization: membership is checked on every call, so a removed member loses access at once.
-- Owners and admins see and manage every workspace. A member sees the workspaces they belong to, manages those where
-- they are workspace admin and works in those where they are admin or member; a viewer only sees. Returns the role,
-- which the application keeps in step with (and reads the workspace lists with app.current_*_workspace_ids).
CREATE OR REPLACE FUNCTION app.enter_user_context(p_user_id uuid, p_org_id uuid, p_client_ip text, p_user_agent text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_role text;
    v_admin boolean;
    v_workspaces uuid[];
    v_admin_of uuid[] := '{}';
    v_member_of uuid[] := '{}';
BEGIN
    SELECT m.role INTO v_role
    FROM public.org_members m
    WHERE m.org_id = p_org_id AND m.user_id = p_user_id AND m.status = 'active';
    IF v_role IS NULL THEN
        RAISE EXCEPTION 'user % is not an active member of organization %', p_user_id, p_org_id USING ERRCODE = '42501';
    END IF;

    IF v_role IN ('owner', 'admin') THEN
        v_workspaces := ARRAY(SELECT w.id FROM public.workspaces w WHERE w.org_id = p_org_id);
        v_admin_of := v_workspaces;
        v_member_of := v_workspaces;
    ELSE
        v_workspaces := ARRAY(SELECT wm.workspace_id FROM public.workspace_members wm WHERE wm.org_id = p_org_id AND wm.user_id = p_user_id);
        IF v_role = 'member' THEN
            v_admin_of := ARRAY(SELECT wm.workspace_id FROM public.workspace_members wm
                                WHERE wm.org_id = p_org_id AND wm.user_id = p_user_id AND wm.role = 'admin');
            v_member_of := ARRAY(SELECT wm.workspace_id FROM public.workspace_members wm
                                 WHERE wm.org_id = p_org_id AND wm.user_id = p_user_id AND wm.role IN ('admin', 'member'));
        END IF;
    END IF;

    SELECT u.is_platform_admin INTO v_admin FROM public.users u WHERE u.id = p_user_id;
    PERFORM app.write_context(p_user_id, p_org_id, v_role, v_workspaces, v_admin_of, v_member_of, NULL, 'human', p_user_id,
                              coalesce(v_admin, false), p_client_ip, p_user_agent, NULL, NULL);
    RETURN v_role;
END;
$$;

-- Resolves a key for an agent request and enters that agent's context: organization, workspace, project, agent, the
-- key and its capabilities. Takes the key itself and hashes it here, so a stored hash (members can read them) is no
-- credential. Returns nothing for an unknown, revoked, disabled or expired key, an agent that is not active (draft,
-- inactive, archived), or a project that is not active (inactive, suspended, archived). p_at can only move the clock
-- forward (tests use it to step past an expiry). The key's use is noted at most once a minute, and with it the
-- agent's activity. Also returns what the agent may know of itself (its name, its project's, its key's prefix, last
-- characters and expiry), read with the key in the same lookup, so that answering "who am I" costs no query more.
DROP FUNCTION IF EXISTS app.enter_agent_context(text, text, text, timestamptz);
CREATE FUNCTION app.enter_agent_context(p_key text, p_client_ip text, p_user_agent text, p_at timestamptz DEFAULT NULL)
RETURNS TABLE (key_id uuid, agent_id uuid, project_id uuid, workspace_id uuid, org_id uuid, capabilities text[],
               agent_name text, agent_display_name text, project_slug text, project_name text,
               key_prefix text, key_last_four text, key_expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_now timestamptz := greatest(coalesce(p_at, now()), now());
    v_key record;
BEGIN
    -- Whatever context the connection had is dropped first: a failed lookup leaves none.
    PERFORM app.write_context(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, p_client_ip, p_user_agent, NULL, NULL);

    SELECT k.id, k.org_id, k.workspace_id, k.project_id, k.agent_id, k.capabilities, k.prefix, k.last_four, k.expires_at,
           a.name AS agent_name, a.display_name AS agent_display_name, p.slug AS project_slug, p.name AS project_name
    INTO v_key
    FROM public.api_keys k
    JOIN public.agents a ON a.org_id = k.org_id AND a.id = k.agent_id
    JOIN public.projects p ON p.org_id = k.org_id AND p.id = k.project_id
    WHERE k.key_hash = sha256(convert_to(coalesce(p_key, ''), 'UTF8'))
      AND k.status = 'active' AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > v_now)
      AND a.status = 'active' AND p.status = 'active';
    IF NOT FOUND THEN
        RETURN;
    END IF;

    PERFORM app.write_context(NULL, v_key.org_id, NULL, ARRAY[v_key.workspace_id], NULL, NULL, v_key.project_id, 'agent', v_key.agent_id,
                              false, p_client_ip, p_user_agent, v_key.id, v_key.capabilities);
    UPDATE public.api_keys SET last_used_at = v_now
    WHERE public.api_keys.org_id = v_key.org_id AND public.api_keys.id = v_key.id
      AND (public.api_keys.last_used_at IS NULL OR public.api_keys.last_used_at < v_now - interval '1 minute');
    IF FOUND THEN
        UPDATE public.agents SET last_activity_at = v_now
        WHERE public.agents.org_id = v_key.org_id AND public.agents.id = v_key.agent_id;
    END IF;
    RETURN QUERY SELECT v_key.id, v_key.agent_id, v_key.project_id, v_key.workspace_id, v_key.org_id, v_key.capabilities,
                        v_key.agent_name, v_key.agent_display_name, v_key.project_slug, v_key.project_name, v_key.prefix, v_key.last_four,
                        v_key.expires_at;
END;
$$;

GRANT EXECUTE ON FUNCTION
    app.reset_connection(), app.enter_user_session(uuid, text, text), app.enter_user_context(uuid, uuid, text, text),
    app.enter_agent_context(text, text, text, timestamptz)
TO portal_app;
