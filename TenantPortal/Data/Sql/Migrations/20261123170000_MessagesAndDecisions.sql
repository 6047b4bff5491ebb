-- The agent side of a project: messages between its agents, and the decisions agents propose for a person to take.

-- A project's rows are addressed with their project by children, so they cannot point into another project.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_project_key UNIQUE (org_id, project_id, id);

-- Where each project's feed stands: the last position handed out (app.place_in_project_feed). Bookkeeping of the
-- database's own, in schema app, where requests hold no privilege.
CREATE TABLE app.project_feed_heads (
    org_id uuid NOT NULL,
    project_id uuid NOT NULL,
    seq bigint NOT NULL,
    CONSTRAINT pk_project_feed_heads PRIMARY KEY (org_id, project_id),
    CONSTRAINT fk_project_feed_heads_project FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);

-- Messages: from one agent to another of the same project, or to the whole project (no recipient). Immutable.
CREATE TABLE agent_messages (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    seq bigint NOT NULL,
    agent_id uuid NOT NULL,
    api_key_id uuid,
    to_agent_id uuid,
    message_type text NOT NULL CONSTRAINT agent_messages_type_format CHECK (app.is_valid_message_type(message_type)),
    content text NOT NULL CONSTRAINT agent_messages_content_length CHECK (char_length(content) BETWEEN 1 AND 100000),
    correlation_id text CONSTRAINT agent_messages_correlation_format CHECK (app.is_valid_correlation_id(correlation_id)),
    reply_to uuid,
    metadata jsonb NOT NULL DEFAULT '{}' CONSTRAINT agent_messages_metadata_size CHECK (app.is_small_json_object(metadata)),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_agent_messages PRIMARY KEY (org_id, id),
    CONSTRAINT agent_messages_feed_key UNIQUE (org_id, project_id, seq),
    CONSTRAINT agent_messages_project_key UNIQUE (org_id, project_id, id),
    CONSTRAINT fk_agent_messages_sender FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_messages_recipient FOREIGN KEY (org_id, workspace_id, project_id, to_agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_messages_reply FOREIGN KEY (org_id, project_id, reply_to)
        REFERENCES agent_messages (org_id, project_id, id) ON DELETE SET NULL (reply_to),
    CONSTRAINT fk_agent_messages_key FOREIGN KEY (org_id, project_id, api_key_id)
        REFERENCES api_keys (org_id, project_id, id) ON DELETE SET NULL (api_key_id)
);

CREATE INDEX ix_agent_messages_correlation ON agent_messages (org_id, project_id, correlation_id, seq) WHERE correlation_id IS NOT NULL;
CREATE INDEX ix_agent_messages_recipient ON agent_messages (org_id, to_agent_id, seq) WHERE to_agent_id IS NOT NULL;
CREATE TRIGGER place_in_project_feed BEFORE INSERT ON agent_messages FOR EACH ROW EXECUTE FUNCTION app.place_in_project_feed();

-- Decisions an agent proposes: the proposal (title, description, options, payload, deadline) never changes; a person
-- decides once (app.decide_once).
CREATE TABLE decisions (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    agent_id uuid NOT NULL,
    api_key_id uuid,
    title text NOT NULL CONSTRAINT decisions_title_format CHECK (title = btrim(title) AND char_length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CONSTRAINT decisions_description_length CHECK (char_length(description) <= 10000),
    options text[] NOT NULL CONSTRAINT decisions_options_valid CHECK (app.are_valid_decision_options(options)),
    payload jsonb NOT NULL DEFAULT '{}' CONSTRAINT decisions_payload_size CHECK (app.is_small_json_object(payload)),
    deadline timestamptz,
    status text NOT NULL DEFAULT 'pending'
        CONSTRAINT decisions_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'deferred', 'expired')),
    chosen_option text,
    rationale text CONSTRAINT decisions_rationale_length CHECK (rationale = btrim(rationale) AND char_length(rationale) BETWEEN 1 AND 2000),
    decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_decisions PRIMARY KEY (org_id, id),
    CONSTRAINT decisions_option_chosen CHECK ((status = 'approved') = (chosen_option IS NOT NULL) AND (chosen_option IS NULL OR chosen_option = ANY (options))),
    CONSTRAINT decisions_rejection_explained CHECK (status <> 'rejected' OR rationale IS NOT NULL),
    CONSTRAINT decisions_decided_stamped CHECK ((status = 'pending') = (decided_at IS NULL)),
    CONSTRAINT fk_decisions_agent FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_decisions_key FOREIGN KEY (org_id, project_id, api_key_id)
        REFERENCES api_keys (org_id, project_id, id) ON DELETE SET NULL (api_key_id)
);

CREATE INDEX ix_decisions_project ON decisions (org_id, project_id, created_at DESC, id);
CREATE INDEX ix_decisions_pending ON decisions (org_id, project_id, created_at) WHERE status = 'pending';
CREATE TRIGGER decide_once BEFORE UPDATE ON decisions FOR EACH ROW EXECUTE FUNCTION app.decide_once();
CREATE TRIGGER keep_parents BEFORE UPDATE ON decisions FOR EACH ROW EXECUTE FUNCTION app.keep_parents('org_id', 'workspace_id', 'project_id');
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON decisions FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
CREATE TRIGGER signal_decision_change AFTER UPDATE ON decisions FOR EACH ROW EXECUTE FUNCTION app.signal_decision_change();

-- Requests read and write them under row-level security (Security/tables.sql).
GRANT SELECT, INSERT ON agent_messages TO portal_app;
GRANT SELECT, INSERT ON decisions TO portal_app;
GRANT UPDATE (status, chosen_option, rationale) ON decisions TO portal_app;
