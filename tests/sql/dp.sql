-- The DP aggregates and the budget ledger. Noisy values are checked against ranges whose
-- failure probability is stated; everything else is exact.
.mode list
.headers off
create table t(x, g);
insert into t select value % 100, value % 2 from generate_series(1, 10000);
insert into t values (NULL, 0), (1e12, 1);
select 'unlimited', anonkit_budget();
-- Scale 1/eps = 1 for the count: |noise| > 30 has probability 2 e^-30 (~2e-13).
select 'count', abs(dp_count(x, 1) - 10001) <= 30, typeof(dp_count(x, 1)) from t;
-- Sum with integer bounds is an INTEGER; the 1e12 row is clamped to 100 (scale 100: |noise| > 4000
-- has probability ~e^-40).
select 'sum', abs(dp_sum(x, 0, 100, 1) - 495100) <= 4000, typeof(dp_sum(x, 0, 100, 1)) from t;
select 'sum_real', typeof(dp_sum(x, 0.0, 100, 1)) from t;
select 'mean', dp_mean(x, 0, 100, 1) between 48.5 and 50.5, typeof(dp_mean(x, 0, 100, 1)) from t;
select 'mean_in_bounds', min(m) >= 0, max(m) <= 1 from (select dp_mean(x, 0, 1, 0.01) m from t group by g);
select 'groups', count(*) from (select g, dp_count(x, 0.5) from t group by g);
-- No rows: noise is released (never NULL) and charged like any other release.
select 'no_rows', typeof(dp_count(x, 1)), typeof(dp_sum(x, 0, 1, 1)), typeof(dp_mean(x, 0, 1, 1)) from t where 0;
-- Per person: 10,002 rows but two units (g): the count of units is 2 (scale 1: |noise| > 30 has
-- probability 2e-13), the sum of each unit's total clamped to 100 is 200 (scale 100, as above).
select 'unit_count', abs(dp_count(x, 1, g) - 2) <= 30 from t;
select 'unit_sum', abs(dp_sum(x, 0, 100, 1, g) - 200) <= 4000 from t;
select 'median', abs(dp_median(x, 0, 100, 1) - 49.5) < 3, abs(dp_quantile(x, 0, 100, 0.25, 1) - 24.5) < 3 from t;
select 'variance', abs(dp_variance(x, 0, 100, 1) - 833.25) < 60 from t;
select 'spent', anonkit_budget();
select 'set', anonkit_budget_set(30);
select 'within', dp_count(x, 0.1) is not null from t;
select dp_count(x, 20) from t;
select 'after_refusal', anonkit_budget();
-- A transaction rolled back does not refund a charge.
begin;
select 'in_tx', dp_count(x, 0.1) is not null from t;
rollback;
select 'not_refunded', anonkit_budget();
select 'unset', anonkit_budget_set(NULL);
-- Errors.
select dp_count(x, 0) from t;
select dp_count(x, -1) from t;
select dp_count(x, 'a') from t;
select dp_count(x, NULL) from t;
select dp_count(x) from t;
select dp_sum(x, 10, 0, 1) from t;
select dp_sum(x, 0, 1e999, 1) from t;
select dp_mean(x, 0, 100, 1e-9) from t;
select dp_mean(x, 0, g + 1, 1) from t;
-- Values that are no numbers are left out, never an error (an error would tell the row).
select 'text_x', typeof(dp_sum(x, 0, 1, 1)) from (select 'abc' as x);
select 'blob_x', typeof(dp_sum(x, 0, 1, 1)) from (select x'00' as x);
select dp_sum(x, 0, 1e-300, 1) from t;
select dp_quantile(x, 0, 1, 2, 1) from t;
select 1 from t group by g having dp_keep_group(g, 1, 1);
select anonkit_budget_set(0);
select anonkit_budget_set('x');
select 'still', anonkit_budget();
create view v as select dp_count(x, 1) c from t;
select * from v;
