-- Plans: limits per organization (projects, members, agents per project) besides owned organizations per user.
-- An organization's limits come from its own plan (organizations.plan), set from its creator's plan.

-- Locks the organization's row and refuses when its plan's limit for p_what ('projects', 'members' or
-- 'invitations', which counts pending invitations as members) is reached. Called by BEFORE INSERT triggers:
-- the row lock serializes concurrent inserts of one organization, and the count after it sees every committed row.
-- Raises plan_limit_<what>|<plan>|<limit> (invitations report as members).
CREATE OR REPLACE FUNCTION app.enforce_plan_limit(p_org uuid, p_what text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_plan text;
    v_limit integer;
    v_used bigint;
BEGIN
    SELECT o.plan INTO v_plan FROM public.organizations o WHERE o.id = p_org FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- The foreign key reports the missing organization.
    END IF;

    SELECT CASE WHEN p_what = 'projects' THEN p.max_projects_per_org ELSE p.max_members_per_org END
    INTO v_limit FROM public.plans p WHERE p.code = v_plan;
    IF v_limit IS NULL THEN
        RETURN;
    END IF;

    IF p_what = 'projects' THEN
        SELECT count(*) INTO v_used FROM public.projects x WHERE x.org_id = p_org;
    ELSE
        SELECT count(*) INTO v_used FROM public.org_members m WHERE m.org_id = p_org;
        IF p_what = 'invitations' THEN
            v_used := v_used + (SELECT count(*) FROM public.org_invitations i
                                WHERE i.org_id = p_org AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now());
        END IF;
    END IF;

    IF v_used >= v_limit AND p_what = 'projects' THEN
        RAISE EXCEPTION 'plan_limit_projects|%|%', v_plan, v_limit USING ERRCODE = 'P0001';
    ELSIF v_used >= v_limit THEN
        RAISE EXCEPTION 'plan_limit_members|%|%', v_plan, v_limit USING ERRCODE = 'P0001';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION app.enforce_plan_limit_trigger() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM app.enforce_plan_limit(NEW.org_id, TG_ARGV[0]);
    RETURN NEW;
END;
$$;

-- The active organization's plan and usage, counted over every row (not only those the caller can see).
CREATE OR REPLACE FUNCTION app.org_usage()
RETURNS TABLE (plan_code text, plan_name text, projects bigint, max_projects integer, members bigint,
               pending_invitations bigint, max_members integer, max_agents_per_project integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT p.code, p.name,
           (SELECT count(*) FROM public.projects x WHERE x.org_id = o.id), p.max_projects_per_org,
           (SELECT count(*) FROM public.org_members m WHERE m.org_id = o.id),
           (SELECT count(*) FROM public.org_invitations i
            WHERE i.org_id = o.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()),
           p.max_members_per_org, p.max_agents_per_project
    FROM public.organizations o JOIN public.plans p ON p.code = o.plan
    WHERE o.id = app.current_org_id();
END;
$$;

-- Platform administration of plans. Every change is recorded on the platform chain (and, for an organization,
-- by the organization's own audit trigger on its chain).
CREATE OR REPLACE FUNCTION app.require_platform_admin() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT app.is_platform_admin() THEN
        RAISE EXCEPTION 'only platform admins manage plans' USING ERRCODE = '42501';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION app.admin_users(p_search text, p_limit integer DEFAULT 50)
RETURNS TABLE (id uuid, email text, display_name text, plan_code text, owned_orgs bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM app.require_platform_admin();
    RETURN QUERY
    SELECT u.id, u.email::text, u.display_name::text, coalesce(s.plan_code, 'free'),
           (SELECT count(*) FROM public.org_members m WHERE m.user_id = u.id AND m.role = 'owner')
    FROM public.users u LEFT JOIN public.user_subscriptions s ON s.user_id = u.id
    WHERE coalesce(p_search, '') = '' OR strpos(lower(u.email), lower(p_search)) > 0
       OR strpos(lower(coalesce(u.display_name, '')), lower(p_search)) > 0
    ORDER BY lower(u.email), u.id
    LIMIT least(greatest(p_limit, 1), 200);
END;
$$;

CREATE OR REPLACE FUNCTION app.admin_organizations(p_search text, p_limit integer DEFAULT 50)
RETURNS TABLE (id uuid, slug text, name text, plan_code text, projects bigint, members bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM app.require_platform_admin();
    RETURN QUERY
    SELECT o.id, o.slug, o.name, o.plan,
           (SELECT count(*) FROM public.projects x WHERE x.org_id = o.id),
           (SELECT count(*) FROM public.org_members m WHERE m.org_id = o.id)
    FROM public.organizations o
    WHERE coalesce(p_search, '') = '' OR strpos(lower(o.name), lower(p_search)) > 0 OR strpos(o.slug, lower(p_search)) > 0
    ORDER BY lower(o.name), o.id
    LIMIT least(greatest(p_limit, 1), 200);
END;
$$;

CREATE OR REPLACE FUNCTION app.admin_set_user_plan(p_user uuid, p_plan text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_old text;
BEGIN
    PERFORM app.require_platform_admin();
    SELECT coalesce((SELECT s.plan_code FROM public.user_subscriptions s WHERE s.user_id = p_user), 'free') INTO v_old;
    INSERT INTO public.user_subscriptions (user_id, plan_code) VALUES (p_user, p_plan)
    ON CONFLICT (user_id) DO UPDATE SET plan_code = excluded.plan_code;
    PERFORM app.append_audit_event(NULL, NULL, NULL, 'plan_change', 'user', p_user::text,
                                   jsonb_build_object('old', jsonb_build_object('plan', v_old), 'new', jsonb_build_object('plan', p_plan)));
END;
$$;

CREATE OR REPLACE FUNCTION app.admin_set_org_plan(p_org uuid, p_plan text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_old text;
BEGIN
    PERFORM app.require_platform_admin();
    SELECT o.plan INTO v_old FROM public.organizations o WHERE o.id = p_org FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', p_org USING ERRCODE = '23503';
    END IF;
    UPDATE public.organizations SET plan = p_plan WHERE id = p_org;
    PERFORM app.append_audit_event(NULL, NULL, NULL, 'plan_change', 'org', p_org::text,
                                   jsonb_build_object('old', jsonb_build_object('plan', v_old), 'new', jsonb_build_object('plan', p_plan)));
END;
$$;

GRANT EXECUTE ON FUNCTION
    app.org_usage(), app.admin_users(text, integer), app.admin_organizations(text, integer),
    app.admin_set_user_plan(uuid, text), app.admin_set_org_plan(uuid, text)
TO portal_app;
