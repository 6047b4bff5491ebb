-- Audit hashes name their encoding; updated_at is stamped by the database; rows keep their parents; Pro owns
-- unlimited organizations; the context carries workspace roles.

-- Events written so far were sealed with encoding 1; app.append_audit_event seals new ones with encoding 2.
ALTER TABLE audit_events ADD COLUMN hash_version smallint NOT NULL DEFAULT 1
    CONSTRAINT audit_events_hash_version_check CHECK (hash_version IN (1, 2));
ALTER TABLE audit_events ALTER COLUMN hash_version DROP DEFAULT;
-- Replaced by app.audit_hash, which knows every encoding.
DROP FUNCTION IF EXISTS app.audit_canonical(audit_events);

CREATE TRIGGER touch_updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON workspaces FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON user_subscriptions FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

CREATE TRIGGER keep_parents BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION app.keep_parents('org_id', 'workspace_id');
CREATE TRIGGER keep_parents BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION app.keep_parents('org_id', 'workspace_id', 'project_id');
CREATE TRIGGER keep_parents BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION app.keep_parents('org_id', 'workspace_id', 'project_id', 'agent_id');
CREATE TRIGGER keep_revocation BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION app.keep_revocation();

-- Only Free limits how many organizations a person owns.
UPDATE plans SET max_owned_orgs = NULL WHERE code = 'pro';

-- Databases created before routines were revoked from PUBLIC by default.
REVOKE EXECUTE ON FUNCTION public.users_assign_platform_admin(), public.users_keep_platform_admin() FROM PUBLIC;

-- The context now carries the workspaces a person administers and works in (see Routines/10_context.sql), and table
-- security takes who writes; the earlier forms of these routines go.
DROP FUNCTION IF EXISTS app.write_context(uuid, uuid, text, uuid[], uuid, text, uuid, boolean, text, text);
DROP PROCEDURE IF EXISTS app.secure_tenant_table(regclass, text);
