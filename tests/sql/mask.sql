-- mask(), mask_partial(), mask_tokens(), unmask() through the real sqlite3 shell.
.mode list
.headers off
select 'redact', mask('call 0712 345 678 or mail jane@example.com');
select 'no_pii', mask('nothing personal in this line');
select 'null', quote(mask(NULL)), quote(mask(NULL, 'email')), quote(mask_partial(NULL, 1, 1));
select 'integer', mask(254712345678), typeof(mask(254712345678));
select 'real', mask(3.5);
select 'token', mask('a@x.com b@x.com a@x.com 0712345678', '{"style":"token"}');
select 'partial', mask('card 4111 1111 1111 1111, +254 712 345 678', '{"style":"partial"}');
select 'types', mask('a@x.com 0712345678', '{"types":["PHONE"]}');
select 'min_conf', mask('London 020 7946 0958, a@x.com', '{"min_confidence":0.8}');
select 'email', mask('jane.doe@example.com', 'email');
select 'phone', mask('+254 712 345 678', 'phone');
select 'card', mask('4111-1111-1111-1234', 'card');
select 'iban', mask('GB82 WEST 1234 5698 7654 32', 'iban');
select 'ssn', mask('123-45-6789', 'ssn');
select 'name', mask('Wanjiru Akinyi Kamau', 'name');
select 'ip4', mask('192.168.1.77', 'ip');
select 'ip6', mask('2001:db8:85a3::8a2e:370:7334', 'ip');
select 'not_email', mask('no at sign', 'EMAIL');
select 'partial1', mask_partial('0712345678', 2, 2);
select 'partial2', mask_partial('Müller', 1, 1, '•');
select 'partial3', mask_partial('ab', 5, 5);
select 'tokens', mask_tokens('mail a@x.com, call 0712 345 678, again a@x.com');
select 'tokens_json', json_extract(mask_tokens('mail a@x.com'), '$.items."[EMAIL_1]"');
select 'roundtrip', unmask(json_extract(m, '$.text'), json_extract(m, '$.items')) = t
  from (select t, mask_tokens(t) m from (select 'Jane <jane@example.com> +44 20 7946 0958' t));
select 'unmask', unmask('[EMAIL_10] [EMAIL_1]', '{"[EMAIL_1]":"a@b.co"}');
select 'unmask_whole_doc', unmask('hi [EMAIL_1]', '{"text":"x","items":{"[EMAIL_1]":"a@b.co"}}');
select 'deterministic', mask('a@x.com') = mask('a@x.com');
select 'real_phone', mask(254712345678.0), mask(12.0), mask(0712345678.5);
-- mask() follows the recognizers anonkit_reload() loads: not DETERMINISTIC, so a view (not a
-- generated column or an index) is how a table shows masked values.
create table t(notes text);
insert into t(notes) values ('mail jane@example.com'), (NULL);
create view t_masked as select mask(notes) as masked from t;
select 'view', quote(masked) from t_masked;
create table g(notes text, masked text as (mask(notes)));
create index t_mask on t(mask(notes));
-- Errors: each says what was expected.
select mask(x'6a616e65406578616d706c652e636f6d');
select mask('a', 'blur');
select mask('a', '{"style":"blur"}');
select mask('a', '{"types":["NOPE"]}');
select mask('a', '{"type":["EMAIL"]}');
select mask('a', '{"style":"token","style":"redact"}');
select unmask('see [here]', '{"[here]":"x"}');
select mask('a', '{');
select mask('a', NULL);
select mask('a', 1);
select mask();
select mask('a', 'email', 'x');
select mask_partial('abc', -1, 0);
select mask_partial('abc', '1', 0);
select mask_partial('abc', 1, 1, 'xy');
select mask_partial('abc', 1);
select mask('a', '{"style":"pseudonym"}');
select unmask('x', '[1]');
select unmask('x', NULL);
select mask('a', '{"min_confidence":1e99999}');
select mask_tokens(cast(x'63616c6c2030373132333435363738ff' as text));
select 'bytes_kept', hex(mask(cast(x'63616c6c2030373132333435363738ff' as text)));
select 'still_working', mask('after errors: a@x.com');
