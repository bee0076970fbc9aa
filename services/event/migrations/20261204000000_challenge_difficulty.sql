-- The bot-defence challenge's base difficulty for joining this event's waiting room (ALTCHA maxnumber);
-- null: the platform's default.
alter table events
  add column challenge_max_number integer check (challenge_max_number between 1000 and 10000000);
