-- People and organizations: the first platform admin, a person's organizations, creating and leaving one, and the
-- rule that an organization always keeps an owner.

-- The first user ever registered becomes platform admin; nobody else can make themselves one by inserting a row.
CREATE OR REPLACE FUNCTION public.users_assign_platform_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Serialize concurrent first registrations so exactly one of them wins.
    PERFORM pg_advisory_xact_lock(hashtext('users_assign_platform_admin'));
    NEW.is_platform_admin := NOT EXISTS (SELECT 1 FROM public.users);
    RETURN NEW;
END;
$$;

-- A request can never grant itself the flag afterwards either.
CREATE OR REPLACE FUNCTION public.users_keep_platform_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_platform_admin IS DISTINCT FROM OLD.is_platform_admin AND current_user = 'portal_app' THEN
        RAISE EXCEPTION 'is_platform_admin cannot be changed by the application' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;

-- The caller's own organizations with their role and the workspaces they can see; the switcher lists these.
CREATE OR REPLACE FUNCTION app.my_organizations()
RETURNS TABLE (org_id uuid, slug text, name text, role text, workspace_id uuid, workspace_slug text, workspace_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
CREATE OR REPLACE FUNCTION app.create_organization(p_slug text, p_name text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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

-- The last active owner can be neither removed, demoted, suspended nor leave. The organization row is locked first,
-- so concurrent demotions of two owners are serialized and the second one sees the first. Deleting the
-- organization itself (its row is already gone in this transaction) removes every member.
CREATE OR REPLACE FUNCTION app.keep_an_owner() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF OLD.role <> 'owner' OR OLD.status <> 'active'
       OR (TG_OP = 'UPDATE' AND NEW.role = 'owner' AND NEW.status = 'active') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;

    PERFORM 1 FROM public.organizations o WHERE o.id = OLD.org_id FOR NO KEY UPDATE;
    IF FOUND AND NOT EXISTS (SELECT 1 FROM public.org_members m
                             WHERE m.org_id = OLD.org_id AND m.user_id <> OLD.user_id
                               AND m.role = 'owner' AND m.status = 'active') THEN
        RAISE EXCEPTION 'last_owner' USING ERRCODE = 'P0001';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

-- Any member may leave the active organization (the last owner cannot). Their workspace memberships go with them.
CREATE OR REPLACE FUNCTION app.leave_organization() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF app.current_org_id() IS NULL THEN
        RAISE EXCEPTION 'no organization context' USING ERRCODE = '42501';
    END IF;
    DELETE FROM public.org_members m WHERE m.org_id = app.current_org_id() AND m.user_id = app.current_user_id();
END;
$$;

GRANT EXECUTE ON FUNCTION app.my_organizations(), app.create_organization(text, text), app.leave_organization() TO portal_app;
