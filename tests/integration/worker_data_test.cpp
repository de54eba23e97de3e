// The worker's own tables hold no personal data (DESIGN item 8): a finished request keeps the keyed
// hash of its key, access exports from the queue go to 0600 files in --export-dir, requests.error
// and the CLI's messages never quote a key or a row value, PostgreSQL's messages are scrubbed of
// values; access, erase and requests need a key file; --json is accepted after the command.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "pg_fixture.hpp"
#include "requests.hpp"
#include "subjects.hpp"

namespace anonkit::pg::testing {
namespace {

constexpr const char* kClub = R"sql(
CREATE TABLE members (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
CREATE TABLE bookings (id int PRIMARY KEY, member_id int NOT NULL REFERENCES members,
                       room text NOT NULL, note text, booked_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON bookings (member_id);
INSERT INTO members VALUES (1, 'ada@example.org', 'Ada Lovelace'),
                           (2, 'alan@example.org', 'Alan Turing'),
                           (3, 'grace@example.org', 'Grace Hopper');
INSERT INTO bookings (id, member_id, room, note) VALUES
  (10, 1, 'Blue', 'window seat please'), (11, 1, 'Red', NULL),
  (20, 2, 'Blue', 'near the door'), (30, 3, 'Green', NULL);
INSERT INTO anonkit.subjects VALUES ('member', 'public.members', 'id');
)sql";

// Every text the data holds that is personal: none may show in the worker's own tables.
const std::vector<std::string> kPersonal = {"ada@example.org", "Ada Lovelace", "alan@example.org",
                                            "Alan Turing",     "window seat",  "near the door"};

const std::string kNoKeyMessage =
    "anonkit: access and erase need a key file for keyed receipts: create one with `make key` "
    "and pass --key-file or set ANONKIT_KEY_FILE\n";

class WorkerData : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    script(kClub);
    key = key_file();
    char name[] = "/tmp/ak-exports-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    export_dir = name;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(export_dir, ec);
    PgTest::TearDown();
  }

  void script(const std::string& statements) {
    db::Transaction tx(*conn);
    tx.exec_script(statements);
    tx.commit();
  }
  std::string hash(const std::string& canonical) {
    return hash_subject_key("member", canonical, *pseudo::Keyring::from_file(key));
  }
  // Everything the requests table holds, as one text.
  std::string requests_text() {
    return scalar(
        "SELECT coalesce(string_agg(r::text, E'\\n' ORDER BY id), '') FROM "
        "anonkit.requests r");
  }
  std::string id_of(const std::string& kind, const std::string& key_hash) {
    return scalar("SELECT id::text FROM anonkit.requests WHERE kind = $1 AND subject_key_hash = $2",
                  {kind, key_hash});
  }

