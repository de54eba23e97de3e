// The Retriever against a real PostgreSQL: a shop schema of 11 tables with a composite foreign key,
// a cycle, a self-reference inside a subject's data, referrals between subjects, a link without a
// foreign key, a legal-hold table, shared reference data and a partitioned table.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "anonkit/pseudo/keyring.hpp"
#include "pg_fixture.hpp"
#include "subjects.hpp"

namespace anonkit::pg::testing {
namespace {

constexpr const char* kShop = R"sql(
CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, name text NOT NULL,
                        referred_by int REFERENCES customers, primary_address_id int);
CREATE TABLE addresses (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                        line text NOT NULL);
ALTER TABLE customers ADD FOREIGN KEY (primary_address_id) REFERENCES addresses;
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                     placed_at timestamptz NOT NULL);
CREATE TABLE order_lines (order_id int NOT NULL REFERENCES orders, line_no int NOT NULL,
                          product_id int NOT NULL REFERENCES products, qty int NOT NULL,
                          PRIMARY KEY (order_id, line_no));
CREATE TABLE shipments (id int PRIMARY KEY, order_id int NOT NULL, line_no int NOT NULL,
                        tracking text, FOREIGN KEY (order_id, line_no) REFERENCES order_lines);
CREATE TABLE comments (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                       parent_id int REFERENCES comments, body text NOT NULL);
CREATE TABLE support_tickets (id int PRIMARY KEY, email text NOT NULL, body text NOT NULL);
CREATE TABLE invoices (id int PRIMARY KEY, order_id int REFERENCES orders, customer_name text,
                       amount numeric NOT NULL);
CREATE TABLE events (id int NOT NULL, customer_id int NOT NULL REFERENCES customers,
                     at timestamptz NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE loyalty_cards (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                            card_no text NOT NULL);
CREATE INDEX ON addresses (customer_id); CREATE INDEX ON orders (customer_id);
CREATE INDEX ON comments (customer_id); CREATE INDEX ON comments (parent_id);
CREATE INDEX ON support_tickets (email); CREATE INDEX ON invoices (order_id);
CREATE INDEX ON events (customer_id); CREATE INDEX ON loyalty_cards (customer_id);
CREATE INDEX ON shipments (order_id, line_no); CREATE INDEX ON customers (referred_by);
CREATE INDEX ON order_lines (product_id);

INSERT INTO products VALUES (1, 'Motor cover'), (2, 'Health plan');
-- Customer c: 1, 2, 3; 2 was referred by 1, 3 by 2.
INSERT INTO customers (id, email, name, referred_by)
  SELECT c, 'c' || c || '@example.com', 'Customer ' || c, NULLIF(c - 1, 0) FROM generate_series(1, 3) c;
INSERT INTO addresses SELECT c * 10 + a, c, 'Street ' || a FROM generate_series(1, 3) c, generate_series(1, 2) a;
UPDATE customers SET primary_address_id = id * 10 + 1;
INSERT INTO orders SELECT c * 100 + o, c, timestamptz '2025-06-01' + o * interval '1 day'
  FROM generate_series(1, 3) c, generate_series(1, 2) o;
INSERT INTO order_lines SELECT o.id, l, 1 + l % 2, l FROM orders o, generate_series(1, 3) l;
INSERT INTO shipments SELECT ol.order_id * 10 + ol.line_no, ol.order_id, ol.line_no, 'TRK' || ol.order_id
  FROM order_lines ol WHERE ol.line_no <= 2;
-- A thread of each customer's own comments: a post and two replies.
INSERT INTO comments SELECT c * 1000 + 1, c, NULL, 'post' FROM generate_series(1, 3) c;
INSERT INTO comments SELECT c * 1000 + 2, c, c * 1000 + 1, 'reply' FROM generate_series(1, 3) c;
INSERT INTO comments SELECT c * 1000 + 3, c, c * 1000 + 2, 'reply to reply' FROM generate_series(1, 3) c;
INSERT INTO support_tickets SELECT c * 7, 'c' || c || '@example.com', 'help' FROM generate_series(1, 3) c;
INSERT INTO support_tickets VALUES (99, 'stranger@example.com', 'not a customer');
INSERT INTO invoices SELECT o.id, o.id, 'Customer ' || o.customer_id, 100 FROM orders o;
INSERT INTO events SELECT c * 10 + e, c, CASE WHEN e = 1 THEN timestamptz '2025-05-05' ELSE timestamptz '2026-02-02' END, 'login'
  FROM generate_series(1, 3) c, generate_series(1, 2) e;
INSERT INTO loyalty_cards SELECT c, c, '6011000990139424' FROM generate_series(1, 3) c;

INSERT INTO anonkit.subjects VALUES ('customer', 'public.customers', 'id');
INSERT INTO anonkit.links (child_table, child_columns, parent_table, parent_columns)
  VALUES ('support_tickets', '{email}', 'customers', '{email}');
INSERT INTO anonkit.erasure_policy VALUES ('public.invoices', 'mask', '{"customer_name": "name"}',
  'Kenya Income Tax Act: invoices kept 5 years');
)sql";

