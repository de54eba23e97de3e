// Ownership on a schema shaped like the public DVD-rental sample: payments of other customers
// pointing at the subject's rentals, a partitioned payment table whose foreign keys sit on one
// partition only with a keep-and-mask policy on the parent, owned addresses (one shared by two
// customers, one a staff member uses), non-canonical keys and a subject keyed on a non-unique
// column. Every expectation is computed by the test's own SQL from the schema's meaning.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "anonkit/pseudo/keyring.hpp"
#include "pg_fixture.hpp"
#include "subjects.hpp"

namespace anonkit::pg::testing {
namespace {

constexpr const char* kRental = R"sql(
CREATE TABLE city (city_id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE address (address_id int PRIMARY KEY, line text NOT NULL, city_id int REFERENCES city);
CREATE TABLE customer (customer_id int PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL,
                       address_id int NOT NULL REFERENCES address, store_no int);
CREATE TABLE staff (staff_id int PRIMARY KEY, name text NOT NULL, address_id int REFERENCES address);
CREATE TABLE rental (rental_id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer,
                     staff_id int NOT NULL REFERENCES staff, film text NOT NULL);
CREATE TABLE payment (payment_id int NOT NULL, customer_id int, rental_id int,
                      amount numeric NOT NULL, paid_at date NOT NULL,
                      PRIMARY KEY (payment_id, paid_at)) PARTITION BY RANGE (paid_at);
CREATE TABLE payment_2024 PARTITION OF payment FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE payment_2025 PARTITION OF payment FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- As in the sample: the foreign keys were added to one partition only.
ALTER TABLE payment_2024 ADD FOREIGN KEY (customer_id) REFERENCES customer;
ALTER TABLE payment_2024 ADD FOREIGN KEY (rental_id) REFERENCES rental;
CREATE INDEX ON payment (customer_id); CREATE INDEX ON payment (rental_id);
CREATE INDEX ON rental (customer_id); CREATE INDEX ON rental (staff_id);
CREATE INDEX ON customer (address_id); CREATE INDEX ON staff (address_id);

INSERT INTO city VALUES (1, 'Nairobi');
INSERT INTO address VALUES (1, 'Kilimani Rd 4', 1), (2, 'Westlands Ave 9', 1),
                           (3, 'Embakasi 12', 1), (4, 'Ngong Rd 77', 1);
INSERT INTO customer VALUES (1, 'alice.achieng@example.com', 'Alice Achieng', 1, 7),
                            (2, 'brian.kiprotich@example.com', 'Brian Kiprotich', 2, 7),
                            (3, 'carol.akinyi@example.com', 'Carol Akinyi', 2, 8),
                            (4, 'dan.otieno@example.com', 'Dan Otieno', 4, 8);
INSERT INTO staff VALUES (1, 'Mike Hillyer', 3);
INSERT INTO rental VALUES (10, 1, 1, 'ACADEMY DINOSAUR'), (11, 1, 1, 'ACE GOLDFINGER'),
                          (20, 2, 1, 'ADAPTATION HOLES'), (40, 4, 1, 'AFFAIR PREJUDICE');
INSERT INTO payment VALUES (100, 1, 10, 17.99, '2024-03-01'), (101, 2, 10, 4.99, '2024-03-02'),
                           (102, 1, NULL, 23.50, '2024-04-01'), (200, 1, 11, 35.00, '2025-02-01'),
                           (201, 3, 11, 2.99, '2025-02-03'), (202, 2, 20, 9.99, '2025-02-04'),
                           (400, 4, 40, 11.00, '2025-05-05');

INSERT INTO anonkit.subjects VALUES ('customer', 'public.customer', 'customer_id');
INSERT INTO anonkit.owned_parents (child_table, child_columns, parent_table, parent_columns)
  VALUES ('customer', '{address_id}', 'address', '{address_id}');
INSERT INTO anonkit.erasure_policy VALUES ('public.payment', 'mask', '{"amount": "bucket:10"}',
  'tax: payments kept 7 years');
)sql";

class Ownership : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    db::Transaction tx(*conn);
    tx.exec_script(kRental);
    tx.commit();
    key = key_file();
  }
  Outcome run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--key-file", key});
    return worker(args);
  }
  std::set<int> ids(const std::string& query) {
    std::set<int> out;
    for (const auto& r : sql(query).rows) out.insert(std::stoi(*r[0]));
    return out;
  }
  static std::set<int> json_ids(const nlohmann::json& rows, const std::string& column) {
    std::set<int> out;
    for (const auto& r : rows)
      out.insert(r.contains("key") ? r["key"][column].get<int>() : r[column].get<int>());
    return out;
  }
  std::string key;
};

