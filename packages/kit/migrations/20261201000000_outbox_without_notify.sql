-- NOTIFY takes a server-wide lock at commit that serialises every notifying transaction; the relay now
-- learns of its own process's commits in process and polls for the rest.
drop trigger if exists outbox_notify on outbox;
drop function if exists outbox_notify();
