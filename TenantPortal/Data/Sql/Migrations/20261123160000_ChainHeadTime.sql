-- The chain head keeps the time of its newest event, so appending reads it from the row it locks anyway instead of
-- looking the previous event up (app.append_audit_event: an event is never stamped earlier than the one before it).
ALTER TABLE audit_chain_heads ADD COLUMN occurred_at timestamptz;
UPDATE audit_chain_heads h SET occurred_at = e.occurred_at
FROM audit_events e WHERE e.chain_key = h.chain_key AND e.seq = h.seq;
