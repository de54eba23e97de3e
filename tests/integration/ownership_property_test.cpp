// Property test of the Destroyer against a real PostgreSQL: random schemas (two subject kinds,
// a random DAG of tables whose references are foreign keys or anonkit.links, self-references,
// NULLs, NOT NULL columns, keep-and-mask policies) and random data; for random subjects, the
// database after the erase must equal what an oracle written here from the definition predicts,
// row for row. The oracle works on the generated values in memory and never calls the planner:
// a row's people are the root rows its chains of references (child to parent) end at; rows with
// the subject alone go (or are masked and detached under a policy), rows with someone else in
// them stay with their references to deleted rows set to NULL, and everything else is unchanged.
// When a reference that would have to be set to NULL is NOT NULL, the erase must refuse and
// change nothing. A negative control counts the cases where the old "reachable is the
// subject's" rule predicts a different database, so the comparison is able to fail.
#include <fmt/format.h>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "anonkit/error.hpp"
#include "anonkit/pseudo/keyring.hpp"
#include "destroyer.hpp"
#include "pg_fixture.hpp"

namespace anonkit::pg::testing {
namespace {

struct Ref {
  std::string column, parent;  // parent table (a root table or an earlier one, or itself)
  bool link = false;           // declared in anonkit.links instead of as a foreign key
  bool not_null = false;
};
struct Table {
  std::string name;
  bool root = false;
  bool policy = false;  // erasure_policy mask {"payload": "redact"}
  std::vector<Ref> refs;
  // id -> values of refs (nullopt is NULL)
  std::map<int, std::vector<std::optional<int>>> rows;
};
using Schema = std::vector<Table>;

Schema generate(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](int percent) { return pick(1, 100) <= percent; };
  Schema s;
  for (const char* root : {"k0", "k1"}) {
    Table t{root, true, false, {}, {}};
    const int people = pick(2, 4);
    for (int id = 1; id <= people; ++id) t.rows[id] = {};
    s.push_back(t);
  }
  const int n = pick(2, 5);
  for (int i = 0; i < n; ++i) {
    Table t{fmt::format("t{}", i), false, chance(20), {}, {}};
    const int refs = pick(1, 3);
    for (int j = 0; j < refs; ++j) {
      // Parents: a root, an earlier table, or (rarely) the table itself, as a reply thread.
      const int choice = pick(0, static_cast<int>(s.size()));
      Ref r;
      r.parent = choice == static_cast<int>(s.size()) ? t.name : s[choice].name;
      r.column = fmt::format("r{}_{}", j, r.parent);
      r.link = chance(25);
      r.not_null = r.parent != t.name && chance(15);
      bool dup = false;
      for (const auto& o : t.refs) dup = dup || o.column == r.column;
      if (!dup) t.refs.push_back(r);
    }
    s.push_back(t);
    Table& me = s.back();
    const int rows = pick(3, 8);
    for (int id = 1; id <= rows; ++id) {
      std::vector<std::optional<int>> v;
      for (const auto& r : me.refs) {
        const auto parent =
            std::find_if(s.begin(), s.end(), [&](const Table& x) { return x.name == r.parent; });
        std::vector<int> ids;  // for a self-reference: the rows made so far
        for (const auto& [pid, _] : parent->rows) ids.push_back(pid);
        if (ids.empty() || (!r.not_null && chance(30))) {
          v.push_back(std::nullopt);
        } else {
          v.push_back(ids[static_cast<std::size_t>(pick(0, static_cast<int>(ids.size()) - 1))]);
        }
      }
      // A NOT NULL reference needs a value; without a parent row the row is not generated.
      bool ok = true;
      for (std::size_t k = 0; k < v.size(); ++k) ok = ok && (v[k] || !me.refs[k].not_null);
      if (ok) me.rows[id] = v;
    }
  }
  return s;
}

const Table& table(const Schema& s, const std::string& name) {
  for (const auto& t : s)
    if (t.name == name) return t;
  throw std::logic_error("no table " + name);
}

std::string payload(const std::string& table, int id) { return fmt::format("p-{}-{}", table, id); }

// The root rows (table, id) that the row's reference chains end at.
std::set<std::pair<std::string, int>> people(const Schema& s, const std::string& t, int id) {
  std::set<std::pair<std::string, int>> out, seen;
  std::function<void(const std::string&, int)> walk = [&](const std::string& name, int row) {
    if (!seen.insert({name, row}).second) return;
    const Table& x = table(s, name);
    if (x.root) {
      out.insert({name, row});
      return;
    }
    const auto& values = x.rows.at(row);
    for (std::size_t k = 0; k < x.refs.size(); ++k)
      if (values[k]) walk(x.refs[k].parent, *values[k]);
  };
  walk(t, id);
  return out;
}

struct Expected {
  bool refused = false;
  std::map<std::string, std::string> dump;  // table -> rows as text
};

// What the database holds after erasing (root, id). `naive`: the replaced rule, every row that
// reaches the subject is the subject's alone.
Expected predict(const Schema& s, const std::string& root, int subject, bool naive) {
  std::map<std::string, std::set<int>> deleted, kept_masked, shared;
  deleted[root].insert(subject);
  for (const auto& t : s) {
    if (t.root) continue;
    for (const auto& [id, _] : t.rows) {
      const auto who = people(s, t.name, id);
      if (!who.count({root, subject})) continue;
      if (who.size() == 1 || naive) {
        (t.policy ? kept_masked : deleted)[t.name].insert(id);
      } else {
        shared[t.name].insert(id);
      }
    }
  }
  Expected e;
  for (const auto& t : s) {
    std::string dump;
    for (const auto& [id, values] : t.rows) {
      if (deleted[t.name].count(id)) continue;
      const bool in_subject = kept_masked[t.name].count(id) || shared[t.name].count(id);
      std::string line =
          fmt::format("{}|{}", id, in_subject && t.policy ? "[REDACTED]" : payload(t.name, id));
      for (std::size_t k = 0; k < t.refs.size(); ++k) {
        std::optional<int> v = values[k];
        if (v && deleted[t.refs[k].parent].count(*v)) {
          if (t.refs[k].not_null) e.refused = true;
          v.reset();
        }
        line += "|" + (v ? std::to_string(*v) : std::string("-"));
      }
      dump += line + "\n";
    }
    e.dump[t.name] = dump;
  }
  return e;
}

class OwnershipProperty : public PgTest {
 protected:
  void create(const Schema& s) {
    db::Transaction tx(*conn);
    tx.exec_script(
        "DROP SCHEMA IF EXISTS r CASCADE; CREATE SCHEMA r; DELETE FROM anonkit.subjects; "
        "DELETE FROM anonkit.links; DELETE FROM anonkit.erasure_policy;");
    for (const auto& t : s) {
      std::string cols = "id int PRIMARY KEY, payload text NOT NULL";
      for (const auto& r : t.refs) {
        cols += fmt::format(", {} int{}", r.column, r.not_null ? " NOT NULL" : "");
        if (!r.link) cols += fmt::format(" REFERENCES r.{}", r.parent);
      }
      (void)tx.exec(fmt::format("CREATE TABLE r.{} ({})", t.name, cols));
      for (const auto& r : t.refs) {
        (void)tx.exec(fmt::format("CREATE INDEX ON r.{} ({})", t.name, r.column));
        if (r.link)
          (void)tx.exec(
              "INSERT INTO anonkit.links (child_table, child_columns, parent_table, "
              "parent_columns) VALUES ($1, ARRAY[$2], $3, '{id}')",
              {"r." + t.name, r.column, "r." + r.parent});
      }
      if (t.root)
        (void)tx.exec("INSERT INTO anonkit.subjects VALUES ($1, $2, 'id')",
                      {t.name, "r." + t.name});
      if (t.policy)
        (void)tx.exec(
            "INSERT INTO anonkit.erasure_policy VALUES ($1, 'mask', '{\"payload\": \"redact\"}', "
            "'kept')",
            {"r." + t.name});
    }
    tx.commit();
  }
  void fill(const Schema& s) {
    db::Transaction tx(*conn);
    std::string names;
    for (const auto& t : s) names += (names.empty() ? "r." : ", r.") + t.name;
    (void)tx.exec("TRUNCATE " + names);
    for (const auto& t : s)
      for (const auto& [id, values] : t.rows) {
        db::Params p{std::to_string(id), payload(t.name, id)};
        std::string marks = "$1, $2";
        for (const auto& v : values) {
          p.push_back(v ? db::Value(std::to_string(*v)) : db::Value());
          marks += fmt::format(", ${}", p.size());
        }
        (void)tx.exec(fmt::format("INSERT INTO r.{} VALUES ({})", t.name, marks), p);
      }
    tx.commit();
  }
  std::map<std::string, std::string> dump(const Schema& s) {
    std::map<std::string, std::string> out;
    for (const auto& t : s) {
      std::string cols = "id::text || '|' || payload";
      for (const auto& r : t.refs)
        cols += fmt::format(" || '|' || coalesce({}::text, '-')", r.column);
      out[t.name] = scalar(fmt::format(
          "SELECT coalesce(string_agg({} || E'\\n', '' ORDER BY id), '') FROM r.{}", cols, t.name));
    }
    return out;
  }
};

TEST_F(OwnershipProperty, EraseChangesExactlyWhatTheDefinitionSays) {
  const unsigned seed = std::random_device{}();
  std::printf("[ info ] seed %u\n", seed);
  std::mt19937 rng(seed);
  EraseOptions options;
  options.keyring = pseudo::Keyring::from_file(key_file());
  int erased = 0, refused = 0, naive_differs = 0, shared_seen = 0;
  for (int round = 0; round < 40; ++round) {
    const Schema s = generate(rng);
    create(s);
    for (int k = 0; k < 3; ++k) {
      const std::string root = k % 2 ? "k1" : "k0";
      const auto& roots = table(s, root).rows;
      const int subject =
          std::uniform_int_distribution<int>(1, static_cast<int>(roots.size()))(rng);
      fill(s);
      const Expected want = predict(s, root, subject, false);
      const Expected naive = predict(s, root, subject, true);
      naive_differs += naive.dump != want.dump;
      for (const auto& t : s)
        for (const auto& [id, _] : t.rows)
          if (!t.root && people(s, t.name, id).count({root, subject}) &&
              people(s, t.name, id).size() > 1)
            ++shared_seen;
      const auto before = dump(s);
      SCOPED_TRACE(fmt::format("seed {} round {} subject {} {}", seed, round, root, subject));
      try {
        (void)erase_subject(*conn, root, std::to_string(subject), options);
        ASSERT_FALSE(want.refused) << "the erase should have refused";
        ++erased;
      } catch (const InvalidArgument& e) {
        ASSERT_TRUE(want.refused) << e.what();
        EXPECT_NE(std::string(e.what()).find("NOT NULL"), std::string::npos) << e.what();
        EXPECT_EQ(dump(s), before) << "a refused erase changed something";
        ++refused;
        continue;
      }
      const auto got = dump(s);
      for (const auto& [name, rows] : want.dump) ASSERT_EQ(got.at(name), rows) << "table " << name;
    }
  }
  std::printf(
      "[ info ] %d erases compared row for row, %d refused as predicted, %d shared rows; "
      "the reachability rule predicted a different database %d times\n",
      erased, refused, shared_seen, naive_differs);
  EXPECT_GT(erased, 40);
  EXPECT_GT(refused, 0);
  EXPECT_GT(naive_differs, 0);  // negative control
}

}  // namespace
}  // namespace anonkit::pg::testing