TEST_F(Ownership, AccessExportsTheSubjectsRowsAndListsRowsSharedWithOthers) {
  const auto r = run({"access", "--subject", "customer", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  // Oracle: A's payments are those with A as customer; the other customers' payments that point
  // at one of A's rentals are shared.
  EXPECT_EQ(json_ids(doc["tables"]["public.payment"], "payment_id"),
            ids("SELECT payment_id FROM payment WHERE customer_id = 1"));
  EXPECT_EQ(json_ids(doc["shared"]["public.payment"], "payment_id"),
            ids("SELECT payment_id FROM payment WHERE customer_id <> 1 AND rental_id IN "
                "(SELECT rental_id FROM rental WHERE customer_id = 1)"));
  EXPECT_EQ(json_ids(doc["tables"]["public.rental"], "rental_id"),
            ids("SELECT rental_id FROM rental WHERE customer_id = 1"));
  EXPECT_EQ(json_ids(doc["tables"]["public.address"], "address_id"), (std::set<int>{1}));
  for (const auto& t : {"public.staff", "public.city"}) {
    EXPECT_FALSE(doc["tables"].contains(t)) << t;
    EXPECT_FALSE(doc["shared"].contains(t)) << t;
  }
  // Shared rows are listed by key and reference, never in full.
  for (const auto& s : doc["shared"]["public.payment"]) {
    EXPECT_FALSE(s.contains("amount"));
    EXPECT_EQ(s["via"], nlohmann::json::array({"payment_2024_rental_id_fkey"})) << s.dump();
  }
  // Carol shares her address with Brian: listed, not exported.
  const auto c = nlohmann::json::parse(run({"access", "--subject", "customer", "--key", "3"}).out);
  EXPECT_FALSE(c["tables"].contains("public.address"));
  EXPECT_EQ(json_ids(c["shared"]["public.address"], "address_id"), (std::set<int>{2}));
}

TEST_F(Ownership, EraseDeletesOnlyTheSubjectsRowsKeepsPaymentsMaskedAndDetachesOthers) {
  auto rows_of = [&](const std::string& where) {
    return checksum(fmt::format("(SELECT * FROM payment WHERE {})", where), "1");
  };
  // What must not change at all, and what only loses its reference to A's rentals.
  const auto untouched = rows_of("customer_id <> 1 AND coalesce(rental_id, 0) NOT IN (10, 11)");
  const auto others_on_a = checksum(
      "(SELECT payment_id, customer_id, paid_at FROM payment WHERE customer_id <> 1 AND "
      "rental_id IN (10, 11))",
      "1");
  const auto rest = checksum(
      "(SELECT (SELECT string_agg(c::text, '|' ORDER BY customer_id) FROM customer c WHERE "
      "customer_id <> 1), (SELECT string_agg(a::text, '|' ORDER BY address_id) FROM address a "
      "WHERE address_id <> 1), (SELECT string_agg(s::text, '|') FROM staff s), (SELECT "
      "string_agg(x::text, '|') FROM city x), (SELECT string_agg(r::text, '|' ORDER BY "
      "rental_id) FROM rental r WHERE customer_id <> 1))",
      "1");
  const auto r = run({"erase", "--subject", "customer", "--key", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto receipt = nlohmann::json::parse(r.out);
  EXPECT_EQ(receipt["tables"]["public.rental"]["deleted"], 2);
  EXPECT_EQ(receipt["tables"]["public.customer"]["deleted"], 1);
  EXPECT_EQ(receipt["tables"]["public.address"]["deleted"], 1);
  // A's 3, in both partitions, and the 2 shared ones: a shared row is detached and gets the
  // table's policy masks (DESIGN, ownership rule 3), its other owner's reference stays.
  EXPECT_EQ(receipt["tables"]["public.payment"]["masked"], 5);
  EXPECT_EQ(receipt["tables"]["public.payment"]["detached"], 5);  // A's 3 and the 2 shared
  EXPECT_FALSE(receipt["tables"]["public.payment"].contains("deleted"));

  EXPECT_EQ(count("SELECT count(*) FROM rental WHERE rental_id IN (10, 11)"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM customer WHERE customer_id = 1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM address WHERE address_id = 1"), 0);
  // A's payments stay (tax), in the partition without foreign keys too: masked and detached.
  EXPECT_EQ(sql("SELECT string_agg(payment_id || ':' || coalesce(customer_id::text, '-') || ':' "
                "|| coalesce(rental_id::text, '-') || ':' || amount, ' ' ORDER BY payment_id) "
                "FROM payment WHERE payment_id IN (100, 102, 200)")
                .scalar(),
            "100:-:-:10 102:-:-:20 200:-:-:30");
  // Other customers' payments for A's rentals: the reference to the rental is gone, the amount
  // masked as the policy says; whose payment it is and when it was made stay.
  EXPECT_EQ(count("SELECT count(*) FROM payment WHERE payment_id IN (101, 201) AND rental_id IS "
                  "NULL AND amount = 0"),
            2);
  EXPECT_EQ(checksum("(SELECT payment_id, customer_id, paid_at FROM payment WHERE "
                     "payment_id IN (101, 201))",
                     "1"),
            others_on_a);
  EXPECT_EQ(rows_of("customer_id IS NOT NULL AND coalesce(rental_id, 0) NOT IN (10, 11) AND "
                    "payment_id NOT IN (101, 201)"),
            untouched);
  EXPECT_EQ(checksum("(SELECT (SELECT string_agg(c::text, '|' ORDER BY customer_id) FROM "
                     "customer c WHERE customer_id <> 1), (SELECT string_agg(a::text, '|' ORDER "
                     "BY address_id) FROM address a WHERE address_id <> 1), (SELECT "
                     "string_agg(s::text, '|') FROM staff s), (SELECT string_agg(x::text, '|') "
                     "FROM city x), (SELECT string_agg(r::text, '|' ORDER BY rental_id) FROM "
                     "rental r WHERE customer_id <> 1))",
                     "1"),
            rest);
  // Nothing of A in the worker's output or tables.
  for (const auto& text : {r.out, r.err,
                           scalar("SELECT string_agg(counts::text || "
                                  "coalesce(note, ''), '|') FROM anonkit.audit")})
    EXPECT_EQ(text.find("achieng"), std::string::npos) << text;
}

TEST_F(Ownership, AnAddressSharedByTwoCustomersIsKeptWhenOneIsErased) {
  const auto r = run({"erase", "--subject", "customer", "--key", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM address WHERE address_id = 2"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM customer WHERE customer_id = 3 AND address_id = 2"), 1);
  // Brian's payment 101 pointed at Alice's rental: shared, kept, Brian's reference removed.
  EXPECT_EQ(sql("SELECT coalesce(customer_id::text, '-') || ':' || rental_id FROM payment WHERE "
                "payment_id = 101")
                .scalar(),
            "-:10");
  EXPECT_EQ(count("SELECT count(*) FROM rental WHERE rental_id = 20"), 0);
}

TEST_F(Ownership, KeysAreCanonicalAndATombstoneBringsNoOneBack) {
  const auto hash = hash_subject_key("customer", "4", *pseudo::Keyring::from_file(key));
  const auto a = run({"access", "--subject", "customer", "--key", " 4"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["key"], "4");
  const auto r = run({"erase", "--subject", "customer", "--key", "04"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["key_hash"], hash);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.audit WHERE subject_key_hash = $1", {hash}), 2);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.erasures WHERE subject_key_hash = $1", {hash}), 1);
  // A restore brings Dan back; replay finds him by the tombstone of "04".
  (void)sql("INSERT INTO address VALUES (4, 'Ngong Rd 77', 1)");
  (void)sql("INSERT INTO customer VALUES (4, 'dan.otieno@example.com', 'Dan Otieno', 4, 8)");
  const auto again = run({"erase", "--subject", "customer", "--replay"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "erase --replay: 1 customer erased again\n");
  EXPECT_EQ(count("SELECT count(*) FROM customer WHERE customer_id = 4"), 0);
  EXPECT_EQ(run({"erase", "--subject", "customer", "--key", "1"}).exit_code, 0);
}

TEST_F(Ownership, ASubjectKeyedOnANonUniqueColumnIsRefusedAndOnlyIt) {
  (void)sql("INSERT INTO anonkit.subjects VALUES ('store_member', 'public.customer', 'store_no')");
  for (const std::string cmd : {"access", "erase"}) {
    const auto r = run({cmd, "--subject", "store_member", "--key", "7"});
    EXPECT_EQ(r.exit_code, 1) << cmd << r.err;
    EXPECT_NE(r.err.find("key column 'store_no' of public.customer is not NOT NULL"),
              std::string::npos)
        << r.err;
  }
  (void)sql("UPDATE customer SET store_no = customer_id");
  (void)sql("ALTER TABLE customer ALTER store_no SET NOT NULL");
  EXPECT_NE(run({"access", "--subject", "store_member", "--key", "1"}).err.find("is not unique"),
            std::string::npos);
  // The other subject kind keeps working, and doctor names the broken one.
  EXPECT_EQ(run({"access", "--subject", "customer", "--key", "2"}).exit_code, 0);
  const auto d = run({"doctor"});
  EXPECT_NE(d.exit_code, 0);
  EXPECT_NE(d.out.find("subject 'store_member'"), std::string::npos) << d.out;
}

TEST_F(Ownership, ANotNullReferenceFromARowThatStaysRefusesBeforeAnyChange) {
  (void)sql(
      "CREATE TABLE review (id int PRIMARY KEY, rental_id int NOT NULL REFERENCES rental, "
      "author_id int NOT NULL REFERENCES customer, stars int)");
  (void)sql("INSERT INTO review VALUES (1, 10, 2, 5)");  // Brian reviews Alice's rental
  const auto before = checksum("rental", "rental_id") + checksum("payment", "payment_id");
  const auto r = run({"erase", "--subject", "customer", "--key", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("through public.review.rental_id, which is NOT NULL"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("achieng"), std::string::npos);
  EXPECT_EQ(checksum("rental", "rental_id") + checksum("payment", "payment_id"), before);
}

TEST_F(Ownership, DoctorNamesPartitionsWithDifferentKeysAndReferencesWithoutAnIndex) {
  const auto d = run({"doctor"});
  EXPECT_NE(d.out.find("the partitions of public.payment declare different foreign keys "
                       "(public.payment_2024: (customer_id) -> customer; (rental_id) -> rental; "
                       "public.payment_2025: none)"),
            std::string::npos)
      << d.out;
  EXPECT_EQ(d.out.find("public.customer(address_id) has no index"), std::string::npos) << d.out;
  // The owned-parent declaration's columns lose their index; then a link whose columns have one
  // on one partition only.
  (void)sql("DROP INDEX customer_address_id_idx");
  (void)sql("DROP INDEX payment_rental_id_idx");
  (void)sql("CREATE INDEX ON payment_2024 (rental_id)");
  (void)sql(
      "INSERT INTO anonkit.links (child_table, child_columns, parent_table, parent_columns) "
      "VALUES ('payment', '{rental_id}', 'rental', '{rental_id}')");
  const auto again = run({"doctor"});
  EXPECT_NE(again.out.find("public.customer(address_id) has no index (on every partition)"),
            std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("public.payment(rental_id) has no index (on every partition)"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(again.out.find("public.payment(customer_id) has no index"), std::string::npos);
}

}  // namespace
}  // namespace anonkit::pg::testing
