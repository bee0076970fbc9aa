-- A hold, a sale and a release change a seat's status, reservation and version, and nothing else. With no
-- index on any of those columns and room on the seat's page, PostgreSQL writes the new version of the row
-- beside the old one (a heap-only tuple) and no new entry in any of the seats' indexes. A hold used to add
-- one to each of three indexes, at random places of them since fans pick seats at random: an eighth of its
-- WAL under `pgbench`.
--
-- - The seats of a reservation are found through its seat links (`reservation_seats`, keyed by the
--   reservation), so the index on `seats.reservation_id` goes.
-- - Pages of seats written from now on keep a fifth free for the new versions of their rows; an event
--   published before this keeps full pages, whose rows move elsewhere on their first change as before.
drop index seats_reservation;
alter table seats set (fillfactor = 80);

