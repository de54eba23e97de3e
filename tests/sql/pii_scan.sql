-- pii_scan() and pii_types(): positions are 1-based characters, as substr() counts them.
.mode list
.headers on
select * from pii_scan('call 0712 345 678 or mail jane@example.com');
select type, start, length, match from pii_scan('Müller — 😀 jane@example.com, ☎ +254 712 345 678');
.headers off
select 'substr_agrees', count(*), sum(substr(t, start, length) = match)
  from (select 'Ünïcödé ✓ a@x.com — 4111 1111 1111 1111 ✓ 0712345678' t), pii_scan(t);
select 'no_pii', count(*) from pii_scan('nothing here');
select 'null', count(*) from pii_scan(NULL);
select 'options', type from pii_scan('a@x.com 0712345678', '{"types":["PHONE"]}');
create table notes(id integer primary key, body text);
insert into notes(body) values ('mail a@x.com'), ('no pii'), (NULL), ('KRA PIN A012345678Z, ID no. 23456789');
select 'join', n.id, s.type, s.match from notes n, pii_scan(n.body) s order by n.id, s.start;
select 'left_join', n.id, count(s.type) from notes n left join pii_scan(n.body) s group by n.id;
.headers on
select type, source from pii_types();
.headers off
select 'invalid_utf8', type, start, length from pii_scan(cast(x'ff20613140782e636f6d' as text));
select * from pii_scan();
select * from pii_scan(x'00');
select * from pii_scan('a', '{"style":');
select 'still_working', count(*) from pii_scan('a@x.com');