  std::string key, export_dir;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ScrubServerMessage, KeepsTheFirstLineAndIdentifiersAndCutsValues) {
  using db::scrub_server_message;
  EXPECT_EQ(scrub_server_message("ERROR:  invalid input syntax for type integer: \"forty-two\"\n"
                                 "LINE 1: SELECT CAST($1 AS integer)\n"),
            "invalid input syntax for type integer");
  EXPECT_EQ(scrub_server_message("ERROR:  duplicate key value violates unique constraint "
                                 "\"members_email_key\"\nDETAIL:  Key (email)=(ada@example.org) "
                                 "already exists.\n"),
            "duplicate key value violates unique constraint \"members_email_key\"");
  EXPECT_EQ(scrub_server_message("value too long for type character varying(3)"),
            "value too long for type character varying(3)");
  EXPECT_EQ(scrub_server_message("conflict: Key (email)=(ada@example.org) already exists"),
            "conflict");
  EXPECT_EQ(scrub_server_message("new row for relation \"members\" violates check constraint "
                                 "\"members_name_check\" Failing row contains (1, ada, Ada)."),
            "new row for relation \"members\" violates check constraint \"members_name_check\"");
  EXPECT_EQ(scrub_server_message("date/time field value out of range: \"2024-13-45\""),
            "date/time field value out of range");
  EXPECT_EQ(scrub_server_message("invalid input value for enum mood: \"grumpy\""),
            "invalid input value for enum mood");
  EXPECT_EQ(scrub_server_message("value \"99999999999\" is out of range for type integer"),
            "value is out of range for type integer");
  EXPECT_EQ(scrub_server_message("\"1e999\" is out of range for type double precision"),
            "value is out of range for type double precision");
  EXPECT_EQ(scrub_server_message("time zone \"Mars/Olympus\" not recognized"),
            "time zone not recognized");
  // A value holding quotes itself: cut to the line's last quote.
  EXPECT_EQ(scrub_server_message("invalid input syntax for type uuid: \"a\" b\" c\""),
            "invalid input syntax for type uuid");
  EXPECT_EQ(scrub_server_message("value \"a\" b\" is out of range for type integer"),
            "value is out of range for type integer");
  EXPECT_EQ(scrub_server_message("invalid value for parameter \"TimeZone\": \"Mars\""),
            "invalid value for parameter \"TimeZone\"");
  EXPECT_EQ(scrub_server_message("invalid byte sequence for encoding \"UTF8\": 0xc3 0x28"),
            "invalid byte sequence for encoding \"UTF8\"");
  EXPECT_EQ(scrub_server_message("null value in column \"email\" of relation \"members\" violates "
                                 "not-null constraint\nDETAIL:  Failing row contains (4, null)."),
            "null value in column \"email\" of relation \"members\" violates not-null constraint");
  EXPECT_EQ(scrub_server_message("relation \"nosuch\" does not exist"),
            "relation \"nosuch\" does not exist");
  EXPECT_EQ(scrub_server_message("syntax error at or near \"SELEC\""),
            "syntax error at or near \"SELEC\"");
  EXPECT_EQ(scrub_server_message("malformed array literal: \"{ada\""), "malformed array literal");
}

TEST(RedactKey, ReplacesTheKeyAsAWholeWordOnly) {
  EXPECT_EQ(redact_key("no member 'forty-two' here", "forty-two"), "no member '<key>' here");
  EXPECT_EQ(redact_key("a@b.example and a@b.example", "a@b.example"), "<key> and <key>");
  EXPECT_EQ(redact_key("request 1999 failed", "999"), "request 1999 failed");
  EXPECT_EQ(redact_key("key 999: none", "999"), "key <key>: none");
  EXPECT_EQ(redact_key("link 1 is broken", "1"), "link 1 is broken");  // too short to matter
}

TEST(ExportPath, NamesNoKeyAndStaysInTheDirectory) {
  EXPECT_EQ(export_path("/srv/exports/", "12", "customer"), "/srv/exports/12-customer.json");
  EXPECT_EQ(export_path("/srv/exports", "12", "../../etc/cron.d/x"),
            "/srv/exports/12-______etc_cron_d_x.json");
}

TEST_F(WorkerData, ServerErrorsCarryNoRowValueButTheirSqlstate) {
  const auto failing = [&](const std::string& statement) -> db::SqlError {
    try {
      (void)sql(statement);
    } catch (const db::SqlError& e) {
      return e;
    }
    ADD_FAILURE() << "no error from " << statement;
    return db::SqlError("", "");
  };
  script(
      "CREATE TYPE mood AS ENUM ('calm'); CREATE TABLE t (code varchar(3), m mood, "
      "d date, n int CHECK (n > 0))");
  auto e = failing("INSERT INTO members VALUES (4, 'ada@example.org', 'Ada Again')");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: duplicate key value violates unique constraint "
            "\"members_email_key\" (SQLSTATE 23505)");
  EXPECT_EQ(e.sqlstate(), "23505");
  e = failing("INSERT INTO t (n) VALUES (CAST('forty-two' AS int))");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: invalid input syntax for type integer (SQLSTATE 22P02)");
  e = failing("INSERT INTO t (n) VALUES (-7)");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: new row for relation \"t\" violates check constraint "
            "\"t_n_check\" (SQLSTATE 23514)");
  e = failing("INSERT INTO t (code) VALUES ('Lovelace')");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: value too long for type character varying(3) (SQLSTATE 22001)");
  e = failing("INSERT INTO t (m) VALUES ('grumpy')");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: invalid input value for enum mood (SQLSTATE 22P02)");
  e = failing("INSERT INTO t (d) VALUES ('1815-12-45')");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: date/time field value out of range (SQLSTATE 22008)");
  e = failing("INSERT INTO t (n) VALUES (99999999999)");
  EXPECT_EQ(std::string(e.what()), "anonkit: PostgreSQL: integer out of range (SQLSTATE 22003)");
  e = failing("INSERT INTO t (n) VALUES (CAST('99999999999' AS int))");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: value is out of range for type integer (SQLSTATE 22003)");
  e = failing("INSERT INTO bookings (id, member_id, room) VALUES (99, 42, 'Blue')");
  EXPECT_EQ(std::string(e.what()),
            "anonkit: PostgreSQL: insert or update on table \"bookings\" violates foreign key "
            "constraint \"bookings_member_id_fkey\" (SQLSTATE 23503)");
}

