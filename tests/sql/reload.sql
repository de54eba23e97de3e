-- User recognizers: anonkit_patterns and anonkit_keywords, read at load and by anonkit_reload().
.mode list
.headers off
select 'before', mask('Member MBR-004211 seen by Chiumbo at Aga Khan Hospital');
create table anonkit_patterns(type text, pattern text);
create table anonkit_keywords(type text, keyword text);
insert into anonkit_patterns values ('MEMBER_NO', '\bMBR-\d{6}\b');
insert into anonkit_keywords values ('PERSON', 'Chiumbo'), ('FACILITY', 'Aga Khan Hospital'), ('PERSON', 'Ann');
select 'reload', anonkit_reload();
select 'after', mask('Member MBR-004211 seen by Chiumbo at Aga Khan Hospital');
select 'words', mask('Ann wrote the Annual report; ANN signed');
select 'types', type, source from pii_types() where source != 'builtin';
select 'token', mask('Chiumbo and chiumbo and Ann', '{"style":"token","types":["PERSON"]}');
-- A broken row is a clear error, and the previous recognizers stay in force.
insert into anonkit_patterns values ('BROKEN', '(unclosed');
select 'bad_reload', anonkit_reload();
select 'kept', mask('MBR-004211 and Chiumbo');
delete from anonkit_patterns where type = 'BROKEN';
insert into anonkit_patterns values ('lower', 'x+');
select anonkit_reload();
delete from anonkit_patterns where type = 'lower';
insert into anonkit_patterns values ('EMPTY', 'a*');
select anonkit_reload();
delete from anonkit_patterns where type = 'EMPTY';
insert into anonkit_keywords values ('PERSON', NULL);
select anonkit_reload();
delete from anonkit_keywords where keyword is null;
insert into anonkit_keywords values ('PERSON', '   ');
select anonkit_reload();
delete from anonkit_keywords where trim(keyword) = '';
-- anonkit_reload is DIRECTONLY: not callable from a view or trigger.
create view v as select anonkit_reload() r;
select * from v;
select 'reload_ok', anonkit_reload();
drop table anonkit_patterns;
drop table anonkit_keywords;
select 'dropped', anonkit_reload(), mask('MBR-004211 and Chiumbo');
