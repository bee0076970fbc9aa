-- Ended sessions whose access tokens may still be presented, until every token check has been told (the
-- Redis key `revoked-session:<family id>` the gateway and each service read). A row is written in the
-- transaction that ends the session and deleted once Redis took the revocation, so a Redis outage at that
-- moment delays the end of the access tokens instead of losing it: the user service tells Redis again
-- every few seconds. No foreign key: a deleted account's sessions go with it, and their tokens must still end.
create table session_ends_to_announce (
  family_id uuid primary key,
  -- The last moment an access token of the session can be valid; the row means nothing after it.
  until timestamptz not null
);
