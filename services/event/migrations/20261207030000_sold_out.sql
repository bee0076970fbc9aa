-- The reservation service's word on whether the event has seats left to hold (`sale.availability_changed`),
-- and as of when: an older word that arrives late changes nothing.
alter table events add column sold_out boolean not null default false;
alter table events add column sold_out_at timestamptz;
