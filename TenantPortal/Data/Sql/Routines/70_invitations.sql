-- Invitations: what a link's holder may see before accepting, and accepting it. Only the SHA-256 of a token is stored.

-- What a token's holder may learn before accepting: the organization, the invited address and the state.
CREATE OR REPLACE FUNCTION app.invitation_preview(p_token_hash bytea)
RETURNS TABLE (org_id uuid, org_name text, email text, role text, invited_by_email text, expires_at timestamptz, state text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT i.org_id, o.name, i.email, i.role, u.email::text, i.expires_at,
           CASE WHEN i.revoked_at IS NOT NULL THEN 'revoked'
                WHEN i.accepted_at IS NOT NULL THEN 'used'
                WHEN i.expires_at <= now() THEN 'expired'
                ELSE 'pending' END
    FROM public.org_invitations i
    JOIN public.organizations o ON o.id = i.org_id
    LEFT JOIN public.users u ON u.id = i.invited_by
    WHERE i.token_hash = p_token_hash;
$$;

-- Accepts an invitation for the signed-in caller, whose email must match. Refusals raise
-- invitation_<not_found|revoked|used|expired|wrong_user> and change nothing.
CREATE OR REPLACE FUNCTION app.accept_invitation(p_token_hash bytea) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_user uuid := app.current_user_id();
    v_invitation public.org_invitations;
    v_email text;
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'no user context' USING ERRCODE = '42501';
    END IF;

    SELECT * INTO v_invitation FROM public.org_invitations i WHERE i.token_hash = p_token_hash FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invitation_not_found' USING ERRCODE = 'P0001';
    ELSIF v_invitation.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation_revoked' USING ERRCODE = 'P0001';
    ELSIF v_invitation.accepted_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation_used' USING ERRCODE = 'P0001';
    ELSIF v_invitation.expires_at <= now() THEN
        RAISE EXCEPTION 'invitation_expired' USING ERRCODE = 'P0001';
    END IF;

    SELECT lower(u.email) INTO v_email FROM public.users u WHERE u.id = v_user;
    IF v_email IS DISTINCT FROM v_invitation.email THEN
        RAISE EXCEPTION 'invitation_wrong_user' USING ERRCODE = 'P0001';
    END IF;

    INSERT INTO public.org_members (org_id, user_id, role, invited_by)
    VALUES (v_invitation.org_id, v_user, v_invitation.role, v_invitation.invited_by)
    ON CONFLICT (org_id, user_id) DO NOTHING;

    -- Owners and admins see every workspace already; others join the workspaces named in the invitation.
    IF v_invitation.role IN ('member', 'viewer') THEN
        INSERT INTO public.workspace_members (org_id, workspace_id, user_id, role)
        SELECT v_invitation.org_id, w.id, v_user, v_invitation.role
        FROM public.workspaces w
        WHERE w.org_id = v_invitation.org_id AND w.id = ANY (v_invitation.workspace_ids)
        ON CONFLICT DO NOTHING;
    END IF;

    UPDATE public.org_invitations SET accepted_at = now(), accepted_by = v_user
    WHERE org_id = v_invitation.org_id AND id = v_invitation.id;
    RETURN v_invitation.org_id;
END;
$$;

GRANT EXECUTE ON FUNCTION app.invitation_preview(bytea), app.accept_invitation(bytea) TO portal_app;
