// Verification after a run: `retention run --verify` and `erase` re-scan the masked columns of the
// rows they wrote. A sound mask verifies clean; a mask that lets PII through (a typed `email` mask
// over notes that also hold phone numbers keeps everything after the '@') is reported by table,
// column and type, as counts; no planted value reaches the output or the worker's tables.
#include <nlohmann/json.hpp>

#include "pg_fixture.hpp"

namespace anonkit::pg::testing {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE visit (visit_id int PRIMARY KEY, seen_at timestamptz NOT NULL, email text,
                    notes text);
CREATE TABLE customer (customer_id int PRIMARY KEY, email text NOT NULL, name text NOT NULL);
CREATE TABLE ticket (ticket_id int PRIMARY KEY, customer_id int REFERENCES customer,
                     notes text);
CREATE INDEX ON ticket (customer_id);
INSERT INTO visit
  SELECT i, '2020-01-01'::timestamptz + i * interval '1 hour', 'wanjiru' || i || '@example.com',
         CASE WHEN i % 2 = 0 THEN 'reach otieno' || i || '@example.org, call +254 712 345 6' || i
              || i ELSE 'reach otieno' || i || '@example.org' END
  FROM generate_series(1, 6) i;
INSERT INTO customer VALUES (1, 'alice.achieng@example.com', 'Alice Achieng'),
                            (2, 'brian.kiprotich@example.com', 'Brian Kiprotich');
INSERT INTO ticket VALUES (10, 1, 'escalated to kamau.mwangi@example.net, call +254 733 111 222'),
                          (11, 1, 'refund via agent at +254 722 987 654'),
                          (20, 2, 'nothing to note');
INSERT INTO anonkit.subjects VALUES ('customer', 'public.customer', 'customer_id');
)sql";

// Planted values whose digits or local parts must not appear anywhere but the table itself.
const std::vector<std::string> kPlanted = {"712 345 622", "712 345 644", "712 345 666",
                                           "otieno2",     "wanjiru3",    "733 111 222",
                                           "722 987 654", "kamau.mwangi"};

class Verify : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    db::Transaction tx(*conn);
    tx.exec_script(kSchema);
    tx.commit();
  }
  void rule(const std::string& name, const std::string& mask) {
    (void)sql(
        "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep, action, mask) "
        "VALUES ($1, 'public.visit', 'seen_at', '30 days', 'anonymize', CAST($2 AS jsonb))",
        {name, mask});
  }
  // Every row of every table in schema anonkit, as text.
  std::string worker_tables() {
    std::string all;
    for (const auto& t : sql("SELECT quote_ident(relname) FROM pg_class WHERE relnamespace = "
                             "'anonkit'::regnamespace AND relkind = 'r'")
                             .rows)
      all += scalar(fmt_all(*t[0]));
    return all;
  }
  static std::string fmt_all(const std::string& table) {
    return "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM anonkit." + table + " t";
  }
  static std::vector<std::string> planted_in(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& p : kPlanted)
      if (text.find(p) != std::string::npos) out.push_back(p);
    return out;
  }
};