TEST_F(WorkerData, FinishedRequestsKeepOnlyKeyedHashesAndExportsGoToPrivateFiles) {
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key) VALUES "
      "('access', 'member', '01'), ('erase', 'member', '2'), "
      "('erase', 'member', 'forty-two'), ('erase', 'member', '999'), "
      "('access', 'member', '999')");
  const auto r = worker({"--key-file", key, "requests", "run", "--export-dir", export_dir});
  EXPECT_EQ(r.exit_code, 3) << r.err;  // three requests failed
  EXPECT_EQ(r.out, "requests: 2 done, 3 failed\n");
  for (const auto& p : kPersonal) EXPECT_EQ(r.err.find(p), std::string::npos) << r.err;

  // No key text left: only keyed hashes, canonical when the key is a valid one.
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE subject_key IS NOT NULL"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE subject_key_hash ~ "
                  "'^hmac-sha256:[0-9a-f]{64}$' AND status IN ('done', 'failed') AND "
                  "finished_at IS NOT NULL"),
            5);
  const std::string access_id = id_of("access", hash("1"));  // '01' is member 1
  const std::string erase_id = id_of("erase", hash("2"));
  EXPECT_EQ(scalar("SELECT status FROM anonkit.requests WHERE id = $1::bigint", {access_id}),
            "done");
  EXPECT_EQ(scalar("SELECT status FROM anonkit.requests WHERE id = $1::bigint", {erase_id}),
            "done");
  // Keys that are no member: hashed as written (forty-two cannot be cast).
  const std::string malformed_id = id_of("erase", hash("forty-two"));
  const std::string unknown_id = id_of("erase", hash("999"));
  const std::string unknown_access_id = id_of("access", hash("999"));

  // Nothing personal anywhere in the table, and no failed request quotes its key.
  const std::string all = requests_text();
  for (const auto& p : kPersonal) EXPECT_EQ(all.find(p), std::string::npos) << all;
  EXPECT_EQ(all.find("forty-two"), std::string::npos) << all;
  for (const auto& id : {malformed_id, unknown_id, unknown_access_id}) {
    const auto row =
        sql("SELECT status, error, result::text FROM anonkit.requests WHERE id = "
            "$1::bigint",
            {id});
    EXPECT_EQ(*row.rows[0][0], "failed");
    ASSERT_TRUE(row.rows[0][1].has_value());
    const std::string error = *row.rows[0][1];
    EXPECT_EQ(error.rfind("anonkit: ", 0), 0u) << error;
    EXPECT_EQ(error.find("999"), std::string::npos) << error;
    EXPECT_EQ(error.find("forty"), std::string::npos) << error;
    EXPECT_FALSE(row.rows[0][2].has_value());
  }
  EXPECT_EQ(std::filesystem::exists(export_path(export_dir, unknown_access_id, "member")), false);

  // The access request's result says where the export is and how many rows: no row in it.
  const std::string path = export_dir + "/" + access_id + "-member.json";
  const auto result = nlohmann::json::parse(
      scalar("SELECT result::text FROM anonkit.requests WHERE id = $1::bigint", {access_id}));
  EXPECT_EQ(result["export"], path);
  EXPECT_EQ(result["tables"]["public.members"]["owned"], 1) << result.dump();
  EXPECT_EQ(result["tables"]["public.bookings"]["owned"], 2) << result.dump();
  EXPECT_EQ(result.size(), 2u) << result.dump();

  // The export: a regular file, mode 0600, the member's rows.
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto doc = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(doc["subject"], "member");
  ASSERT_EQ(doc["tables"]["public.members"].size(), 1u);
  EXPECT_EQ(doc["tables"]["public.members"][0]["email"], "ada@example.org");
  ASSERT_EQ(doc["tables"]["public.bookings"].size(), 2u);
  EXPECT_EQ(doc["tables"]["public.bookings"][0]["id"], 10);
  EXPECT_EQ(doc["tables"]["public.bookings"][0]["note"], "window seat please");
  EXPECT_EQ(doc["tables"]["public.bookings"][1]["id"], 11);
  // Nothing else in the directory: no partial file, no file for the failed access request.
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(export_dir))
    files.push_back(f.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{access_id + "-member.json"});

  // Queue-driven access writes its audit row: the request's id, the same hash, the counts.
  const auto audit =
      sql("SELECT subject_key_hash, counts::text FROM anonkit.audit WHERE kind = 'access' AND "
          "request_id = $1::bigint",
          {access_id});
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(*audit.rows[0][0], hash("1"));
  EXPECT_EQ(nlohmann::json::parse(*audit.rows[0][1]), result["tables"]);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'access'"), 1);

  // The erase request keeps its receipt (no personal data in it) and the subject is gone.
  const auto receipt = nlohmann::json::parse(
      scalar("SELECT result::text FROM anonkit.requests WHERE id = $1::bigint", {erase_id}));
  EXPECT_EQ(receipt["key_hash"], hash("2"));
  EXPECT_EQ(receipt["tables"]["public.bookings"]["deleted"], 1) << receipt.dump();
  EXPECT_EQ(count("SELECT count(*) FROM members WHERE id = 2"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'erase' AND request_id = "
                  "$1::bigint AND subject_key_hash = $2",
                  {erase_id, hash("2")}),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM members"), 2);
}

