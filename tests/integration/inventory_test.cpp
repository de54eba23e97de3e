// `anonkit-worker inventory` and `decide` against a real PostgreSQL: planted columns (generated
// here, in SQL) found with their types and shares within sampling error, nothing on clean
// columns, partitions folded, a table without statistics sampled; the deny-by-default gate
// (`--check`) failing, then passing once rules, policies, subjects and decisions cover every
// column, failing again for a column added or re-created after; no planted value in any output;
// the read-only snapshot; a table that cannot be read reported while the others are sampled.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "pg_fixture.hpp"

namespace anonkit::pg::testing {
namespace {

// Every planted value is a function of the row number g, so the test knows them all.
constexpr const char* kPlanted = R"sql(
CREATE TABLE people (id int PRIMARY KEY, notes text, contact text, ref text,
                     amount numeric NOT NULL, doc jsonb);
INSERT INTO people SELECT g,
  CASE WHEN g % 4 = 0 THEN 'Asked about delivery, write to mwangi' || g || '@kenyamail.co.ke today'
       ELSE 'Asked about delivery again' END,
  '+2547' || lpad(((g * 7919) % 100000000)::text, 8, '0'),
  'A' || lpad(((g * 104729) % 1000000000)::text, 9, '0') || chr(65 + g % 26),
  (g % 997) * 3.25,
  jsonb_build_object('order', g, 'email', 'njeri' || g || '@duka.example')
FROM generate_series(1, 3000) g;

-- Big enough that sampling matters: 2% of `detail` are phones, at positions spread by a hash.
CREATE TABLE events (id int PRIMARY KEY, person_id int NOT NULL REFERENCES people,
                     kind text NOT NULL, detail text);
INSERT INTO events SELECT g, 1 + g % 3000, CASE WHEN g % 3 = 0 THEN 'login' ELSE 'logout' END,
  CASE WHEN abs(hashint4(g)) % 50 = 0 THEN '07' || lpad(((g * 31) % 100000000)::text, 8, '0')
       ELSE 'none' END
FROM generate_series(1, 200000) g;

-- Partitioned, without foreign keys: one table of the inventory, not three.
CREATE TABLE visits (at date NOT NULL, visitor_email text) PARTITION BY RANGE (at);
CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO visits SELECT date '2024-01-01' + (g % 900), 'guest' || g || '@hotel.example'
FROM generate_series(1, 6000) g;

ANALYZE people; ANALYZE events; ANALYZE visits;

-- Never analyzed (and autovacuum kept off it): no row estimate at all.
CREATE TABLE fresh (id int, contact text, qty int) WITH (autovacuum_enabled = false);
INSERT INTO fresh SELECT g, '+2547' || lpad(((g * 7907) % 100000000)::text, 8, '0'), g % 17
FROM generate_series(1, 20000) g;

CREATE VIEW people_view AS SELECT id, contact FROM people;
)sql";

class Inventory : public PgTest {
 protected:
  void script(const std::string& statements) {
    db::Transaction tx(*conn);
    tx.exec_script(statements);
    tx.commit();
  }
  nlohmann::json inventory_json(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"inventory", "--json"});
    const auto r = worker(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  static const nlohmann::json& table(const nlohmann::json& doc, const std::string& name) {
    for (const auto& t : doc["tables"])
      if (t["table"] == name) return t;
    ADD_FAILURE() << "no table " << name;
    static const nlohmann::json none;
    return none;
  }
  static const nlohmann::json& column(const nlohmann::json& doc, const std::string& t,
                                      const std::string& c) {
    for (const auto& col : table(doc, t)["columns"])
      if (col["column"] == c) return col;
    ADD_FAILURE() << "no column " << t << "." << c;
    static const nlohmann::json none;
    return none;
  }
  // The share of sampled values holding `type`, 0 when not found.
  static double share(const nlohmann::json& col, const std::string& type) {
    for (const auto& p : col["pii"])
      if (p["type"] == type) return p["share"].get<double>();
    return 0;
  }
  static std::vector<std::string> types(const nlohmann::json& col) {
    std::vector<std::string> out;
    for (const auto& p : col["pii"]) out.push_back(p["type"]);
    return out;
  }
};

TEST_F(Inventory, FindsPlantedColumnsWithTheirTypesAndShares) {
  script(kPlanted);
  ASSERT_EQ(scalar("SELECT reltuples::text FROM pg_class WHERE relname = 'fresh'"), "-1");
  const auto doc = inventory_json();
  EXPECT_EQ(doc["sampling"]["rows_per_table"], 1000);

  // Tables: the partitioned one once, its partitions not; no view, nothing of schema anonkit.
  std::vector<std::string> names;
  for (const auto& t : doc["tables"]) names.push_back(t["table"]);
  EXPECT_EQ(names, (std::vector<std::string>{"public.events", "public.fresh", "public.people",
                                             "public.visits"}));

  // people: 3000 rows, read whole (a small table), 1000 of them at random.
  const auto& people = table(doc, "public.people");
  EXPECT_EQ(people["rows_sampled"], 1000);
  EXPECT_TRUE(people["statistics"].get<bool>());
  const auto& notes = column(doc, "public.people", "notes");
  EXPECT_EQ(types(notes), std::vector<std::string>{"EMAIL"});
  // 1000 of 3000 rows without replacement: sd = sqrt(.25 * .75 / 1000 * 2000 / 2999) = 0.011;
  // the bound is 5 sd.
  EXPECT_NEAR(share(notes, "EMAIL"), 0.25, 0.056);
  EXPECT_EQ(notes["suggestion"], "text");
  EXPECT_EQ(notes["shape"], "Aaaaa aaaaa aaaaaaaa aaaaa");  // the most common value's shape

  const auto& contact = column(doc, "public.people", "contact");
  EXPECT_EQ(types(contact), std::vector<std::string>{"PHONE"});
  EXPECT_GT(share(contact, "PHONE"), 0.99);
  EXPECT_EQ(contact["suggestion"], "phone");
  EXPECT_EQ(contact["status"], "undecided");

  const auto& ref = column(doc, "public.people", "ref");
  EXPECT_EQ(types(ref), std::vector<std::string>{"KE_KRA_PIN"});
  EXPECT_GT(share(ref, "KE_KRA_PIN"), 0.99);
  EXPECT_EQ(ref["suggestion"], "id");
  EXPECT_EQ(ref["shape"], "A#########A");

  // An e-mail inside a jsonb document: found; a jsonb column cannot take a text mask in place,
  // so the suggestion is the strategy its type can take.
  const auto& jdoc = column(doc, "public.people", "doc");
  EXPECT_EQ(types(jdoc), std::vector<std::string>{"EMAIL"});
  EXPECT_GT(share(jdoc, "EMAIL"), 0.99);
  EXPECT_EQ(jdoc["suggestion"], "null");

  // Clean columns: no type, no suggestion, nothing to decide.
  for (const auto& [t, c] :
       std::vector<std::pair<std::string, std::string>>{{"public.people", "id"},
                                                        {"public.people", "amount"},
                                                        {"public.events", "id"},
                                                        {"public.events", "kind"},
                                                        {"public.events", "person_id"},
                                                        {"public.fresh", "qty"},
                                                        {"public.visits", "at"}}) {
    const auto& col = column(doc, t, c);
    EXPECT_TRUE(col["pii"].empty()) << t << "." << c << ": " << col.dump();
    EXPECT_TRUE(col["suggestion"].is_null()) << col.dump();
    EXPECT_EQ(col["status"], "no personal data found");
  }

  // Keys and references.
  EXPECT_TRUE(column(doc, "public.people", "id")["key"]["primary_key"].get<bool>());
  EXPECT_EQ(column(doc, "public.events", "person_id")["key"]["references"],
            nlohmann::json::array({"public.people.id"}));

  // events: 200,000 rows, sampled by pages, 1000 rows kept.
  const auto& events = table(doc, "public.events");
  EXPECT_EQ(events["rows_sampled"], 1000);
  EXPECT_EQ(events["method"].get<std::string>().rfind("TABLESAMPLE SYSTEM (", 0), 0u)
      << events.dump();
  EXPECT_EQ(events["estimated_rows"], 200000);
  EXPECT_EQ(types(column(doc, "public.events", "detail")), std::vector<std::string>{"PHONE"});

  // The partitioned table: one row, over its three partitions.
  const auto& visits = table(doc, "public.visits");
  EXPECT_EQ(visits["kind"], "partitioned table");
  EXPECT_EQ(visits["partitions"], 3);
  EXPECT_EQ(visits["rows_sampled"], 1000);
  EXPECT_NEAR(visits["estimated_rows"].get<double>(), 6000, 1);
  EXPECT_GT(share(column(doc, "public.visits", "visitor_email"), "EMAIL"), 0.99);
  EXPECT_EQ(column(doc, "public.visits", "visitor_email")["shape"], "a***@***");

  // Never analyzed: its rows per page probed, then sampled like the others.
  const auto& fresh = table(doc, "public.fresh");
  EXPECT_FALSE(fresh["statistics"].get<bool>());
  EXPECT_NE(fresh["method"].get<std::string>().find("probe"), std::string::npos) << fresh.dump();
  EXPECT_EQ(fresh["rows_sampled"], 1000);
  EXPECT_NEAR(fresh["estimated_rows"].get<double>(), 20000, 8000);  // from about 32 pages
  EXPECT_GT(share(column(doc, "public.fresh", "contact"), "PHONE"), 0.99);

  // The 2% column, with 4000 rows sampled: the true share p is about 0.02, the binomial sd
  // sqrt(p(1 - p) / 4000) = 0.0022; whole pages are sampled but the phones are spread by a hash,
  // so rows are close to independent. Bound: 4.5 sd.
  const double truth = std::stod(
      scalar("SELECT (count(*) FILTER (WHERE detail <> 'none'))::float8 / count(*) FROM events"));
  ASSERT_NEAR(truth, 0.02, 0.002);
  const auto big = inventory_json({"--rows", "4000", "--schema", "public"});
  const auto& detail = column(big, "public.events", "detail");
  EXPECT_EQ(table(big, "public.events")["rows_sampled"], 4000);
  EXPECT_NEAR(share(detail, "PHONE"), truth, 0.01) << detail.dump();
  EXPECT_EQ(detail["suggestion"], "phone");

  // Views only when asked; a view is read by its first rows.
  const auto with_views = inventory_json({"--views"});
  const auto& view = table(with_views, "public.people_view");
  EXPECT_EQ(view["kind"], "view");
  EXPECT_EQ(types(column(with_views, "public.people_view", "contact")),
            std::vector<std::string>{"PHONE"});

  // --schema names what is read; an unknown one is an error, not an empty success.
  script(
      "CREATE SCHEMA crm; CREATE TABLE crm.leads (id int, email text);"
      "INSERT INTO crm.leads VALUES (1, 'lead1@crm.example')");
  const auto crm = inventory_json({"--schema", "crm"});
  ASSERT_EQ(crm["tables"].size(), 1u);
  EXPECT_EQ(crm["tables"][0]["table"], "crm.leads");
  const auto bad = worker({"inventory", "--schema", "nosuch"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("no such schema: nosuch"), std::string::npos) << bad.err;
}

constexpr const char* kCovered = R"sql(
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, phone text);
CREATE TABLE invoices (id int PRIMARY KEY, customer_id int REFERENCES customers,
                       billing_email text, total numeric);
CREATE INDEX ON invoices (customer_id);
CREATE TABLE tickets (id int PRIMARY KEY, opened_at timestamptz NOT NULL, body text);
CREATE TABLE leads (id int PRIMARY KEY, contact text, ref text, score int);
INSERT INTO customers SELECT g, 'wairimu' || g || '@mail.example',
  '+2547' || lpad((g * 48271 % 100000000)::text, 8, '0') FROM generate_series(1, 300) g;
INSERT INTO invoices SELECT g, 1 + g % 300, 'billing' || g || '@ledger.example', g * 10
FROM generate_series(1, 600) g;
INSERT INTO tickets SELECT g, now() - g * interval '1 day',
  'Customer says: reach me at kamau' || g || '@inbox.example' FROM generate_series(1, 400) g;
INSERT INTO leads SELECT g, '07' || lpad((g * 16807 % 100000000)::text, 8, '0'),
  'P' || lpad((g * 69621 % 1000000000)::text, 9, '0') || 'Q', g % 10 FROM generate_series(1, 300) g;
ANALYZE;
)sql";

