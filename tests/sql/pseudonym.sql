-- Keys, pseudonym(), fpe_encrypt(), fpe_decrypt(). The key below is a fixed test key, made here
-- with mode 0600; real keys come from scripts/anonkit-keygen.
.mode list
.headers off
select 'no_key_id', quote(anonkit_key_id());
select pseudonym('x');
select fpe_encrypt('4111111111111111');
.system printf 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > test.key
.system chmod 600 test.key
select 'key_id', anonkit_key_load('test.key'), anonkit_key_id();
select 'token', pseudonym('254712345678'), pseudonym(254712345678) = pseudonym('254712345678');
select 'by_value', pseudonym(42) = pseudonym(42.0), pseudonym(42) = pseudonym('42'), pseudonym(42) != pseudonym(43);
select 'typed', pseudonym('jane.doe@example.com', 'email'), pseudonym('Wanjiru Kamau', 'name');
select 'email_case', pseudonym('JANE.DOE@example.com', 'email') = pseudonym('jane.doe@example.com', 'email');
select 'phone', pseudonym('+254 712 345 678', 'phone'), pseudonym('0712-345-678', 'phone');
select 'int', pseudonym(254712345678, 'int'), typeof(pseudonym(7, 'int')), pseudonym(-42, 'int');
select 'null', quote(pseudonym(NULL)), quote(pseudonym(NULL, 'email')), quote(fpe_encrypt(NULL));
select 'types_differ', pseudonym('x') != pseudonym('x', 'name');
select 'fpe_card', fpe_encrypt('4111-1111-1111-1111'), fpe_decrypt(fpe_encrypt('4111-1111-1111-1111'));
select 'fpe_alnum', fpe_encrypt('A012345678Z', 'alnum'), fpe_decrypt(fpe_encrypt('A012345678Z', 'alnum'), 'alnum');
select 'fpe_mixed_case', fpe_encrypt('AbC123456', 'alnum'), fpe_decrypt(fpe_encrypt('AbC123456', 'alnum'), 'alnum');
select 'fpe_custom', fpe_encrypt('ACGTACGTACGT', 'ACGT'), fpe_decrypt(fpe_encrypt('ACGTACGTACGT', 'ACGT'), 'ACGT');
select 'fpe_int', fpe_encrypt(4111111111111111), typeof(fpe_encrypt(4111111111111111));
select 'fpe_roundtrip', count(*), sum(fpe_decrypt(fpe_encrypt(v)) = v), sum(fpe_encrypt(v) != v),
       sum(length(fpe_encrypt(v)) = length(v))
  from (select printf('%010d', value * 7919) v from generate_series(1, 500));
create table members(id integer primary key, phone text);
insert into members(phone) values ('0712345678'), ('0712345678'), ('0722000111');
select 'joins_survive', count(distinct pseudonym(phone)) from members;
-- A different key gives different outputs; the old ciphertext no longer decrypts to the card.
create temp table c as select fpe_encrypt('4111111111111111') ct, pseudonym('4111111111111111') p;
select 'before', ct from c;
.system printf 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100 > other.key
.system chmod 600 other.key
select 'other_key', anonkit_key_load('other.key');
select 'after', fpe_encrypt('4111111111111111') != ct, fpe_decrypt(ct) != '4111111111111111',
       length(fpe_decrypt(ct)), pseudonym('4111111111111111') != p from c;
-- Errors.
select pseudonym('x', 'ssn');
select pseudonym('abc', 'int');
select pseudonym(x'00');
select pseudonym('n/a', 'phone');
select pseudonym();
select fpe_encrypt('12345');
select fpe_encrypt('123456', 'aa');
select fpe_encrypt('123456', 'x');
select fpe_encrypt(x'01');
.system printf 0011 > short.key
.system chmod 600 short.key
select anonkit_key_load('short.key');
.system printf 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f > open.key
.system chmod 644 open.key
select anonkit_key_load('open.key');
select anonkit_key_load('missing.key');
select 'kept', anonkit_key_id();
create view v as select pseudonym('x') p;
select * from v;