TEST_F(WorkerData, AStaleExportIsReplacedWhenARequestIsRunAgain) {
  (void)sql(
      "INSERT INTO anonkit.requests (id, kind, subject, subject_key) VALUES "
      "(7, 'access', 'member', '3')");
  // What a worker killed mid-write (or before its commit) leaves behind.
  const std::string path = export_dir + "/7-member.json";
  {
    std::ofstream(path) << "stale";
    std::ofstream(path + ".partial") << "half";
  }
  const auto r = worker({"requests", "run", "--export-dir", export_dir, "--key-file", key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(nlohmann::json::parse(read_file(path))["tables"]["public.members"][0]["name"],
            "Grace Hopper");
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST_F(WorkerData, WithoutAnExportDirAccessRequestsFailAndErasesStillRun) {
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key) VALUES "
      "('access', 'member', '1'), ('erase', 'member', '3')");
  const auto r = worker({"requests", "run", "--json"}, {"ANONKIT_KEY_FILE=" + key});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), (nlohmann::json{{"done", 1}, {"failed", 1}}));
  const auto access =
      sql("SELECT id::text, status, error FROM anonkit.requests WHERE kind = "
          "'access'");
  EXPECT_EQ(*access.rows[0][1], "failed");
  EXPECT_EQ(*access.rows[0][2],
            fmt::format("anonkit: access request {} needs --export-dir: exports are written to "
                        "files (mode 0600), never kept in the database",
                        *access.rows[0][0]));
  EXPECT_EQ(scalar("SELECT status FROM anonkit.requests WHERE kind = 'erase'"), "done");
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE subject_key IS NULL AND "
                  "subject_key_hash IS NOT NULL"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'access'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM members WHERE id = 3"), 0);
}

