// Rows with more than one person in them, against a real PostgreSQL: a claim with a patient and an
// adjuster (two subject kinds), a reply thread across people, transfers between two people, kept
// invoices with kept lines, and a table declared ON DELETE SET NULL. Each expectation is computed
// by the test's own SQL from what the rows mean (a recursive query for the thread), never by the
// planner, and everything outside the expected change is compared byte for byte.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "pg_fixture.hpp"

namespace anonkit::pg::testing {
namespace {

constexpr const char* kSchema = R"sql(
-- Claims: a patient and an adjuster on one row.
CREATE TABLE patient (patient_id int PRIMARY KEY, name text NOT NULL, national_id text NOT NULL UNIQUE);
CREATE TABLE adjuster (adjuster_id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE claim (claim_id int PRIMARY KEY, patient_id int REFERENCES patient,
                    adjuster_id int REFERENCES adjuster, diagnosis text NOT NULL, amount numeric NOT NULL);
CREATE TABLE claim_note (note_id int PRIMARY KEY, claim_id int NOT NULL REFERENCES claim, body text NOT NULL);
INSERT INTO patient VALUES (1, 'Wanjiru Kamau', 'KE29384756'), (2, 'Otieno Odhiambo', 'KE55501234');
INSERT INTO adjuster VALUES (1, 'Grace Muthoni'), (2, 'Peter Njoroge');
INSERT INTO claim VALUES (10, 1, 1, 'J45 asthma', 1200), (11, 1, NULL, 'S52 fracture', 800),
                         (12, 2, 1, 'E11 diabetes', 430), (13, 2, 2, 'I10 hypertension', 95);
INSERT INTO claim_note VALUES (100, 10, 'inhaler approved'), (101, 11, 'cast, 6 weeks'),
                              (102, 12, 'metformin'), (103, 13, 'follow-up in March');

-- A thread: replies point at the post they answer.
CREATE TABLE member (member_id int PRIMARY KEY, handle text NOT NULL UNIQUE);
CREATE TABLE post (post_id int PRIMARY KEY, author_id int REFERENCES member,
                   parent_id int REFERENCES post, body text NOT NULL);
CREATE INDEX ON post (author_id); CREATE INDEX ON post (parent_id);
INSERT INTO member VALUES (1, 'amani_wafula'), (2, 'baraka_kip'), (3, 'chebet_rono');
INSERT INTO post VALUES (1, 1, NULL, 'which clinic in Kisumu?'), (2, 2, 1, 'try the one on Oginga'),
                        (3, 1, 2, 'thanks, booked'), (4, 3, 3, 'same here'),
                        (5, 2, NULL, 'pharmacy hours?'), (6, 1, 5, 'till 9pm'),
                        (7, 1, 1, 'update: all good'), (8, 3, NULL, 'new topic'),
                        (9, 2, 8, 'reply to C');

-- Transfers between two holders.
CREATE TABLE holder (holder_id int PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE transfer (transfer_id int PRIMARY KEY, from_holder int REFERENCES holder,
                       to_holder int REFERENCES holder, amount numeric NOT NULL, memo text);
INSERT INTO holder VALUES (1, 'akinyi.o@example.org'), (2, 'brian.m@example.org'),
                          (3, 'cynthia.w@example.org');
INSERT INTO transfer VALUES (1, 1, 2, 250, 'rent share'), (2, 2, 1, 40, 'lunch'),
                            (3, 1, 1, 10, 'own savings'), (4, 2, 3, 75, 'books'),
                            (5, 1, NULL, 5, 'airtime');

-- A music shop: invoices and their lines are kept for tax.
CREATE TABLE listener (listener_id int PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE invoice (invoice_id int PRIMARY KEY, listener_id int REFERENCES listener,
                      billing_address text, total numeric NOT NULL);
CREATE TABLE invoice_line (line_id int PRIMARY KEY, invoice_id int NOT NULL REFERENCES invoice,
                           track text NOT NULL, unit_price numeric NOT NULL);
INSERT INTO listener VALUES (1, 'leah.n@example.net'), (2, 'moses.k@example.net');
INSERT INTO invoice VALUES (1, 1, 'Moi Ave 3, Mombasa', 1.98), (2, 1, 'Moi Ave 3, Mombasa', 0.99),
                           (3, 2, 'Kenyatta Ave 8, Nakuru', 3.96);
INSERT INTO invoice_line VALUES (1, 1, 'Malaika', 0.99), (2, 1, 'Jambo Bwana', 0.99),
                                (3, 2, 'Sina Makosa', 0.99), (4, 3, 'Shauri Yako', 3.96);

INSERT INTO anonkit.subjects VALUES ('patient', 'public.patient', 'patient_id'),
                                    ('adjuster', 'public.adjuster', 'adjuster_id'),
                                    ('member', 'public.member', 'member_id'),
                                    ('holder', 'public.holder', 'holder_id'),
                                    ('listener', 'public.listener', 'listener_id');
INSERT INTO anonkit.erasure_policy VALUES
  ('public.invoice', 'mask', '{"billing_address": "null"}', 'tax: 7 years'),
  ('public.invoice_line', 'mask', '{"unit_price": "bucket:1"}', 'tax: 7 years');
)sql";

class MultiParty : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    db::Transaction tx(*conn);
    tx.exec_script(kSchema);
    tx.commit();
    key = key_file();
  }
  Outcome run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--key-file", key});
    return worker(args);
  }
  // Every row of `table` as text, in key order: the byte-level picture of a table.
  std::string rows(const std::string& table, const std::string& where = "true") {
    return scalar(fmt::format(
        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t), '') FROM {} t WHERE {}", table,
        where));
  }
  std::string key;
};

