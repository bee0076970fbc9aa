-- Door staff: accounts an operator creates, which may only check tickets in for the events they are
-- assigned to (the reservation service keeps the assignments).
alter table users drop constraint users_role_check;
alter table users add constraint users_role_check check (role in ('user', 'admin', 'staff'));
create index users_role on users (role) where role <> 'user';