class Dsar : public PgTest {
 public:
  using PgTest::checksum;

 protected:
  void SetUp() override {
    PgTest::SetUp();
    (void)sql("SELECT 1");
    db::Transaction tx(*conn);
    tx.exec_script(kShop);
    tx.commit();
    key = key_file();
  }
  // The worker with this test's key file (receipts and key hashes are keyed).
  Outcome run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--key-file", key});
    return worker(args);
  }
  Child start(std::vector<std::string> args) {
    args.insert(args.begin(), {"--key-file", key});
    return spawn(args);
  }
  std::string hash(const std::string& k) {
    return hash_subject_key("customer", k, *pseudo::Keyring::from_file(key));
  }
  std::string key;
  // Customers 4..40, an order each, and a queued erase request for each of them.
  void queue_erasures_of_customers_4_to_40() {
    (void)sql(
        "INSERT INTO customers (id, email, name) SELECT c, 'c' || c || '@example.com', "
        "'Customer ' || c FROM generate_series(4, 40) c");
    (void)sql("INSERT INTO orders SELECT c * 100 + 1, c, now() FROM generate_series(4, 40) c");
    (void)sql(
        "INSERT INTO anonkit.requests (kind, subject, subject_key) "
        "SELECT 'erase', 'customer', c::text FROM generate_series(4, 40) c");
  }
  // What the subject owns, by table, straight from the schema's meaning (ground truth).
  std::map<std::string, std::int64_t> expected(int c) {
    const auto n = [&](const std::string& q) { return count(fmt::format(fmt::runtime(q), c)); };
    return {{"public.customers", 1},
            {"public.addresses", n("SELECT count(*) FROM addresses WHERE customer_id = {}")},
            {"public.orders", n("SELECT count(*) FROM orders WHERE customer_id = {}")},
            {"public.order_lines", n("SELECT count(*) FROM order_lines WHERE order_id / 100 = {}")},
            {"public.shipments", n("SELECT count(*) FROM shipments WHERE order_id / 100 = {}")},
            {"public.comments", n("SELECT count(*) FROM comments WHERE customer_id = {}")},
            {"public.support_tickets", 1},
            {"public.invoices", n("SELECT count(*) FROM invoices WHERE order_id / 100 = {}")},
            {"public.events", 2},
            {"public.loyalty_cards", 1}};
  }
};