TEST_F(MultiParty, ErasingTheAdjusterKeepsThePatientsClaimsAndOnlyRemovesTheAdjuster) {
  const auto patients = rows("patient"), notes = rows("claim_note");
  const auto others = rows("claim", "adjuster_id IS DISTINCT FROM 1");
  // Oracle: every claim of adjuster 1 has a patient, so each one stays with only adjuster_id
  // gone.
  const auto expected = rows(
      "(SELECT claim_id, patient_id, NULL::int AS adjuster_id, diagnosis, amount FROM claim "
      "WHERE adjuster_id = 1)");
  const auto r = run({"erase", "--subject", "adjuster", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  EXPECT_EQ(receipt["tables"]["public.adjuster"]["deleted"], 1);
  EXPECT_EQ(receipt["tables"]["public.claim"]["detached"], 2);
  EXPECT_FALSE(receipt["tables"]["public.claim"].contains("deleted"));
  EXPECT_EQ(rows("claim", "claim_id IN (10, 12)"), expected);
  EXPECT_EQ(rows("claim", "claim_id NOT IN (10, 12)"), others);
  EXPECT_EQ(rows("patient"), patients);
  EXPECT_EQ(rows("claim_note"), notes);
  EXPECT_EQ(rows("adjuster"), "(2,\"Peter Njoroge\")");
}

TEST_F(MultiParty, ErasingThePatientDeletesOnlyClaimsNoAdjusterSharesAndDetachesTheRest) {
  // Oracle: claims of patient 1 without an adjuster are the patient's alone (deleted with their
  // notes); claims with an adjuster stay, without the patient.
  const auto alone = rows("claim", "patient_id = 1 AND adjuster_id IS NULL");
  ASSERT_FALSE(alone.empty());
  const auto kept = rows(
      "(SELECT claim_id, NULL::int, adjuster_id, diagnosis, amount FROM claim WHERE patient_id = 1 "
      "AND adjuster_id IS NOT NULL)");
  const auto other_claims = rows("claim", "patient_id IS DISTINCT FROM 1");
  const auto kept_notes =
      rows("claim_note",
           "claim_id NOT IN (SELECT claim_id FROM claim WHERE patient_id = 1 AND "
           "adjuster_id IS NULL)");
  const auto adjusters = rows("adjuster");
  const auto r = run({"erase", "--subject", "patient", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM claim WHERE claim_id = 11"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM claim_note WHERE claim_id = 11"), 0);
  EXPECT_EQ(rows("claim", "claim_id = 10"), kept);
  EXPECT_EQ(rows("claim", "patient_id IS DISTINCT FROM 1 AND claim_id <> 10"), other_claims);
  EXPECT_EQ(rows("claim_note"), kept_notes);
  EXPECT_EQ(rows("adjuster"), adjusters);
  EXPECT_EQ(count("SELECT count(*) FROM patient"), 1);
  // Access of the adjuster lists the patient's former claim as the adjuster's own now.
  const auto a = nlohmann::json::parse(run({"access", "--subject", "adjuster", "--key", "1"}).out);
  EXPECT_EQ(a["tables"]["public.claim"].size(), 1u) << a.dump();
}

TEST_F(MultiParty, AReplyThreadLosesOnlyTheSubjectsOwnPostsAndTheirReferences) {
  // Oracle, by recursion over the thread: the people a post belongs to are the authors of the
  // post and of every post above it. A post of member 1 alone goes; a post with other people in
  // it stays, with member 1's authorship and any reference to a deleted post removed.
  const std::string people = R"sql(
    WITH RECURSIVE up(post_id, cur) AS (
      SELECT post_id, post_id FROM post
      UNION SELECT up.post_id, p.parent_id FROM up JOIN post p ON p.post_id = up.cur
      WHERE p.parent_id IS NOT NULL)
    SELECT up.post_id, array_agg(DISTINCT p.author_id) FILTER (WHERE p.author_id IS NOT NULL) AS who
    FROM up JOIN post p ON p.post_id = up.cur GROUP BY up.post_id)sql";
  const std::string gone = fmt::format("SELECT post_id FROM ({}) x WHERE who = ARRAY[1]", people);
  const std::string shared =
      fmt::format("SELECT post_id FROM ({}) x WHERE 1 = ANY(who) AND cardinality(who) > 1", people);
  const auto deleted =
      scalar(fmt::format("SELECT string_agg(post_id::text, ',' ORDER BY post_id) "
                         "FROM ({}) g",
                         gone));
  ASSERT_EQ(deleted, "1,7");  // the fixture's thread, as the oracle reads it
  const auto expected_shared = rows(fmt::format(
      "(SELECT post_id, CASE WHEN author_id = 1 THEN NULL ELSE author_id END, CASE WHEN parent_id "
      "IN ({0}) THEN NULL ELSE parent_id END, body FROM post WHERE post_id IN ({1}))",
      gone, shared));
  const auto untouched =
      rows("post", fmt::format("post_id NOT IN ({}) AND post_id NOT IN ({})", gone, shared));
  const auto members = rows("member", "member_id <> 1");
  const auto r = run({"erase", "--subject", "member", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM post WHERE post_id IN (1, 7)"), 0);
  EXPECT_EQ(rows("post", "post_id IN (2, 3, 4, 6)"), expected_shared);
  EXPECT_EQ(rows("post", "post_id IN (5, 8, 9)"), untouched);
  EXPECT_EQ(rows("member", "member_id <> 1"), members);
  EXPECT_EQ(count("SELECT count(*) FROM member WHERE member_id = 1"), 0);
}

TEST_F(MultiParty, ATransferBetweenTwoPeopleStaysForTheOtherAndTheSubjectsOwnGo) {
  const auto untouched = rows("transfer",
                              "1 NOT IN (coalesce(from_holder, 0), "
                              "coalesce(to_holder, 0))");
  // Oracle: a transfer with only holder 1 on it (to themself, or out of the system) is 1's; a
  // transfer with a second holder stays with 1's side removed.
  const auto expected = rows(
      "(SELECT transfer_id, CASE WHEN from_holder = 1 THEN NULL ELSE from_holder END, CASE WHEN "
      "to_holder = 1 THEN NULL ELSE to_holder END, amount, memo FROM transfer WHERE "
      "(from_holder = 1 AND to_holder <> 1) OR (to_holder = 1 AND from_holder <> 1))");
  const auto access = run({"access", "--subject", "holder", "--key", "1"});
  ASSERT_EQ(access.exit_code, 0) << access.err;
  const auto doc = nlohmann::json::parse(access.out);
  EXPECT_EQ(doc["tables"]["public.transfer"].size(), 2u) << doc.dump();  // 3 and 5
  EXPECT_EQ(doc["shared"]["public.transfer"].size(), 2u) << doc.dump();  // 1 and 2
  for (const auto& s : doc["shared"]["public.transfer"]) EXPECT_FALSE(s.contains("memo"));

  const auto r = run({"erase", "--subject", "holder", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM transfer WHERE transfer_id IN (3, 5)"), 0);
  EXPECT_EQ(rows("transfer", "transfer_id IN (1, 2)"), expected);
  EXPECT_EQ(rows("transfer", "transfer_id NOT IN (1, 2, 3, 5)"), untouched);
  EXPECT_EQ(count("SELECT count(*) FROM holder"), 2);
}

TEST_F(MultiParty, KeptInvoicesKeepTheirKeptLines) {
  const auto others = rows("invoice", "listener_id <> 1") + rows("invoice_line", "invoice_id = 3");
  const auto expected_invoices =
      rows("(SELECT invoice_id, NULL::int, NULL::text, total FROM invoice WHERE listener_id = 1)");
  const auto expected_lines = rows(
      "(SELECT line_id, invoice_id, track, floor(unit_price) FROM invoice_line WHERE invoice_id "
      "IN (SELECT invoice_id FROM invoice WHERE listener_id = 1))");
  const auto r = run({"erase", "--subject", "listener", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  EXPECT_EQ(receipt["tables"]["public.invoice"]["masked"], 2);
  EXPECT_EQ(receipt["tables"]["public.invoice_line"]["masked"], 3);
  EXPECT_FALSE(receipt["tables"]["public.invoice_line"].contains("detached"));
  EXPECT_EQ(rows("invoice", "invoice_id IN (1, 2)"), expected_invoices);
  EXPECT_EQ(rows("(SELECT line_id, invoice_id, track, unit_price FROM invoice_line WHERE "
                 "invoice_id IN (1, 2))"),
            expected_lines);
  EXPECT_EQ(rows("invoice", "listener_id <> 1") + rows("invoice_line", "invoice_id = 3"), others);
}

TEST_F(MultiParty, AnOnDeleteSetNullTableNeedsAPolicyAndThenFollowsIt) {
  (void)sql(
      "CREATE TABLE ticket (ticket_id int PRIMARY KEY, listener_id int REFERENCES listener ON "
      "DELETE SET NULL, topic text NOT NULL)");
  (void)sql("INSERT INTO ticket VALUES (1, 1, 'refund'), (2, 2, 'login'), (3, 1, 'invoice copy')");
  const auto before = rows("invoice") + rows("invoice_line") + rows("ticket") + rows("listener");
  const auto refused = run({"erase", "--subject", "listener", "--key", "1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("public.ticket is reached through ticket_listener_id_fkey, declared "
                             "ON DELETE SET NULL"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(rows("invoice") + rows("invoice_line") + rows("ticket") + rows("listener"), before);
  const auto plan = run({"plan", "--subject", "listener"});
  EXPECT_NE(plan.out.find("public.ticket"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("ON DELETE SET NULL"), std::string::npos) << plan.out;

  // A mask policy: the tickets stay, masked and without the listener.
  (void)sql(
      "INSERT INTO anonkit.erasure_policy VALUES ('public.ticket', 'mask', "
      "'{\"topic\": \"redact\"}', 'support history')");
  const auto r = run({"erase", "--subject", "listener", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rows("ticket"), "(1,,[REDACTED])\n(2,2,login)\n(3,,[REDACTED])");

  // A delete policy on the next one: the listener's tickets go, the others' stay.
  (void)sql(
      "UPDATE anonkit.erasure_policy SET action = 'delete', mask = NULL WHERE table_name = "
      "'public.ticket'");
  (void)sql("INSERT INTO ticket VALUES (4, 2, 'password')");
  const auto d = run({"erase", "--subject", "listener", "--key", "2"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(rows("ticket"), "(1,,[REDACTED])\n(3,,[REDACTED])");
}

TEST_F(MultiParty, AKeptTimestamptzIsBucketedInUtcWhateverTheSessionTimeZone) {
  (void)sql(
      "CREATE TABLE visit (visit_id int PRIMARY KEY, patient_id int REFERENCES patient, seen_at "
      "timestamptz NOT NULL)");
  (void)sql(
      "INSERT INTO visit VALUES (1, 1, '2025-03-31 23:30:00+00'), (2, 1, '2025-04-01 "
      "00:10:00+03'), (3, 2, '2025-05-05 10:00:00+00')");
  (void)sql(
      "INSERT INTO anonkit.erasure_policy VALUES ('public.visit', 'mask', "
      "'{\"seen_at\": \"bucket:month\"}', 'statistics')");
  // Oracle: the month of each instant in UTC.
  const auto expected = rows(
      "(SELECT visit_id, NULL::int, (date_trunc('month', seen_at AT TIME ZONE 'UTC') AT TIME ZONE "
      "'UTC') FROM visit WHERE patient_id = 1)");
  const auto other = rows("visit", "patient_id = 2");
  const auto r = worker({"--key-file", key, "erase", "--subject", "patient", "--key", "1"},
                        {"PGTZ=Pacific/Chatham", "PGOPTIONS=-c DateStyle=SQL,DMY"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rows("visit", "visit_id IN (1, 2)"), expected);
  EXPECT_EQ(rows("visit", "patient_id = 2"), other);
  EXPECT_EQ(scalar("SELECT string_agg(to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
                   "' ' ORDER BY visit_id) FROM visit WHERE visit_id IN (1, 2)"),
            "2025-03-01 00:00 2025-03-01 00:00");
}

}  // namespace
}  // namespace anonkit::pg::testing