TEST_F(WorkerData, AccessEraseAndRequestsNeedAKeyFile) {
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key) VALUES "
      "('erase', 'member', '1')");
  const std::vector<std::string> no_key = {"ANONKIT_KEY_FILE="};
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"access", "--subject", "member", "--key", "1"},
           {"erase", "--subject", "member", "--key", "1"},
           {"erase", "--subject", "member", "--key", "1", "--dry-run"},
           {"erase", "--subject", "member", "--replay"},
           {"requests", "run", "--export-dir", export_dir}}) {
    const auto r = worker(args, no_key);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.err, kNoKeyMessage) << args[0];
    EXPECT_EQ(r.out, "") << args[0];
  }
  EXPECT_EQ(scalar("SELECT status || ' ' || subject_key FROM anonkit.requests"), "pending 1");
  EXPECT_EQ(count("SELECT count(*) FROM members"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit"), 0);
  // plan needs no key.
  EXPECT_EQ(worker({"plan", "--subject", "member"}, no_key).exit_code, 0);
}

// The daemon, its stderr kept, stopped with SIGTERM after `ms`.
Outcome run_daemon(const std::vector<std::string>& args, int ms) {
  char err_name[] = "/tmp/ak-daemon-err-XXXXXX";
  const int err = mkstemp(err_name);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(err, 2);
    unsetenv("ANONKIT_KEY_FILE");
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.err = read_file(err_name);
  close(err);
  unlink(err_name);
  return o;
}

TEST_F(WorkerData, TheDaemonWithoutAKeyRunsRetentionAndSkipsRequests) {
  (void)sql("UPDATE bookings SET booked_at = now() - interval '3 years' WHERE id = 30");
  (void)sql(
      "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep) VALUES "
      "('old-bookings', 'bookings', 'booked_at', interval '1 year')");
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key) VALUES "
      "('erase', 'member', '1')");
  const auto r = run_daemon({std::getenv("ANONKIT_WORKER"), "--dsn", dsn, "daemon", "--interval",
                             "300ms", "--export-dir", export_dir},
                            1500);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM bookings WHERE id = 30"), 0) << r.err;
  EXPECT_EQ(scalar("SELECT status || ' ' || subject_key FROM anonkit.requests"), "pending 1");
  const std::string warning = "daemon: requests skipped: " + kNoKeyMessage;
  // One warning per loop: at least two loops in 1.5 s, nothing else said.
  std::size_t loops = 0;
  for (auto at = r.err.find(warning); at != std::string::npos; at = r.err.find(warning, at + 1))
    ++loops;
  EXPECT_GE(loops, 2u) << r.err;
  std::string rest = r.err;
  for (auto at = rest.find(warning); at != std::string::npos; at = rest.find(warning))
    rest.erase(at, warning.size());
  EXPECT_EQ(rest, "") << r.err;
}

TEST_F(WorkerData, TheDaemonWithAKeyWritesExportsToItsExportDir) {
  (void)sql(
      "INSERT INTO anonkit.requests (id, kind, subject, subject_key) VALUES "
      "(5, 'access', 'member', '2')");
  const auto r = run_daemon({std::getenv("ANONKIT_WORKER"), "--dsn", dsn, "--key-file", key,
                             "daemon", "--interval", "10s", "--export-dir", export_dir},
                            1500);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT status FROM anonkit.requests"), "done") << r.err;
  EXPECT_EQ(r.err, "daemon: requests: 1 done, 0 failed\n");
  const std::string path = export_dir + "/5-member.json";
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(nlohmann::json::parse(read_file(path))["tables"]["public.members"][0]["name"],
            "Alan Turing");
}

