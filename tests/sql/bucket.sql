-- bucket(): numbers by width, by explicit edges, dates by unit.
.mode list
.headers off
select 'int', bucket(42, 10), bucket(-3, 10), bucket(45, 10, 5), bucket(9223372036854775807, 10);
select 'real', bucket(42.5, 10), bucket(42, 2.5), bucket(-0.5, 1), bucket(5, 2.5, 1);
select 'text_number', bucket('42', 10), bucket(' 42 ', 10);
select 'null', quote(bucket(NULL, 10)), quote(bucket(NULL, '[0,18]')), quote(bucket(NULL, 'year'));
select 'edges', group_concat(bucket(v, '[0,18,30,50,65]'), ' ')
  from (select column1 v from (values (-1),(0),(17),(17.5),(18),(29),(30),(64),(65),(120)));
select 'real_edges', bucket(0.2, '[0.5,1.5,2]'), bucket(1, '[0.5,1.5,2]'), bucket(2, '[0.5,1.5,2]');
select 'dates', bucket('2024-03-15 14:32:10', 'year'), bucket('2024-03-15', 'quarter'),
  bucket('2024-03-15', 'month'), bucket('2024-03-15', 'week'), bucket('2024-03-15', 'day'),
  bucket('2024-03-15T14:32:10Z', 'hour');
select 'iso_week', bucket('2024-12-30', 'week'), bucket('2021-01-03', 'week');
select 'timezone', bucket('2024-03-15T23:30:00-05:00', 'day');
select 'epoch', bucket(1710513130, 'hour'), bucket(1710513130.75, 'day'), bucket(0, 'year');
select 'agrees_with_sqlite', count(*), sum(bucket(d, 'day') = date(d)), sum(bucket(d, 'month') = strftime('%Y-%m', d))
  from (select date('2020-01-01', '+' || value || ' days') d from generate_series(0, 1500, 7));
create table people(age integer);
insert into people values (17), (18), (42), (NULL), (65);
select 'column', group_concat(quote(bucket(age, '[0,18,30,50,65]')), ' ') from people;
-- Errors.
select bucket(42, 0);
select bucket(42, -5);
select bucket(42.0, 0.0);
select bucket(42, '[3,2]');
select bucket(42, '[]');
select bucket(42, '[1,a]');
select bucket(42, 'fortnight');
select bucket(42, NULL);
select bucket(42, x'00');
select bucket('forty', 10);
select bucket(x'00', 10);
select bucket('2024-02-30', 'day');
select bucket('15/03/2024', 'day');
select bucket(1e300, 'day');
select bucket(42);
select bucket(42, 10, 0, 1);
select bucket(42, '[0,18]', 1);
select bucket(42, 10, 'x');
select 'still_working', bucket(42, 10);
