-- API keys: bound to one agent of one project. Only the SHA-256 of a key is stored, with a display prefix and its
-- last four characters; the key itself is shown once when it is created.

CREATE TABLE api_keys (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CONSTRAINT api_keys_name_format CHECK (name ~ '^[a-z][a-z0-9_]*[a-z0-9]$' AND char_length(name) <= 50),
    key_hash bytea NOT NULL CONSTRAINT api_keys_key_hash_length CHECK (length(key_hash) = 32),
    prefix text NOT NULL CONSTRAINT api_keys_prefix_format CHECK (prefix ~ '^sk_agent_v1_[0-9a-f]{8}_[0-9a-f]{8}$'),
    last_four text NOT NULL CONSTRAINT api_keys_last_four_format CHECK (last_four ~ '^[0-9A-Za-z]{4}$'),
    capabilities text[] NOT NULL CONSTRAINT api_keys_capabilities_check
        CHECK (cardinality(capabilities) >= 1 AND capabilities <@ ARRAY['communicate', 'create_meetings', 'manage_decisions', 'read_project']),
    status text NOT NULL DEFAULT 'active' CONSTRAINT api_keys_status_check CHECK (status IN ('active', 'revoked', 'expired', 'disabled')),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoke_reason text CONSTRAINT api_keys_revoke_reason_length CHECK (char_length(revoke_reason) BETWEEN 1 AND 500),
    replaced_by uuid,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_api_keys PRIMARY KEY (org_id, id),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_revocation_complete CHECK (status <> 'revoked' OR (revoked_at IS NOT NULL AND revoke_reason IS NOT NULL)),
    CONSTRAINT fk_api_keys_agent FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE
);

-- Names are unique per project among active keys; a key being rolled out (replaced_by set) frees its name.
CREATE UNIQUE INDEX ux_api_keys_active_name ON api_keys (org_id, project_id, name) WHERE status = 'active' AND replaced_by IS NULL;
CREATE INDEX ix_api_keys_agent ON api_keys (org_id, agent_id);

CALL app.secure_tenant_table('api_keys',
    '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])');
CALL app.audit_table('api_keys', 'api_key');

-- An agent's context sees its own project only, wherever a project's rows are.
CREATE PROCEDURE app.restrict_to_project(p_table regclass, p_column text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE POLICY agent_project ON %s AS RESTRICTIVE FOR ALL TO portal_app
                        USING ((SELECT app.current_project_id()) IS NULL OR %I = (SELECT app.current_project_id()))
                        WITH CHECK ((SELECT app.current_project_id()) IS NULL OR %I = (SELECT app.current_project_id()))',
                   p_table, p_column, p_column);
END;
$$;

CALL app.restrict_to_project('projects', 'id');
CALL app.restrict_to_project('agents', 'project_id');
CALL app.restrict_to_project('api_keys', 'project_id');

-- Resolves a key (by its hash) for an agent request and enters that agent's context: organization, workspace,
-- project, agent. Returns nothing for an unknown, revoked, disabled or expired key, an archived agent, or a suspended
-- or archived project. p_at can only move the clock forward (tests use it to step past an expiry).
-- last_used_at is written at most once a minute per key.
CREATE FUNCTION app.enter_agent_context(p_key_hash bytea, p_client_ip text, p_user_agent text, p_at timestamptz DEFAULT NULL)
RETURNS TABLE (key_id uuid, agent_id uuid, project_id uuid, workspace_id uuid, org_id uuid, capabilities text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_now timestamptz := greatest(coalesce(p_at, now()), now());
    v_key public.api_keys;
BEGIN
    -- Whatever context the connection had is dropped first: a failed lookup leaves none.
    PERFORM app.write_context(NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, p_client_ip, p_user_agent);

    SELECT k.* INTO v_key
    FROM public.api_keys k
    JOIN public.agents a ON a.org_id = k.org_id AND a.id = k.agent_id
    JOIN public.projects p ON p.org_id = k.org_id AND p.id = k.project_id
    WHERE k.key_hash = p_key_hash
      AND k.status = 'active' AND (k.expires_at IS NULL OR k.expires_at > v_now)
      AND a.status <> 'archived' AND p.status NOT IN ('suspended', 'archived');
    IF NOT FOUND THEN
        RETURN;
    END IF;

    PERFORM app.write_context(NULL, v_key.org_id, NULL, ARRAY[v_key.workspace_id], v_key.project_id, 'agent', v_key.agent_id, false,
                              p_client_ip, p_user_agent);
    UPDATE public.api_keys SET last_used_at = v_now
    WHERE public.api_keys.org_id = v_key.org_id AND public.api_keys.id = v_key.id
      AND (public.api_keys.last_used_at IS NULL OR public.api_keys.last_used_at < v_now - interval '1 minute');
    RETURN QUERY SELECT v_key.id, v_key.agent_id, v_key.project_id, v_key.workspace_id, v_key.org_id, v_key.capabilities;
END;
$$;

-- People's memberships and invitations are no business of an agent.
CREATE PROCEDURE app.hide_from_agents(p_table regclass)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE POLICY hidden_from_agents ON %s AS RESTRICTIVE FOR ALL TO portal_app
                        USING ((SELECT app.current_actor_type()) IS DISTINCT FROM ''agent'')', p_table);
END;
$$;

CALL app.hide_from_agents('org_members');
CALL app.hide_from_agents('workspace_members');
CALL app.hide_from_agents('org_invitations');
