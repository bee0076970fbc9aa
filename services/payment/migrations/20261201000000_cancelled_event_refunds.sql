-- A cancellation is recorded even for an event whose event.published never reached this service: its paid
-- payments must be refunded all the same. Such a row knows neither title nor start until that event comes.
alter table event_schedule
  alter column title drop not null,
  alter column starts_at drop not null,
  add column cancel_reason text;

-- The cancellation refunder's work: paid payments not yet fully refunded, found by event.
create index payments_refundable_by_event on payments (event_id, id)
  where status in ('COMPLETED', 'PARTIALLY_REFUNDED');
