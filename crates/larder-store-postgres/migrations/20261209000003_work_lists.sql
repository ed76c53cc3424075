-- The relay's and the webhook dispatcher's work lists (larder_unrelayed_tenants,
-- larder_webhook_tenants) run as the tables' owner across tenants. Forced row-level security
-- would hide every row from the owner too (no tenant is set), so, as for `tenants` (whose
-- owner lists tenant ids), these tables apply the policies to everyone but their owner. The
-- application role owns nothing and stays bound by the policies.
ALTER TABLE event_heads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE outbox_relay NO FORCE ROW LEVEL SECURITY;
ALTER TABLE webhooks NO FORCE ROW LEVEL SECURITY;