TEST_F(Dsar, AccessExportsExactlyTheSubjectsRows) {
  for (int c = 1; c <= 3; ++c) {
    const auto r = run({"access", "--subject", "customer", "--key", std::to_string(c)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["subject"], "customer");
    EXPECT_EQ(doc["key"], std::to_string(c));
    std::map<std::string, std::int64_t> got;
    for (const auto& [table, rows] : doc["tables"].items())
      got[table] = static_cast<std::int64_t>(rows.size());
    EXPECT_EQ(got, expected(c)) << r.out;
    // Exactly their rows: the root is them, every order and comment is theirs, no product, no
    // other customer (the referrer, the referred), no stranger's ticket.
    ASSERT_EQ(doc["tables"]["public.customers"].size(), 1u);
    EXPECT_EQ(doc["tables"]["public.customers"][0]["id"], c);
    for (const auto& o : doc["tables"]["public.orders"]) EXPECT_EQ(o["customer_id"], c);
    for (const auto& m : doc["tables"]["public.comments"]) EXPECT_EQ(m["customer_id"], c);
    EXPECT_EQ(doc["tables"]["public.support_tickets"][0]["email"],
              fmt::format("c{}@example.com", c));
    EXPECT_FALSE(doc["tables"].contains("public.products"));
    EXPECT_TRUE(doc["shared"].empty()) << doc["shared"].dump();
    // Rows as PostgreSQL renders them.
    EXPECT_EQ(doc["tables"]["public.orders"][0]["placed_at"],
              scalar(fmt::format("SELECT to_json(placed_at)#>>'{{}}' FROM orders WHERE id = {}",
                                 c * 100 + 1)));
  }
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'access'"), 3);
  // Each audit row is exactly the export's row counts and the key hashed: nothing else.
  for (int c = 1; c <= 3; ++c) {
    const auto row =
        sql("SELECT counts::text, subject_key_hash FROM anonkit.audit WHERE "
            "kind = 'access' ORDER BY id OFFSET $1::int LIMIT 1",
            {std::to_string(c - 1)});
    std::map<std::string, std::map<std::string, std::int64_t>> owned;
    for (const auto& [table, n] : expected(c)) owned[table]["owned"] = n;
    EXPECT_EQ(nlohmann::json::parse(*row.rows[0][0]), nlohmann::json(owned));
    EXPECT_EQ(*row.rows[0][1], hash(std::to_string(c)));
    EXPECT_EQ(row.rows[0][1]->rfind("hmac-sha256:", 0), 0u);
  }
}

TEST_F(Dsar, UnknownOrMalformedKeysAndSubjectsAreClearErrors) {
  auto r = run({"access", "--subject", "customer", "--key", "42"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "anonkit: no customer with that key in public.customers (id)\n");
  r = run({"access", "--subject", "customer", "--key", "forty-two"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("expected a value of type integer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("forty-two"), std::string::npos) << r.err;  // never the value
  r = worker({"access", "--subject", "customer", "--key", "1"});   // no key file
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("make key"), std::string::npos) << r.err;
  r = run({"access", "--subject", "supplier", "--key", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown subject 'supplier': expected one of anonkit.subjects (customer)"),
            std::string::npos)
      << r.err;
  (void)sql(
      "INSERT INTO anonkit.links (child_table, child_columns, parent_table, parent_columns) "
      "VALUES ('support_tickets', '{mail}', 'customers', '{email}')");
  r = run({"access", "--subject", "customer", "--key", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("link 2: column 'mail' does not exist in table public.support_tickets"),
            std::string::npos)
      << r.err;
}

TEST_F(Dsar, AccessWritesAPrivateFileAndReadsOneSnapshot) {
  const std::string out = "/tmp/ak-export-" + dbname + ".json";
  temp_files.push_back(out);
  const auto r = run({"access", "--subject", "customer", "--key", "2", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  struct stat st {};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(out);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["tables"]["public.orders"].size(), 2u);
}

TEST_F(Dsar, PlanShowsTraversalDetachmentAndDeletionOrder) {
  const auto r = run({"--json", "plan", "--subject", "customer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto order = doc["deletion_order"].get<std::vector<std::string>>();
  auto at = [&](const std::string& t) {
    return std::find(order.begin(), order.end(), t) - order.begin();
  };
  EXPECT_LT(at("public.shipments"), at("public.order_lines"));
  EXPECT_LT(at("public.order_lines"), at("public.orders"));
  EXPECT_LT(at("public.orders"), at("public.customers"));
  EXPECT_EQ(order.back(), "public.customers");
  EXPECT_EQ(std::find(order.begin(), order.end(), "public.products"), order.end());
  std::vector<std::string> detach;
  for (const auto& d : doc["detach"]) detach.push_back(d["name"]);
  EXPECT_EQ(detach, (std::vector<std::string>{"customers_referred_by_fkey",
                                              "customers_primary_address_id_fkey"}));
  std::map<std::string, std::string> roles;
  for (const auto& t : doc["tables"]) roles[t["table"]] = t["role"];
  EXPECT_EQ(roles["public.customers"], "root");
  EXPECT_EQ(roles["public.orders"], "owned");
  EXPECT_EQ(roles["public.support_tickets"], "may be shared");  // a link can match several
  EXPECT_FALSE(roles.count("public.products"));
  const auto text = run({"plan", "--subject", "customer"});
  EXPECT_NE(text.out.find("public.support_tickets"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("masks of public.invoices: {\"customer_name\":\"name\"}"),
            std::string::npos)
      << text.out;
}

// Checksums of everything that is not customer `c`'s, table by table.
std::map<std::string, std::string> others(Dsar& t, int c) {
  const std::map<std::string, std::string> where = {
      {"customers", "id <> {0} AND id <> {0} + 1"},  // the referred customer changes: checked apart
      {"addresses", "customer_id <> {0}"},
      {"products", "true"},
      {"orders", "customer_id <> {0}"},
      {"order_lines", "order_id / 100 <> {0}"},
      {"shipments", "order_id / 100 <> {0}"},
      {"comments", "customer_id <> {0}"},
      {"support_tickets", "id <> {0} * 7"},
      {"invoices", "id / 100 <> {0}"},
      {"events", "customer_id <> {0}"},
      {"loyalty_cards", "customer_id <> {0}"}};
  std::map<std::string, std::string> out;
  for (const auto& [table, w] : where)
    out[table] = t.checksum(
        fmt::format("(SELECT * FROM {} WHERE {})", table, fmt::format(fmt::runtime(w), c)), "1");
  return out;
}

TEST_F(Dsar, EraseRemovesTheSubjectKeepsInvoicesMaskedAndTouchesNoOneElse) {
  const auto before = others(*this, 2);
  const auto dry = run({"erase", "--subject", "customer", "--key", "2", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(others(*this, 2), before);
  EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 2"), 1);

  const auto r = run({"erase", "--subject", "customer", "--key", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  const auto planned = nlohmann::json::parse(dry.out);
  EXPECT_EQ(receipt["tables"]["public.orders"]["deleted"], 2);
  EXPECT_EQ(receipt["tables"]["public.order_lines"]["deleted"], 6);
  EXPECT_EQ(receipt["tables"]["public.shipments"]["deleted"], 4);
  EXPECT_EQ(receipt["tables"]["public.comments"]["deleted"], 3);
  EXPECT_EQ(receipt["tables"]["public.events"]["deleted"], 2);
  EXPECT_EQ(receipt["tables"]["public.support_tickets"]["deleted"], 1);
  EXPECT_EQ(receipt["tables"]["public.invoices"]["masked"], 2);
  EXPECT_EQ(receipt["tables"]["public.invoices"]["detached"], 2);
  EXPECT_EQ(receipt["tables"]["public.customers"]["deleted"], 1);
  // Customer 3 was referred by 2: detached; customer 2's own row pointed at its address: that
  // cycle is broken by nulling it first.
  EXPECT_EQ(receipt["tables"]["public.customers"]["detached"], 1);
  EXPECT_EQ(receipt["tables"]["public.customers"]["nulled"], 1);
  EXPECT_EQ(receipt["checked"]["traversal"], true);
  EXPECT_GE(receipt["checked"]["identifier_values"], 2);  // the e-mail and the name
  for (const auto& table :
       {"public.orders", "public.order_lines", "public.invoices", "public.events"})
    EXPECT_EQ(planned["tables"][table], receipt["tables"][table]) << table;
  EXPECT_EQ(receipt["key_hash"], hash("2"));

  // Nothing of customer 2 is left but the kept, masked, detached invoices.
  EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 2"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM orders WHERE customer_id = 2"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM support_tickets WHERE email = 'c2@example.com'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM invoices WHERE id / 100 = 2 AND order_id IS NULL AND "
                  "customer_name NOT LIKE '%Customer 2%' AND amount = 100"),
            2);
  EXPECT_EQ(run({"access", "--subject", "customer", "--key", "2"}).exit_code, 4);
  // Everyone else byte for byte; customer 3 only lost the reference to 2.
  EXPECT_EQ(others(*this, 2), before);
  EXPECT_EQ(
      scalar(
          "SELECT coalesce(referred_by::text, 'null') || ' ' || name FROM customers WHERE id = 3"),
      "null Customer 3");
  EXPECT_EQ(count("SELECT count(*) FROM products"), 2);
  // The receipt holds counts and a hash: no e-mail, no name, no key.
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'erase' AND counts::text !~ "
                  "'example|Customer'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.erasures"), 1);

  // Again: harmless, exit 0, nothing counted, said so.
  const auto again = run({"erase", "--subject", "customer", "--key", "2"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("already erased"), std::string::npos) << again.err;
  EXPECT_TRUE(nlohmann::json::parse(again.out)["tables"].empty());
  EXPECT_EQ(run({"erase", "--subject", "customer", "--key", "77"}).exit_code, 4);
}

// Cycles among the subject's own tables: one broken by setting a nullable key to NULL first, one
// by a deferrable constraint checked at commit.
TEST_F(Dsar, EraseBreaksCyclesAtANullableOrADeferrableKey) {
  db::Transaction tx(*conn);
  tx.exec_script(R"sql(
    CREATE TABLE policies (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                           current_claim_id int);
    CREATE TABLE claims (id int PRIMARY KEY, policy_id int NOT NULL REFERENCES policies);
    ALTER TABLE policies ADD FOREIGN KEY (current_claim_id) REFERENCES claims;
    CREATE TABLE wallets (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                          primary_card_id int NOT NULL);
    CREATE TABLE cards (id int PRIMARY KEY, wallet_id int NOT NULL REFERENCES wallets);
    ALTER TABLE wallets ADD CONSTRAINT wallets_primary_card FOREIGN KEY (primary_card_id)
      REFERENCES cards DEFERRABLE;
    SET CONSTRAINTS ALL DEFERRED;
    INSERT INTO policies SELECT c, c, NULL FROM generate_series(1, 3) c;
    INSERT INTO claims SELECT c * 10, c FROM generate_series(1, 3) c;
    UPDATE policies SET current_claim_id = id * 10;
    INSERT INTO wallets SELECT c, c, c * 10 FROM generate_series(1, 3) c;
    INSERT INTO cards SELECT c * 10, c FROM generate_series(1, 3) c;
  )sql");
  tx.commit();
  const auto plan = nlohmann::json::parse(run({"--json", "plan", "--subject", "customer"}).out);
  std::set<std::string> nulled;
  for (const auto& n : plan["null_first"]) nulled.insert(n["name"]);
  EXPECT_EQ(nulled, (std::set<std::string>{"customers_primary_address_id_fkey",
                                           "policies_current_claim_id_fkey"}));
  EXPECT_EQ(plan["deferred"][0]["name"], "wallets_primary_card");
  const auto others_before = checksum(
      "(SELECT p.*, c.id AS claim, w.id AS w, k.id AS k FROM "
      "policies p JOIN claims c ON c.policy_id = p.id JOIN "
      "wallets w ON w.id = p.id JOIN cards k ON k.wallet_id = w.id "
      "WHERE p.customer_id <> 2)",
      "1");
  const auto r = run({"erase", "--subject", "customer", "--key", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  EXPECT_EQ(receipt["tables"]["public.policies"]["nulled"], 1);
  EXPECT_EQ(receipt["tables"]["public.policies"]["deleted"], 1);
  EXPECT_EQ(receipt["tables"]["public.claims"]["deleted"], 1);
  EXPECT_EQ(receipt["tables"]["public.wallets"]["deleted"], 1);
  EXPECT_EQ(receipt["tables"]["public.cards"]["deleted"], 1);
  EXPECT_EQ(count("SELECT count(*) FROM policies WHERE customer_id = 2"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM cards WHERE id = 20"), 0);
  EXPECT_EQ(checksum("(SELECT p.*, c.id AS claim, w.id AS w, k.id AS k FROM policies p JOIN "
                     "claims c ON c.policy_id = p.id JOIN wallets w ON w.id = p.id JOIN cards k "
                     "ON k.wallet_id = w.id WHERE p.customer_id <> 2)",
                     "1"),
            others_before);
}

TEST_F(Dsar, KilledDuringALargeEraseLeavesAllOrNothing) {
  (void)sql(
      "INSERT INTO events SELECT 1000 + i, 1, timestamptz '2025-03-01' + i * interval '1 second', "
      "'click' FROM generate_series(1, 300000) i");
  const auto before = checksum("(SELECT * FROM events WHERE customer_id = 1)", "1");
  const auto all = others(*this, 1);
  auto child = start({"erase", "--subject", "customer", "--key", "1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  child.kill(SIGKILL);
  const int code = child.wait();
  wait_for_worker_backends_to_end();
  const auto left = count("SELECT count(*) FROM events WHERE customer_id = 1");
  if (code == 128 + SIGKILL) {
    EXPECT_EQ(left, 300002) << "a killed erase must change nothing";
    EXPECT_EQ(checksum("(SELECT * FROM events WHERE customer_id = 1)", "1"), before);
    EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 1"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM anonkit.erasures"), 0);
  } else {
    std::printf("[ info ] the erase finished before the kill (exit %d)\n", code);
  }
  EXPECT_EQ(others(*this, 1), all);
  const auto r = run({"erase", "--subject", "customer", "--key", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE customer_id = 1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 1"), 0);
}

TEST_F(Dsar, AnEraseRacingNewOrdersNeverLeavesAnOrphan) {
  (void)sql(
      "INSERT INTO events SELECT 1000 + i, 3, timestamptz '2025-03-01' + i * interval '1 second', "
      "'click' FROM generate_series(1, 50000) i");
  std::atomic<bool> done{false};
  std::atomic<int> accepted{0}, refused{0};
  std::thread app([&] {
    db::Connection c(dsn);
    for (int i = 0; !done.load(); ++i) {
      try {
        (void)c.exec("INSERT INTO orders VALUES ($1::int, 3, now())", {std::to_string(10000 + i)});
        (void)c.exec("INSERT INTO support_tickets VALUES ($1::int, 'c3@example.com', 'again')",
                     {std::to_string(10000 + i)});
        ++accepted;
      } catch (const db::SqlError& e) {
        EXPECT_EQ(e.sqlstate(), "23503") << e.what();  // the customer is gone: FK violation
        ++refused;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto r = run({"erase", "--subject", "customer", "--key", "3"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  app.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c "
                  "WHERE c.id = o.customer_id)"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM orders WHERE customer_id = 3"), 0);
  std::printf("[ info ] %d orders accepted before the erase, %d refused after\n", accepted.load(),
              refused.load());
}

TEST_F(Dsar, AKeptTableThatCannotBeDetachedFailsBeforeAnyChange) {
  (void)sql(
      "CREATE TABLE contracts (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, "
      "holder text)");
  (void)sql("INSERT INTO contracts VALUES (1, 1, 'Customer 1')");
  (void)sql(
      "INSERT INTO anonkit.erasure_policy VALUES ('contracts', 'mask', '{\"holder\": \"name\"}', "
      "'insurance law')");
  const auto before = checksum("customers", "id");
  const auto r = run({"erase", "--subject", "customer", "--key", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("through public.contracts.customer_id, which is NOT NULL"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(checksum("customers", "id"), before);
  EXPECT_EQ(count("SELECT count(*) FROM orders WHERE customer_id = 1"), 2);
}

TEST_F(Dsar, ReplayErasesSubjectsABackupBroughtBack) {
  ASSERT_EQ(run({"erase", "--subject", "customer", "--key", "1"}).exit_code, 0);
  // A restore brings customer 1 and an order back.
  (void)sql("INSERT INTO customers (id, email, name) VALUES (1, 'c1@example.com', 'Customer 1')");
  (void)sql("INSERT INTO orders VALUES (101, 1, now())");
  const auto r = run({"erase", "--subject", "customer", "--replay"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "erase --replay: 1 customer erased again\n");
  EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM orders WHERE customer_id = 1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM customers"), 2);
}

// A role that row-level security would show only part of the subject to gets an error, never a
// partial export.
TEST_F(Dsar, RowSecurityCannotSilentlyHideRows) {
  (void)sql("CREATE ROLE " + dbname + "_reader LOGIN PASSWORD 'reader-pw'");
  (void)sql("GRANT USAGE ON SCHEMA public, anonkit TO " + dbname + "_reader");
  (void)sql("GRANT SELECT ON ALL TABLES IN SCHEMA public, anonkit TO " + dbname + "_reader");
  (void)sql("GRANT INSERT ON anonkit.audit TO " + dbname + "_reader");
  (void)sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA anonkit TO " + dbname + "_reader");
  const std::string as_reader = dsn + " user=" + dbname + "_reader password=reader-pw";
  auto r = run({"--dsn", as_reader, "access", "--subject", "customer", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // no policy yet: the whole export
  (void)sql("ALTER TABLE comments ENABLE ROW LEVEL SECURITY");
  (void)sql("CREATE POLICY only_posts ON comments USING (parent_id IS NULL)");
  r = run({"--dsn", as_reader, "access", "--subject", "customer", "--key", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("row-level security"), std::string::npos) << r.err;
  (void)sql("DROP OWNED BY " + dbname + "_reader");
  (void)sql("DROP ROLE " + dbname + "_reader");
}

TEST_F(Dsar, ConcurrentWorkersProcessEveryRequestExactlyOnce) {
  queue_erasures_of_customers_4_to_40();
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key) VALUES "
      "('access', 'customer', '1'), ('access', 'customer', '2'), "
      "('erase', 'customer', '999'), ('access', 'supplier', '1')");
  char dir[] = "/tmp/ak-exports-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  auto a = start({"requests", "run", "--export-dir", dir});
  auto b = start({"requests", "run", "--export-dir", dir});
  auto c = start({"requests", "run", "--export-dir", dir});
  const int codes = a.wait() + b.wait() + c.wait();
  EXPECT_GE(codes, 3);  // the two bad requests make one or more workers exit 3
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE status = 'done' AND attempts = 1"),
            39);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE status = 'failed' AND attempts = 1"),
            2);
  EXPECT_EQ(scalar("SELECT error FROM anonkit.requests WHERE subject_key_hash = $1", {hash("999")}),
            "anonkit: no customer with that key in public.customers (id)");
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE subject_key IS NOT NULL"), 0);
  // Exactly once: one erase receipt per subject, none of them an "already erased" re-run.
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'erase'"), 37);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'erase' AND note IS NOT NULL"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM customers"), 3);
  (void)std::system(fmt::format("rm -rf {}", dir).c_str());
  // The erase receipt is the result; no request holds personal data.
  EXPECT_EQ(scalar("SELECT result->'tables'->'public.orders'->>'deleted' FROM anonkit.requests "
                   "WHERE kind = 'erase' AND subject_key_hash = $1",
                   {hash("4")}),
            "1");
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE result::text ~ 'example|Customer'"),
            0);
}

TEST_F(Dsar, AKilledWorkersRequestIsClaimedAgain) {
  (void)sql(
      "INSERT INTO events SELECT 1000 + i, 1, timestamptz '2025-03-01' + i * interval '1 second', "
      "'click' FROM generate_series(1, 300000) i");
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key, due_at) VALUES "
      "('erase', 'customer', '1', now() - interval '1 day')");
  const auto status = nlohmann::json::parse(run({"--json", "status"}).out);
  EXPECT_EQ(status["requests"]["open"], 1);
  EXPECT_EQ(status["requests"]["overdue"], 1);
  auto child = start({"requests", "run"});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  child.kill(SIGKILL);
  const int code = child.wait();
  wait_for_worker_backends_to_end();
  if (code == 128 + SIGKILL) {
    EXPECT_EQ(scalar("SELECT status || ' ' || attempts FROM anonkit.requests"), "pending 0");
    EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 1"), 1);
  }
  const auto r = run({"requests", "run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "requests: 1 done, 0 failed\n");
  EXPECT_EQ(scalar("SELECT status FROM anonkit.requests"), "done");
  EXPECT_EQ(count("SELECT count(*) FROM customers WHERE id = 1"), 0);
}

// Through a transaction-pooling PgBouncer (Debian's, started here for this test on a free
// loopback port), with the database killing any session idle in a transaction after 300 ms: two
// workers process forty requests exactly once and two retention runs do their rules once. No
// session state of the worker's survives a transaction there, and no claim may sit idle in one.
class Pooler : public Dsar {
 protected:
  void SetUp() override {
    Dsar::SetUp();
    const char* bouncer = "/usr/sbin/pgbouncer";
    ASSERT_EQ(access(bouncer, X_OK), 0) << "pgbouncer is missing: scripts/bootstrap installs it";
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    close(s);
    char dir_template[] = "/tmp/ak-bouncer-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir = dir_template;
    const auto env = [](const char* name) {
      const char* v = std::getenv(name);
      return std::string(v ? v : "");
    };
    std::ofstream(dir + "/users.txt")
        << fmt::format("\"{}\" \"{}\"\n", env("PGUSER"), env("PGPASSWORD"));
    std::ofstream(dir + "/bouncer.ini") << fmt::format(
        "[databases]\n{} = host={} port={}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        "listen_port = {}\nunix_socket_dir =\nauth_type = trust\nauth_file = {}/users.txt\n"
        "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 100\n"
        "logfile = {}/bouncer.log\npidfile = {}/bouncer.pid\n",
        dbname, env("PGHOST").empty() ? "localhost" : env("PGHOST"),
        env("PGPORT").empty() ? "5432" : env("PGPORT"), port, dir, dir, dir);
    // PgBouncer refuses to run as root: then as postgres, which owns the server too.
    const bool root = geteuid() == 0;
    if (root) ASSERT_EQ(std::system(fmt::format("chown -R postgres {}", dir).c_str()), 0);
    const std::string ini = dir + "/bouncer.ini";
    pid = fork();
    if (pid == 0) {
      if (root)
        execl(bouncer, bouncer, "-q", "-u", "postgres", ini.c_str(), static_cast<char*>(nullptr));
      else
        execl(bouncer, bouncer, "-q", ini.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    bouncer_dsn =
        fmt::format("host=127.0.0.1 port={} dbname={} user={}", port, dbname, env("PGUSER"));
    for (int i = 0; i < 200; ++i) {
      try {
        db::Connection probe(bouncer_dsn);
        break;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    (void)sql(fmt::format("ALTER DATABASE {} SET idle_in_transaction_session_timeout = '300ms'",
                          conn->quote_name(dbname)));
  }
  void TearDown() override {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (!dir.empty()) (void)std::system(fmt::format("rm -rf {}", dir).c_str());
    Dsar::TearDown();
  }
  std::vector<std::string> via_bouncer(std::vector<std::string> args) {
    args.insert(args.begin(), {"--dsn", bouncer_dsn});
    return args;
  }
  int port = 0;
  pid_t pid = -1;
  std::string dir, bouncer_dsn;
};

TEST_F(Pooler, TwoWorkersThroughPgBouncerDoEveryRequestAndRuleOnce) {
  db::Connection through(bouncer_dsn);
  EXPECT_TRUE(through.pooled());
  queue_erasures_of_customers_4_to_40();
  (void)sql(
      "INSERT INTO anonkit.requests (kind, subject, subject_key) VALUES "
      "('access', 'customer', '1'), ('access', 'customer', '2'), ('erase', 'customer', '999')");
  ASSERT_EQ(count("SELECT count(*) FROM anonkit.requests"), 40);
  // Retention through the pooler too: a delete rule and an anonymize rule with a keyed mask.
  (void)sql(
      "CREATE TABLE visits (id bigint PRIMARY KEY, at timestamptz NOT NULL, email text, "
      "original text)");
  (void)sql(
      "INSERT INTO visits SELECT i, timestamptz '2019-01-01' + (i % 5000 || ' minutes')::interval, "
      "'v' || i || '@example.org', 'v' || i || '@example.org' FROM generate_series(1, 20000) i");
  (void)sql("CREATE TABLE clicks (at timestamptz NOT NULL)");
  (void)sql("INSERT INTO clicks SELECT timestamptz '2019-01-01' FROM generate_series(1, 50000)");
  (void)sql(
      "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep, action, mask) "
      "VALUES ('visits', 'visits', 'at', '1 year', 'anonymize', '{\"email\": "
      "\"pseudonym:email\"}'), ('clicks', 'clicks', 'at', '1 year', 'delete', NULL)");

  char exports[] = "/tmp/ak-exports-XXXXXX";
  ASSERT_NE(mkdtemp(exports), nullptr);
  auto a = start(via_bouncer({"requests", "run", "--export-dir", exports}));
  auto b = start(via_bouncer({"requests", "run", "--export-dir", exports}));
  auto c = start(via_bouncer({"retention", "run", "--batch", "500"}));
  auto d = start(via_bouncer({"retention", "run", "--batch", "500"}));
  const int codes = a.wait() + b.wait();
  EXPECT_EQ(c.wait(), 0);
  EXPECT_EQ(d.wait(), 0);
  EXPECT_GE(codes, 3);  // the unknown customer fails its request: one worker exits 3
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE status = 'done' AND attempts = 1"),
            39);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.requests WHERE status = 'failed' AND attempts = 1"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'erase'"), 37);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE kind = 'erase' AND note IS NOT NULL"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM customers"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.leases"), 0);
  // Retention: each rule's work done once between the two runs.
  EXPECT_EQ(count("SELECT count(*) FROM clicks"), 0);
  EXPECT_EQ(count("SELECT sum(rows) FROM anonkit.runs WHERE rule = 'clicks'"), 50000);
  EXPECT_EQ(count("SELECT sum(rows) FROM anonkit.runs WHERE rule = 'visits'"), 20000);
  EXPECT_EQ(not_masked_once("SELECT original, email FROM visits", key), 0);
  // The pooled server sessions were left as the worker found them: no setting of its own leaks
  // to the pool's next clients (psql, four times: the pool has four server sessions).
  for (int i = 0; i < 4; ++i) {
    const std::string out = "/tmp/ak-bouncer-show-" + std::to_string(getpid());
    ASSERT_EQ(std::system(fmt::format("psql '{}' -XAtc 'SHOW extra_float_digits' -c 'SHOW "
                                      "client_connection_check_interval' -c 'SHOW "
                                      "tcp_keepalives_idle' > {}",
                                      bouncer_dsn, out)
                              .c_str()),
              0);
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str().substr(0, 4), "1\n0\n") << text.str();  // the defaults, not 3 and 1s
    EXPECT_EQ(text.str().find("\n30\n"), std::string::npos) << text.str();  // not the worker's
    std::remove(out.c_str());
  }
  (void)std::system(fmt::format("rm -rf {}", exports).c_str());
}

}  // namespace
}  // namespace anonkit::pg::testing