TEST_F(WorkerData, JsonIsAcceptedAfterTheCommand) {
  const auto parses = [&](const std::vector<std::string>& args) {
    const auto r = worker(args);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << args[0] << ": " << r.err;
    try {
      return nlohmann::json::parse(r.out);
    } catch (const std::exception&) {
      ADD_FAILURE() << args[0] << " did not print JSON: " << r.out << r.err;
      return nlohmann::json();
    }
  };
  const auto plan = parses({"plan", "--subject", "member", "--json"});
  EXPECT_EQ(plan, parses({"--json", "plan", "--subject", "member"}));
  EXPECT_TRUE(plan.is_object());
  EXPECT_TRUE(parses({"status", "--json"}).is_object());
  EXPECT_TRUE(parses({"doctor", "--json"}).is_object() || parses({"doctor", "--json"}).is_array());
  const auto install = parses({"install", "--json"});
  EXPECT_EQ(install["from_version"], install["to_version"]);
  EXPECT_TRUE(parses({"retention", "run", "--dry-run", "--json"}).contains("rules"));
  EXPECT_TRUE(parses({"requests", "run", "--json", "--key-file", key}).contains("done"));
  const auto access =
      parses({"access", "--subject", "member", "--key", "3", "--json", "--key-file", key});
  EXPECT_EQ(access["tables"]["public.members"][0]["name"], "Grace Hopper");
  const auto receipt = parses(
      {"erase", "--subject", "member", "--key", "3", "--dry-run", "--json", "--key-file", key});
  EXPECT_EQ(receipt["dry_run"], true);
  const auto replay =
      parses({"erase", "--subject", "member", "--replay", "--json", "--key-file", key});
  EXPECT_EQ(replay, (nlohmann::json{{"subject", "member"}, {"erased_again", 0}}));
}

TEST_F(WorkerData, TheCliNeverPrintsTheKey) {
  script(
      "ALTER TABLE members ADD COLUMN handle text UNIQUE NOT NULL DEFAULT 'x' || "
      "md5(random()::text); UPDATE members SET handle = 'countess-of-lovelace' WHERE id = 1;"
      "INSERT INTO anonkit.subjects VALUES ('handle', 'public.members', 'handle');"
      "DELETE FROM anonkit.subjects WHERE name = 'member'");
  const std::vector<std::string> erase = {
      "--key-file", key, "erase", "--subject", "handle", "--key", "countess-of-lovelace"};
  auto r = worker(erase);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("countess"), std::string::npos) << r.out;
  r = worker(erase);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "anonkit: that handle was already erased: nothing left to do\n");
  EXPECT_EQ(r.out.find("countess"), std::string::npos) << r.out;
  r = worker({"--key-file", key, "access", "--subject", "handle", "--key", "nobody-of-note"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err.find("nobody"), std::string::npos) << r.err;
  const std::string audit = scalar("SELECT string_agg(a::text, E'\\n') FROM anonkit.audit a");
  EXPECT_EQ(audit.find("countess"), std::string::npos) << audit;
}

TEST_F(WorkerData, AccessOutReplacesASymlinkInsteadOfWritingThroughIt) {
  const std::string victim = export_dir + "/victim", out = export_dir + "/out.json";
  std::ofstream(victim) << "untouched";
  ASSERT_EQ(symlink(victim.c_str(), out.c_str()), 0);
  ASSERT_EQ(symlink(victim.c_str(), (out + ".partial").c_str()), 0);
  const auto r =
      worker({"--key-file", key, "access", "--subject", "member", "--key", "1", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(victim), "untouched");
  struct stat st {};
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(nlohmann::json::parse(read_file(out))["tables"]["public.bookings"].size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'access' AND request_id IS "
                  "NULL AND subject_key_hash = $1",
                  {hash("1")}),
            1);
  // A path that cannot take the export fails before anything is read or audited.
  const auto bad = worker({"--key-file", key, "access", "--subject", "member", "--key", "1",
                           "--out", export_dir + "/no/such/dir.json"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_EQ(bad.err.rfind("anonkit: could not write the export to ", 0), 0u) << bad.err;
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit"), 1);
}

}  // namespace
}  // namespace anonkit::pg::testing
