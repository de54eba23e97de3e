-- pii_inventory() and the undecided gate through the sqlite3 shell. Tables of at most 1,000 rows
-- are read in full, so the report is deterministic.
.mode list
.headers off
create table customers(id integer primary key, email text unique, phone text, balance real);
insert into customers(email, phone, balance) values
  ('jane.doe@example.org', '+254 712 345 678', 120.5), ('peter.k@mail.co.ke', '+254 722 111 222', 0),
  ('amina@example.org', '+254 733 444 555', 99.25);
create table claims(id integer primary key, customer_id integer references customers, notes text, ref text);
insert into claims(customer_id, notes, ref) values
  (1, 'asked about the claim, reply to jane.doe@example.org', 'A123456789B'),
  (2, 'form received', 'P051234567Z'), (3, 'pending review', 'A987654321C');
select 'report', table_name, column_name, declared_type, coalesce(key, '-'), rows_sampled, sampling,
       coalesce(top_type, '-'), coalesce(round(share, 3), '-'), coalesce(shape, '-'),
       coalesce(suggestion, '-'), undecided
  from pii_inventory();
select 'types', types from pii_inventory('claims') where column_name = 'notes';
-- The CI gate: non-zero until every PII column has a decision.
select 'gate', count(*) from pii_inventory() where undecided;
select 'decide', anonkit_decide(table_name, column_name, 'mask', suggestion, 'first review')
  from pii_inventory() where undecided and column_name <> 'ref';
select 'decide', anonkit_decide('claims', 'ref', 'drop', NULL, 'not needed for analysis');
select 'gate', count(*) from pii_inventory() where undecided;
select 'decisions', table_name, column_name, decision, coalesce(strategy, '-'), column_fingerprint
  from anonkit_column_decisions order by rowid;
-- A renamed column is a new column: undecided until decided again.
alter table customers rename column phone to mobile;
select 'renamed', column_name, coalesce(decision, '-'), undecided from pii_inventory('customers');
select 'gate', count(*) from pii_inventory() where undecided;
-- Errors name what was expected and never a value.
select * from pii_inventory('nope');
select * from pii_inventory(NULL, '{"rows":0}');
select * from pii_inventory(NULL, '{"frobnicate":true}');
select anonkit_decide('claims', 'notes', 'hide');
select anonkit_decide('claims', 'nope', 'keep');
