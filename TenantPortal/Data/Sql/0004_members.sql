-- Organization membership rules beyond "owners and admins manage": only owners touch owners, members may leave,
-- and an organization always keeps an active owner.

-- Admins manage admins, members and viewers; only an owner adds, changes or removes an owner (or makes one).
CREATE POLICY owners_manage_owners_insert ON org_members AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CREATE POLICY owners_manage_owners_update ON org_members AS RESTRICTIVE FOR UPDATE TO portal_app
    USING (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner')
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CREATE POLICY owners_manage_owners_delete ON org_members AS RESTRICTIVE FOR DELETE TO portal_app
    USING (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');

-- The last active owner can be neither removed, demoted, suspended nor leave. The organization row is locked first,
-- so concurrent demotions of two owners are serialized and the second one sees the first. Deleting the
-- organization itself (its row is already gone in this transaction) removes every member.
CREATE FUNCTION app.keep_an_owner() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
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

CREATE TRIGGER keep_an_owner BEFORE UPDATE OR DELETE ON org_members
    FOR EACH ROW EXECUTE FUNCTION app.keep_an_owner();

-- Any member may leave the active organization (the last owner cannot). Their workspace memberships go with them.
CREATE FUNCTION app.leave_organization() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    IF app.current_org_id() IS NULL THEN
        RAISE EXCEPTION 'no organization context' USING ERRCODE = '42501';
    END IF;
    DELETE FROM public.org_members m WHERE m.org_id = app.current_org_id() AND m.user_id = app.current_user_id();
END;
$$;
