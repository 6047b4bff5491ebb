-- Entering a context. The application calls one of these each time a connection opens.

-- A signed-in person with no active organization: may list their memberships and create an organization.
CREATE FUNCTION app.enter_user_session(p_user_id uuid, p_client_ip text, p_user_agent text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_admin boolean;
BEGIN
    SELECT u.is_platform_admin INTO v_admin FROM public.users u WHERE u.id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown user %', p_user_id USING ERRCODE = '42501';
    END IF;
    PERFORM app.write_context(p_user_id, NULL, NULL, NULL, NULL, 'human', p_user_id, v_admin, p_client_ip, p_user_agent);
END;
$$;

-- A person working in one organization: membership is checked on every call, so a removed member loses access at once.
CREATE FUNCTION app.enter_user_context(p_user_id uuid, p_org_id uuid, p_client_ip text, p_user_agent text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_role text;
    v_admin boolean;
    v_workspaces uuid[];
BEGIN
    SELECT m.role INTO v_role
    FROM public.org_members m
    WHERE m.org_id = p_org_id AND m.user_id = p_user_id AND m.status = 'active';
    IF v_role IS NULL THEN
        RAISE EXCEPTION 'user % is not an active member of organization %', p_user_id, p_org_id USING ERRCODE = '42501';
    END IF;

    -- Owners and admins see every workspace; others the workspaces they belong to.
    IF v_role IN ('owner', 'admin') THEN
        v_workspaces := ARRAY(SELECT w.id FROM public.workspaces w WHERE w.org_id = p_org_id);
    ELSE
        v_workspaces := ARRAY(SELECT wm.workspace_id FROM public.workspace_members wm WHERE wm.org_id = p_org_id AND wm.user_id = p_user_id);
    END IF;

    SELECT u.is_platform_admin INTO v_admin FROM public.users u WHERE u.id = p_user_id;
    PERFORM app.write_context(p_user_id, p_org_id, v_role, v_workspaces, NULL, 'human', p_user_id, coalesce(v_admin, false), p_client_ip, p_user_agent);
    RETURN v_role;
END;
$$;

-- The caller's own organizations with their role and the workspaces they can see; the switcher lists these.
CREATE FUNCTION app.my_organizations()
RETURNS TABLE (org_id uuid, slug text, name text, role text, workspace_id uuid, workspace_slug text, workspace_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT o.id, o.slug, o.name, m.role, w.id, w.slug, w.name
    FROM public.org_members m
    JOIN public.organizations o ON o.id = m.org_id
    LEFT JOIN public.workspaces w ON w.org_id = o.id AND w.archived_at IS NULL
        AND (m.role IN ('owner', 'admin')
             OR EXISTS (SELECT 1 FROM public.workspace_members wm
                        WHERE wm.org_id = w.org_id AND wm.workspace_id = w.id AND wm.user_id = m.user_id))
    WHERE m.user_id = app.current_user_id() AND m.status = 'active'
    ORDER BY lower(o.name), o.id, lower(w.name), w.id;
$$;

-- Creates an organization for the caller within their plan: the caller becomes owner and gets a "General" workspace.
-- The caller's user row is locked first, so concurrent attempts by one user are serialized and the limit holds.
CREATE FUNCTION app.create_organization(p_slug text, p_name text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_user uuid := app.current_user_id();
    v_plan text;
    v_limit integer;
    v_owned integer;
    v_org uuid;
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'no user context' USING ERRCODE = '42501';
    END IF;

    PERFORM 1 FROM public.users u WHERE u.id = v_user FOR UPDATE;
    v_plan := coalesce((SELECT s.plan_code FROM public.user_subscriptions s WHERE s.user_id = v_user), 'free');
    SELECT p.max_owned_orgs INTO v_limit FROM public.plans p WHERE p.code = v_plan;
    SELECT count(*) INTO v_owned FROM public.org_members m WHERE m.user_id = v_user AND m.role = 'owner';
    IF v_limit IS NOT NULL AND v_owned >= v_limit THEN
        -- Message, not DETAIL: clients hide details by default. Read as plan_limit_owned_orgs|<plan>|<limit>.
        RAISE EXCEPTION 'plan_limit_owned_orgs|%|%', v_plan, v_limit USING ERRCODE = 'P0001';
    END IF;

    INSERT INTO public.organizations (slug, name, plan, created_by)
    VALUES (p_slug, btrim(p_name), v_plan, v_user)
    RETURNING id INTO v_org;
    INSERT INTO public.org_members (org_id, user_id, role) VALUES (v_org, v_user, 'owner');
    INSERT INTO public.workspaces (org_id, slug, name, created_by) VALUES (v_org, 'general', 'General', v_user);
    RETURN v_org;
END;
$$;