TEST_F(Verify, ASoundMaskVerifiesClean) {
  rule("visits", R"({"email": "email", "notes": "text"})");
  const auto r = worker({"retention", "run", "--verify", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto& o = doc["rules"][0];
  EXPECT_EQ(o["status"], "done");
  EXPECT_EQ(o["rows"], 6);
  const auto& v = o["verification"];
  EXPECT_TRUE(v["clean"].get<bool>());
  ASSERT_EQ(v["columns"].size(), 2U);
  for (const auto& c : v["columns"]) {
    EXPECT_EQ(c["table"], "public.visit");
    EXPECT_EQ(c["rows"], 6);
    EXPECT_TRUE(c["found"].empty()) << c.dump();
  }
  EXPECT_EQ(scalar("SELECT status FROM anonkit.runs"), "done");
  EXPECT_EQ(scalar("SELECT verification->>'clean' FROM anonkit.runs"), "true");
  // Text output says so too.
  (void)sql("DELETE FROM anonkit.retention_cursors");
  const auto again = worker({"retention", "run", "--verify"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST_F(Verify, ALeakyMaskIsReportedByTableColumnAndType) {
  // `email` over notes: "r***@example.org, call +254 712 345 622": the phone goes through.
  rule("visits", R"({"email": "email", "notes": "email"})");
  const auto r = worker({"retention", "run", "--verify", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto& o = doc["rules"][0];
  EXPECT_EQ(o["status"], "verify_failed");
  EXPECT_EQ(o["rows"], 6);  // the writes stay committed
  const auto& v = o["verification"];
  EXPECT_FALSE(v["clean"].get<bool>());
  std::map<std::string, nlohmann::json> by_column;
  for (const auto& c : v["columns"]) by_column[c["column"].get<std::string>()] = c;
  ASSERT_EQ(by_column.size(), 2U);
  EXPECT_TRUE(by_column["email"]["found"].empty()) << by_column["email"].dump();
  EXPECT_EQ(by_column["notes"]["table"], "public.visit");
  EXPECT_EQ(by_column["notes"]["rows"], 6);
  EXPECT_EQ(by_column["notes"]["found"], (nlohmann::json{{"PHONE", 3}}));
  EXPECT_EQ(scalar("SELECT status FROM anonkit.runs"), "verify_failed");
  EXPECT_EQ(scalar("SELECT verification #>> '{columns,1,found,PHONE}' FROM anonkit.runs"), "3");
  EXPECT_NE(scalar("SELECT notes FROM anonkit.runs").find("public.visit.notes (email)"),
            std::string::npos);

  // The negative control: the planted phones are in the table (the mask let them through) ...
  const std::string table = scalar("SELECT string_agg(notes || ' ' || email, ' ') FROM visit");
  EXPECT_EQ(planted_in(table).size(), 3U) << table;  // the three phones, not the e-mails' names
  // ... and nowhere in the output or the worker's tables.
  const auto text = worker({"retention", "run", "--verify"});
  EXPECT_TRUE(planted_in(r.out + r.err + text.out + text.err).empty()) << r.out;
  EXPECT_TRUE(planted_in(worker_tables()).empty());
}

TEST_F(Verify, EraseCountsWhatAMaskLetThrough) {
  (void)sql(
      "INSERT INTO anonkit.erasure_policy VALUES ('public.ticket', 'mask', "
      R"('{"notes": "email"}', 'support history kept'))");
  const std::string key = key_file();
  // With --verify the leak refuses the erase: one transaction, nothing changed.
  const auto refused =
      worker({"--key-file", key, "erase", "--subject", "customer", "--key", "1", "--verify"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_EQ(refused.err.rfind("anonkit: erase refused by --verify", 0), 0U) << refused.err;
  EXPECT_NE(refused.err.find("public.ticket.notes (email)"), std::string::npos) << refused.err;
  EXPECT_EQ(count("SELECT count(*) FROM customer WHERE customer_id = 1"), 1);
  // Without it the erase goes through and its receipt counts the leak.
  const auto r = worker({"--key-file", key, "erase", "--subject", "customer", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  const auto& m = receipt["checked"]["masked_values"];
  EXPECT_FALSE(m["clean"].get<bool>());
  ASSERT_EQ(m["columns"].size(), 1U);
  EXPECT_EQ(m["columns"][0]["table"], "public.ticket");
  EXPECT_EQ(m["columns"][0]["column"], "notes");
  EXPECT_EQ(m["columns"][0]["rows"], 2);
  EXPECT_EQ(m["columns"][0]["found"], (nlohmann::json{{"PHONE", 1}}));
  // Negative control: the leaked phone is in the kept row, nowhere in the receipt or our tables.
  EXPECT_FALSE(planted_in(scalar("SELECT string_agg(notes, ' ') FROM ticket")).empty());
  EXPECT_TRUE(planted_in(r.out + r.err + refused.out + refused.err + worker_tables()).empty());
}

TEST_F(Verify, EraseWithASoundMaskIsClean) {
  (void)sql(
      "INSERT INTO anonkit.erasure_policy VALUES ('public.ticket', 'mask', "
      R"('{"notes": "text"}', 'support history kept'))");
  const std::string key = key_file();
  const auto r =
      worker({"--key-file", key, "erase", "--subject", "customer", "--key", "1", "--verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  const auto& m = receipt["checked"]["masked_values"];
  EXPECT_TRUE(m["clean"].get<bool>()) << m.dump();
  ASSERT_EQ(m["columns"].size(), 1U);
  EXPECT_EQ(m["columns"][0]["rows"], 2);
  EXPECT_TRUE(m["columns"][0]["found"].empty());
  EXPECT_EQ(count("SELECT count(*) FROM customer WHERE customer_id = 1"), 0);
  EXPECT_TRUE(planted_in(r.out + r.err + worker_tables()).empty());
}

}  // namespace
}  // namespace anonkit::pg::testing
