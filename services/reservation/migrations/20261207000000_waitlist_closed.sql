-- A waiting list ends with its event: the entries still waiting when the event is cancelled are CLOSED.
alter table waitlist_entries drop constraint waitlist_entries_status_check;
alter table waitlist_entries add constraint waitlist_entries_status_check
  check (status in ('WAITING', 'OFFERED', 'CLAIMED', 'LAPSED', 'LEFT', 'CLOSED'));
