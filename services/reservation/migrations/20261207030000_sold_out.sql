-- Whether the event had no seat or standing place left to hold at the last look (see the sold-out watch):
-- the event service is told when this changes, so that lists and pages can say "sold out".
alter table events add column sold_out boolean not null default false;
