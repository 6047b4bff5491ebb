-- Invitations: a single-use link valid for 7 days. Only the SHA-256 of the token is stored; the token itself is
-- shown to the inviter and mailed, never written anywhere.

CREATE TABLE org_invitations (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email text NOT NULL CONSTRAINT org_invitations_email_format
        CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND char_length(email) <= 256),
    role text NOT NULL CONSTRAINT org_invitations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    workspace_ids uuid[] NOT NULL DEFAULT '{}',
    token_hash bytea NOT NULL CONSTRAINT org_invitations_token_hash_length CHECK (length(token_hash) = 32),
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL DEFAULT now() + interval '7 days',
    last_sent_at timestamptz NOT NULL DEFAULT now(),
    send_count integer NOT NULL DEFAULT 1,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at timestamptz,
    revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT pk_org_invitations PRIMARY KEY (org_id, id),
    CONSTRAINT org_invitations_token_hash_key UNIQUE (token_hash)
);

-- One open invitation per address and organization; resending renews it.
CREATE UNIQUE INDEX ux_org_invitations_open ON org_invitations (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Pending invitations count against the member limit.
CREATE TRIGGER enforce_member_limit BEFORE INSERT ON org_invitations
    FOR EACH ROW EXECUTE FUNCTION app.enforce_plan_limit_trigger('invitations');

-- Owners and admins see and manage invitations; only an owner invites an owner.
CALL app.secure_tenant_table('org_invitations', '(SELECT app.current_org_can_manage())');
CREATE POLICY owners_invite_owners ON org_invitations AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CREATE POLICY owners_change_owner_invitations ON org_invitations AS RESTRICTIVE FOR UPDATE TO portal_app
    USING (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner')
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CALL app.audit_table('org_invitations', 'invitation');

-- What a token's holder may learn before accepting: the organization, the invited address and the state.
CREATE FUNCTION app.invitation_preview(p_token_hash bytea)
RETURNS TABLE (org_id uuid, org_name text, email text, role text, invited_by_email text, expires_at timestamptz, state text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
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
CREATE FUNCTION app.accept_invitation(p_token_hash bytea) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
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
