-- k_anonymity(), l_diversity(), k_anonymity_report(): the motivating example is a table where
-- (age, tier) singles people out until age is bucketed.
.mode list
.headers off
create table policies(id integer primary key, age integer, tier text, illness text, "odd ""name""" text);
insert into policies(age, tier, illness, "odd ""name""") values
  (23, 'Gold', 'Malaria', 'a'), (27, 'Gold', 'Diabetes', 'a'), (25, 'Gold', 'Malaria', 'b'),
  (21, 'Gold', 'Asthma', 'b'), (41, 'Silver', 'Malaria', 'a'), (44, 'Silver', 'Malaria', 'a'),
  (47, 'Silver', 'Malaria', 'a'), (49, 'Silver', 'Cancer', 'a'), (97, 'Bronze', 'Injury', 'a'),
  (70, 'Bronze', 'Cancer', 'b');
select 'k_raw', k_anonymity('policies', 'age,tier');
select 'k_tier', k_anonymity('policies', 'tier');
select 'l_tier', l_diversity('policies', 'tier', 'illness');
create table generalized as select bucket(age, '[0,30,50,65]') as age, tier, illness from policies;
select 'k_bucketed', k_anonymity('generalized', 'age, tier');
select 'l_bucketed', l_diversity('generalized', 'age,tier', 'illness');
select 'report', class, size from k_anonymity_report('generalized', 'age,tier', 4);
select 'report_all', count(*) from k_anonymity_report('policies', 'age,tier', 2);
select 'quoted', k_anonymity('policies', 'odd "name"');
select 'case', k_anonymity('POLICIES', 'TIER');
create table empty(a);
select 'empty', quote(k_anonymity('empty', 'a')), quote(l_diversity('empty', 'a', 'a'));
-- Names are checked against the schema; nothing else ever reaches the SQL.
select k_anonymity('policies; DROP TABLE policies', 'age');
select k_anonymity('policies', 'age) FROM policies; DROP TABLE policies; --');
select k_anonymity('policies', 'age,nope');
select k_anonymity('policies', '');
select k_anonymity('nope', 'a');
select k_anonymity('policies');
select k_anonymity(NULL, 'age');
select l_diversity('policies', 'age', 'illness,tier');
select * from k_anonymity_report('policies', 'age', 0);
select * from k_anonymity_report('policies', 'age');
select 'still_there', count(*) from policies;
-- DIRECTONLY: not from a view.
create view v as select k_anonymity('policies', 'tier') k;
select * from v;
create view v2 as select * from k_anonymity_report('policies', 'tier', 9);
select * from v2;
