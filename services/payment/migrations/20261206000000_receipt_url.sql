-- Toss's receipt page of an approved payment (`receipt.url`), linked from the buyer's tickets.
alter table payments add column receipt_url text;
