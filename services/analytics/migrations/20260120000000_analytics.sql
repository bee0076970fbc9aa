-- Raw events: what clients tracked and what the other services announced, kept for later analysis.
-- Time-partitioned: a TimescaleDB hypertable where the extension can be loaded, otherwise native
-- PostgreSQL range partitions by month (created ahead by ensure_raw_event_partitions, which the
-- rollup job calls on every run). The default partition only catches rows outside the prepared months.
do $$
declare
  timescale boolean := false;
begin
  if exists (select 1 from pg_available_extensions where name = 'timescaledb') then
    begin
      create extension if not exists timescaledb;
      timescale := true;
    exception when others then
      -- Available but not preloaded (shared_preload_libraries): fall back to native partitioning.
      timescale := false;
    end;
  end if;

  if timescale then
    create table raw_events (
      id uuid not null,
      occurred_at timestamptz not null,
      received_at timestamptz not null default now(),
      source text not null check (source in ('client', 'service')),
      type text not null,
      user_id uuid,
      session_id text,
      event_id uuid,
      artist_id uuid,
      path text,
      amount bigint,
      properties jsonb not null default '{}',
      primary key (id, occurred_at)
    );
    perform create_hypertable('raw_events', 'occurred_at', chunk_time_interval => interval '7 days');
  else
    create table raw_events (
      id uuid not null,
      occurred_at timestamptz not null,
      received_at timestamptz not null default now(),
      source text not null check (source in ('client', 'service')),
      type text not null,
      user_id uuid,
      session_id text,
      event_id uuid,
      artist_id uuid,
      path text,
      amount bigint,
      properties jsonb not null default '{}',
      primary key (id, occurred_at)
    ) partition by range (occurred_at);
    create table raw_events_default partition of raw_events default;
  end if;
end $$;

create index raw_events_type_time on raw_events (type, occurred_at);
create index raw_events_event_time on raw_events (event_id, occurred_at) where event_id is not null;

-- Creates the monthly partitions (Asia/Seoul months) from `from_month` for `months` months; does nothing
-- for a hypertable. Rows that landed in the default partition for a month being created are moved into
-- it (a partition cannot be attached over rows the default holds). Idempotent, so the rollup job calls
-- it on every run.
create function ensure_raw_event_partitions(from_month date, months int) returns void
language plpgsql as $$
declare
  m date;
  name text;
  lower_bound timestamptz;
  upper_bound timestamptz;
begin
  if (select relkind from pg_class where oid = 'raw_events'::regclass) <> 'p' then
    return;
  end if;
  for i in 0 .. months - 1 loop
    m := (date_trunc('month', from_month) + make_interval(months => i))::date;
    name := format('raw_events_%s', to_char(m, 'YYYYMM'));
    if to_regclass(name) is null then
      lower_bound := m::timestamp at time zone 'Asia/Seoul';
      upper_bound := (m + interval '1 month')::timestamp at time zone 'Asia/Seoul';
      -- Writers into the default partition wait here until the new partition is attached.
      lock table raw_events_default in access exclusive mode;
      execute format('create table %I (like raw_events including defaults including constraints)', name);
      execute format(
        'with moved as (delete from raw_events_default where occurred_at >= %L and occurred_at < %L returning *)
         insert into %I select * from moved',
        lower_bound, upper_bound, name
      );
      execute format(
        'alter table raw_events attach partition %I for values from (%L) to (%L)',
        name, lower_bound, upper_bound
      );
    end if;
  end loop;
end $$;

select ensure_raw_event_partitions(
  (date_trunc('month', now() at time zone 'Asia/Seoul') - interval '1 month')::date,
  5
);

-- What the hourly job moved out of Redis. Values are additive: each flushed batch adds to them once.
create table hourly_stats (
  metric text not null,
  dimension text not null,
  hour timestamptz not null,
  value bigint not null,
  updated_at timestamptz not null default now(),
  primary key (metric, dimension, hour)
);

-- Asia/Seoul calendar days and months, rolled up in the same transaction as the hourly rows they sum,
-- so the three tables never disagree. `unique_visitors` rows are not sums: they are the day's
-- HyperLogLog count, set (not added) by the job.
create table daily_stats (
  metric text not null,
  dimension text not null,
  day date not null,
  value bigint not null,
  updated_at timestamptz not null default now(),
  primary key (metric, dimension, day)
);
create index daily_stats_day on daily_stats (day);

create table monthly_stats (
  metric text not null,
  dimension text not null,
  month date not null,
  value bigint not null,
  updated_at timestamptz not null default now(),
  primary key (metric, dimension, month)
);

-- One row per Redis staging batch applied: the guard that makes applying a batch happen once, however
-- many job runs or instances try it.
create table rollup_batches (
  batch text primary key,
  applied_at timestamptz not null default now()
);

-- What analytics knows of each event (from event.published / event.updated, or fetched once from the
-- event service): enough to attribute views to artists and to list what is on sale.
create table event_projection (
  event_id uuid primary key,
  artist_id uuid,
  title text,
  status text,
  sale_opens_at timestamptz,
  sale_closes_at timestamptz,
  source_time timestamptz not null,
  updated_at timestamptz not null default now()
);
create index event_projection_status on event_projection (status);