TEST_F(Inventory, CheckFailsUntilEveryPiiColumnIsDecidedAndAgainForANewColumn) {
  script(kCovered);
  auto r = worker({"inventory", "--check"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // The count line and the names; no value.
  EXPECT_NE(r.err.find("public.customers.email (EMAIL)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("@"), std::string::npos) << r.err;
  {
    const auto doc = nlohmann::json::parse(worker({"inventory", "--json"}).out);
    EXPECT_EQ(doc["undecided"],
              nlohmann::json::array(
                  {"public.customers.email (EMAIL)", "public.customers.phone (PHONE)",
                   "public.invoices.billing_email (EMAIL)", "public.leads.contact (PHONE)",
                   "public.leads.ref (KE_KRA_PIN)", "public.tickets.body (EMAIL)"}))
        << doc["undecided"].dump();
  }

  // A subject: customers and the invoices reached from them are erased with the person; the
  // invoices are kept under a policy, so only the policy's mask decides their columns.
  script(
      "INSERT INTO anonkit.subjects VALUES ('customer', 'public.customers', 'id');"
      "INSERT INTO anonkit.erasure_policy VALUES ('public.invoices', 'mask', "
      "'{\"billing_email\": \"email\"}', 'tax law: invoices are kept 7 years');"
      // An anonymize rule's mask; a disabled rule or a delete rule decides nothing.
      "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep, action, mask) "
      "VALUES ('old_tickets', 'public.tickets', 'opened_at', '1 year', 'anonymize', "
      "'{\"body\": \"text\"}');"
      "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep, action, mask, "
      "enabled) VALUES ('leads_off', 'public.leads', 'id', '1 year', 'anonymize', "
      "'{\"contact\": \"phone\"}', false)");
  r = worker({"inventory", "--check", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err,
            "anonkit: inventory --check: 2 column(s) hold personal data without a decision:\n"
            "  public.leads.contact (PHONE)\n"
            "  public.leads.ref (KE_KRA_PIN)\n");
  {
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(column(doc, "public.customers", "email")["decided_by"],
              nlohmann::json::array({"subject customer"}));
    EXPECT_EQ(column(doc, "public.invoices", "billing_email")["decided_by"],
              nlohmann::json::array({"erasure policy"}));
    EXPECT_EQ(column(doc, "public.tickets", "body")["decided_by"],
              nlohmann::json::array({"retention rule old_tickets"}));
  }

  // decide: checked before anything is written.
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"decide", "leads", "contact", "mask", "--reason", "r"},  // no strategy
           {"decide", "leads", "contact", "mask", "--strategy", "blur", "--reason", "r"},
           {"decide", "leads", "score", "mask", "--strategy", "email", "--reason", "r"},
           {"decide", "leads", "contact", "keep", "--strategy", "phone", "--reason", "r"},
           {"decide", "leads", "contact", "forget", "--reason", "r"},
           {"decide", "leads", "nosuch", "keep", "--reason", "r"},
           {"decide", "nosuch", "contact", "keep", "--reason", "r"},
           {"decide", "leads", "contact", "keep", "--reason", "  "}}) {
    const auto o = worker(bad);
    EXPECT_EQ(o.exit_code, 1) << fmt::format("{}", fmt::join(bad, " ")) << ": " << o.err;
  }
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.column_decisions"), 0);

  r = worker({"decide", "leads", "contact", "mask", "--strategy", "phone", "--reason",
              "shared with the sales team masked"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("decided: public.leads.contact mask:phone (column 2, text), at ", 0), 0u)
      << r.out;
  r = worker({"decide", "public.leads", "ref", "keep", "--reason",
              "a company's PIN, not a "
              "person's"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT string_agg(table_name || '.' || column_name || ' ' || decision || ' ' "
                   "|| column_attnum || ' ' || column_type, ', ' ORDER BY column_name) FROM "
                   "anonkit.column_decisions"),
            "public.leads.contact mask 2 text, public.leads.ref keep 3 text");
  r = worker({"inventory", "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");

  // A column added after the decisions: undecided until decided. One added to a subject's table
  // is decided already: its rows are erased with the person.
  script(
      "ALTER TABLE leads ADD COLUMN mobile text; UPDATE leads SET mobile = contact;"
      "ALTER TABLE customers ADD COLUMN phone2 text; UPDATE customers SET phone2 = phone;");
  r = worker({"inventory", "--check"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err,
            "anonkit: inventory --check: 1 column(s) hold personal data without a decision:\n"
            "  public.leads.mobile (PHONE)\n");
  ASSERT_EQ(
      worker({"decide", "leads", "mobile", "drop", "--reason", "duplicate of contact"}).exit_code,
      0);
  EXPECT_EQ(worker({"inventory", "--check"}).exit_code, 0);

  // Dropped and added again under the same name: the old decision is stale. Retyped: stale too.
  script(
      "ALTER TABLE leads DROP COLUMN contact; ALTER TABLE leads ADD COLUMN contact text;"
      "UPDATE leads SET contact = mobile;"
      "ALTER TABLE leads ALTER COLUMN ref TYPE varchar(20)");
  r = worker({"inventory", "--check"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("  public.leads.contact (PHONE): stale decision, the column was dropped "
                       "and added again since the decision of "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  public.leads.ref (KE_KRA_PIN): stale decision, the column's type "
                       "changed from text to character varying(20)"),
            std::string::npos)
      << r.err;
  ASSERT_EQ(
      worker({"decide", "leads", "contact", "mask", "--strategy", "phone", "--reason", "again"})
          .exit_code,
      0);
  ASSERT_EQ(worker({"decide", "leads", "ref", "keep", "--reason", "again"}).exit_code, 0);
  EXPECT_EQ(worker({"inventory", "--check"}).exit_code, 0);

  // A broken rule decides nothing, and says so.
  script(
      "UPDATE anonkit.retention_rules SET mask = '{\"body\": \"blur\"}' WHERE name = "
      "'old_tickets'");
  r = worker({"inventory", "--check"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("public.tickets.body (EMAIL)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("note: retention rule old_tickets decides nothing"), std::string::npos)
      << r.out;
}

// Every value the planted schema holds that is personal, and the pieces that make it one.
std::vector<std::string> planted_pieces(PgTest& t, db::Connection& conn) {
  std::vector<std::string> out;
  for (const auto& r :
       conn.exec("SELECT notes, contact, ref, doc::text FROM people UNION ALL "
                 "SELECT detail, NULL, NULL, NULL FROM events WHERE detail <> 'none' UNION ALL "
                 "SELECT visitor_email, NULL, NULL, NULL FROM visits UNION ALL "
                 "SELECT contact, NULL, NULL, NULL FROM fresh")
           .rows)
    for (const auto& v : r)
      if (v) out.push_back(*v);
  std::vector<std::string> pieces;
  const std::regex token("[A-Za-z0-9.+]*[0-9][A-Za-z0-9.+@]*");
  for (const auto& v : out) {
    for (auto it = std::sregex_iterator(v.begin(), v.end(), token); it != std::sregex_iterator();
         ++it)
      if (it->str().size() >= 6) pieces.push_back(it->str());
  }
  (void)t;
  std::sort(pieces.begin(), pieces.end());
  pieces.erase(std::unique(pieces.begin(), pieces.end()), pieces.end());
  return pieces;
}

TEST_F(Inventory, NoOutputHoldsAPlantedValue) {
  script(kPlanted);
  // A view that fails when read: its error goes to the report and stderr too.
  script("CREATE VIEW broken AS SELECT id, 1 / (id - id) AS boom, contact FROM people");
  const auto pieces = planted_pieces(*this, *conn);
  ASSERT_GT(pieces.size(), 10000u);
  std::vector<Outcome> outcomes;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"inventory", "--progress", "--views"},
           {"inventory", "--json", "--progress", "--views", "--check"},
           {"inventory", "--markdown", "--views", "--check"},
           {"inventory", "--check", "--rows", "5000"}}) {
    outcomes.push_back(worker(args));
    EXPECT_TRUE(outcomes.back().exit_code == 0 || outcomes.back().exit_code == 3)
        << outcomes.back().err;
  }
  // The failing view is reported, the rest sampled.
  EXPECT_NE(outcomes[0].out.find("division by zero"), std::string::npos) << outcomes[0].out;
  EXPECT_NE(outcomes[1].err.find("public.broken (not sampled)"), std::string::npos);
  EXPECT_NE(outcomes[0].err.find("inventory: [1/6] public.broken: 0 rows sampled"),
            std::string::npos)
      << outcomes[0].err;
  const std::regex digits("[0-9]{6,}");
  // The planted value (or 6+ digit run) a text holds, "" when none.
  const auto leak = [&](std::string s) -> std::string {
    // The database's generated name (hex) and the row count of the 200,000-row table are not
    // values.
    for (const std::string& known : {dbname, std::string("200000")})
      for (auto at = s.find(known); at != std::string::npos; at = s.find(known))
        s.erase(at, known.size());
    std::smatch m;
    if (std::regex_search(s, m, digits)) return m.str();
    for (const auto& p : pieces)
      if (s.find(p) != std::string::npos) return p;
    return "";
  };
  // Negative control: the check sees a planted e-mail, a KRA PIN and a phone's digits.
  EXPECT_EQ(leak("shape a***@***.ke, mwangi4@kenyamail.co.ke"), "mwangi4@kenyamail.co.ke");
  const std::string pin = scalar("SELECT ref FROM people WHERE id = 1");
  EXPECT_EQ(leak("ref " + pin.substr(0, 1) + " " + pin), pin.substr(1, 9));  // digit run first
  EXPECT_EQ(leak("[x" + pin + "]"), pin.substr(1, 9));
  EXPECT_EQ(leak("call 4712"), "");
  for (const auto& o : outcomes)
    for (const std::string* text : {&o.out, &o.err}) {
      const std::string found = leak(*text);
      EXPECT_EQ(found, "") << "planted '" << found << "' in output";
    }
}

TEST_F(Inventory, ReadsInOneReadOnlyRepeatableReadSnapshotWithATimeout) {
  script(kPlanted);
  // The session's default is read only: anything that tried to write would fail.
  auto r = worker({"inventory", "--json", "--timeout", "20s"},
                  {"PGOPTIONS=-c default_transaction_read_only=on"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["snapshot"]["isolation"], "repeatable read");
  EXPECT_TRUE(doc["snapshot"]["read_only"].get<bool>());
  EXPECT_EQ(doc["snapshot"]["statement_timeout"], "20s");
  // Through a transaction pooler (no session state relied on): the same inventory.
  r = worker({"inventory", "--json"}, {"ANONKIT_POOLED=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto pooled = nlohmann::json::parse(r.out);
  EXPECT_EQ(pooled["undecided"], doc["undecided"]);
  EXPECT_TRUE(pooled["snapshot"]["read_only"].get<bool>());

  // A table whose read outlasts the statement timeout is reported, not sampled; the others are,
  // in the same transaction, and --check fails on it (deny by default).
  script("CREATE VIEW slow AS SELECT id, pg_sleep(0.05) IS NULL AS z FROM people");
  r = worker({"inventory", "--json", "--views", "--timeout", "300ms", "--check"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  doc = nlohmann::json::parse(r.out);
  EXPECT_NE(table(doc, "public.slow")["error"].get<std::string>().find("statement timeout"),
            std::string::npos)
      << table(doc, "public.slow").dump();
  EXPECT_EQ(table(doc, "public.visits")["rows_sampled"], 1000);
  EXPECT_NE(r.err.find("  public.slow (not sampled)\n"), std::string::npos) << r.err;
  // Nothing written: the decisions table is as it was.
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.column_decisions"), 0);
}

}  // namespace
}  // namespace anonkit::pg::testing
