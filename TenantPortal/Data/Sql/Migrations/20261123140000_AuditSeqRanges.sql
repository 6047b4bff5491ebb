-- Times are non-decreasing along a chain (app.append_audit_event), so the viewer turns a date filter into the seq
-- range from the first event at or after its start to the last before its end: two probes of this index, answered
-- from the index alone. Its other filters then walk that range in seq order, the order pages are read in.
DROP INDEX ix_audit_events_chain_time;
CREATE INDEX ix_audit_events_chain_time ON audit_events (chain_key, occurred_at, seq);
