// The Destroyer. Everything happens in one READ COMMITTED transaction that first locks the root
// row (an application's insert referencing it waits for us, then fails its foreign-key check), then
// finds and locks every row of the subject, checks that every change can be made, and only then
// changes anything.
#include "destroyer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "anonkit/policy/column_mask.hpp"
#include "subjects.hpp"

namespace anonkit::pg {
namespace {

struct KeepPolicy {
  std::vector<std::pair<const ColumnInfo*, policy::ColumnMask>> masks;
};

std::map<std::string, KeepPolicy> load_policies(db::Connection& conn, const SubjectModel& model,
                                                const EraseOptions& options) {
  std::map<std::string, KeepPolicy> out;
  for (const auto& r :
       conn.exec("SELECT table_name, action, mask::text FROM anonkit.erasure_policy "
                 "ORDER BY table_name")
           .rows) {
    if (*r[1] != "mask") continue;
    TableInfo t;
    try {
      t = describe_table(conn, *r[0]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("anonkit: erasure policy for '{}': {}", *r[0],
                                        std::string_view(e.what()).substr(9)));
    }
    const auto it = model.tables.find(t.display);
    if (it == model.tables.end()) continue;  // no reference reaches it: never a subject's row
    const TableInfo& info = it->second;
    KeepPolicy p;
    const auto mask = nlohmann::json::parse(r[2].value_or("{}"));
    for (const auto& [column, spec] : mask.items()) {
      const ColumnInfo* c = info.column(column);
      if (c == nullptr || !spec.is_string())
        throw InvalidArgument(
            fmt::format("anonkit: erasure policy for {}: mask column '{}' {}", info.display, column,
                        c == nullptr ? "does not exist" : "needs a strategy name"));
      auto m = policy::ColumnMask::parse(spec.get<std::string>());
      m.check_column(column, c->type, c->kind, c->not_null);
      if (m.needs_key() && !options.keyring)
        throw KeyError(
            fmt::format("anonkit: erasure policy for {}: mask '{}' needs a key: pass "
                        "--key-file or set ANONKIT_KEY_FILE",
                        info.display, m.spec()));
      p.masks.emplace_back(c, std::move(m));
    }
    out.emplace(info.display, std::move(p));
  }
  return out;
}

std::string set_null(db::Connection& conn, const std::vector<std::string>& columns) {
  std::string s;
  for (const auto& c : columns)
    s += fmt::format("{}{} = NULL", s.empty() ? "" : ", ", conn.quote_name(c));
  return s;
}

class Erase {
 public:
  Erase(db::Connection& conn, const SubjectModel& model, const subject::Plan& plan,
        const std::map<std::string, KeepPolicy>& policies, const EraseOptions& options,
        EraseResult& result)
      : conn_(conn),
        m_(model),
        plan_(plan),
        policies_(policies),
        o_(options),
        r_(result),
        ctx_(options.keyring) {}

  // Returns false when there is no such subject.
  bool run(db::Transaction& tx, const std::string& kind, const std::string& key) {
    tx.set_local({{"row_security", "off"}, {"lock_timeout", "5s"}});
    sets_ = find_subject_rows(conn_, tx, m_, plan_, kind, key, true);
    if (sets_.empty()) return false;
    check(tx);
    for (std::size_t i : plan_.deferred) {
      const auto& ref = m_.graph.references[i];
      const auto schema = ref.child.substr(0, ref.child.find('.'));
      (void)tx.exec(fmt::format("SET CONSTRAINTS {}.{} DEFERRED", conn_.quote_name(schema),
                                conn_.quote_name(ref.name)));
    }
    // Values links were matched on, to verify at the end that no new row matches them.
    const auto link_values = capture_link_values(tx);
    if (o_.dry_run) {
      dry_counts(tx);
      return true;
    }
    for (std::size_t i : plan_.detach) detach(tx, m_.graph.references[i]);
    for (const auto& [table, policy] : policies_) mask(tx, table, policy);
    for (std::size_t i : plan_.null_first) null_first(tx, m_.graph.references[i]);
    for (const auto& table : plan_.deletion_order) {
      if (policies_.count(table)) continue;
      const auto s = sets_.find(table);
      if (s == sets_.end() || s->second.empty()) continue;
      const auto d = tx.exec(fmt::format("DELETE FROM {} t WHERE {}", m_.tables.at(table).qualified,
                                         rows_condition("t", 1)),
                             row_params(s->second));
      if (d.affected) r_.counts[table]["deleted"] += static_cast<std::int64_t>(d.affected);
    }
    verify(tx, kind, key, link_values);
    return true;
  }

 private:
  // Every change must be possible before the first one is made.
  void check(db::Transaction& tx) {
    for (std::size_t i : plan_.detach) {
      const auto& ref = m_.graph.references[i];
      const TableInfo& child = m_.tables.at(ref.child);
      const auto not_null = std::find_if(ref.child_columns.begin(), ref.child_columns.end(),
                                         [&](const auto& c) { return child.column(c)->not_null; });
      if (not_null != ref.child_columns.end() && count_referring(tx, ref) > 0)
        throw InvalidArgument(fmt::format(
            "anonkit: rows of {} (another subject) refer to this subject through {}.{}, which "
            "is NOT NULL: expected a nullable column so the reference can be removed; nothing "
            "was changed",
            child.display, child.display, *not_null));
    }
    for (const auto& [table, policy] : policies_) {
      const auto s = sets_.find(table);
      if (s == sets_.end() || s->second.empty()) continue;
      for (std::size_t i : plan_.follow) {
        const auto& ref = m_.graph.references[i];
        if (ref.child != table) continue;
        for (const auto& c : ref.child_columns)
          if (m_.tables.at(table).column(c)->not_null)
            throw InvalidArgument(fmt::format(
                "anonkit: {} is kept and masked, but its column {} that links it to the subject "
                "is NOT NULL: expected a nullable column so the row can be detached; nothing was "
                "changed",
                table, c));
      }
    }
  }

  std::int64_t count_referring(db::Transaction& tx, const subject::Reference& ref) {
    const auto parent = sets_.find(ref.parent);
    if (parent == sets_.end() || parent->second.empty()) return 0;
    return tx
        .exec(fmt::format("SELECT count(*) FROM {} c WHERE ({}) IN (SELECT {} FROM {} p WHERE {})",
                          m_.tables.at(ref.child).qualified,
                          column_list(conn_, "c", ref.child_columns),
                          column_list(conn_, "p", ref.parent_columns),
                          m_.tables.at(ref.parent).qualified, rows_condition("p", 1)),
              row_params(parent->second))
        .integer();
  }

  // UPDATE the rows of `table` that `where` selects; rows of the subject get new row ids, so the
  // set is brought up to date from (old id, new id) pairs.
  std::int64_t update(db::Transaction& tx, const std::string& table, const std::string& set,
                      const std::string& where, const db::Params& params) {
    const auto r = tx.exec(
        fmt::format("UPDATE {0} t SET {1} FROM (SELECT u.tableoid AS o, u.ctid AS c FROM {0} u "
                    "WHERE {2}) old WHERE t.tableoid = old.o AND t.ctid = old.c "
                    "RETURNING old.o::text, old.c::text, t.tableoid::text, t.ctid::text",
                    m_.tables.at(table).qualified, set, where),
        params);
    auto s = sets_.find(table);
    if (s != sets_.end())
      for (const auto& row : r.rows)
        if (s->second.erase({*row[0], *row[1]})) s->second.insert({*row[2], *row[3]});
    return static_cast<std::int64_t>(r.size());
  }

  void detach(db::Transaction& tx, const subject::Reference& ref) {
    const auto parent = sets_.find(ref.parent);
    if (parent == sets_.end() || parent->second.empty()) return;
    const auto n = update(tx, ref.child, set_null(conn_, ref.child_columns),
                          fmt::format("({}) IN (SELECT {} FROM {} p WHERE {})",
                                      column_list(conn_, "u", ref.child_columns),
                                      column_list(conn_, "p", ref.parent_columns),
                                      m_.tables.at(ref.parent).qualified, rows_condition("p", 1)),
                          row_params(parent->second));
    if (n) r_.counts[ref.child]["detached"] += n;
  }

  void null_first(db::Transaction& tx, const subject::Reference& ref) {
    const auto rows = sets_.find(ref.child);
    if (rows == sets_.end() || rows->second.empty()) return;
    const auto n = update(tx, ref.child, set_null(conn_, ref.child_columns), rows_condition("u", 1),
                          row_params(rows->second));
    if (n) r_.counts[ref.child]["nulled"] += n;
  }

  // Kept rows: the policy's masks, computed here, and every column linking them to the subject set
  // to NULL, one UPDATE per table.
  void mask(db::Transaction& tx, const std::string& table, const KeepPolicy& policy) {
    const auto rows = sets_.find(table);
    if (rows == sets_.end() || rows->second.empty()) return;
    std::set<std::string> links;
    for (std::size_t i : plan_.follow)
      if (m_.graph.references[i].child == table)
        for (const auto& c : m_.graph.references[i].child_columns) links.insert(c);
    std::string select = "t.tableoid::text, t.ctid::text";
    for (const auto& [c, _] : policy.masks)
      select += fmt::format(", t.{}::text", conn_.quote_name(c->name));
    const auto found = tx.exec(fmt::format("SELECT {} FROM {} t WHERE {}", select,
                                           m_.tables.at(table).qualified, rows_condition("t", 1)),
                               row_params(rows->second));
    std::vector<std::vector<db::Value>> arrays(2 + policy.masks.size());
    for (const auto& row : found.rows) {
      arrays[0].push_back(row[0]);
      arrays[1].push_back(row[1]);
      for (std::size_t k = 0; k < policy.masks.size(); ++k) {
        const auto& v = row[2 + k];
        arrays[2 + k].push_back(
            policy.masks[k].second.apply(v ? std::optional<std::string_view>(*v) : std::nullopt,
                                         policy.masks[k].first->kind, ctx_));
      }
    }
    db::Params params;
    std::string unnest, names, set;
    for (std::size_t k = 0; k < arrays.size(); ++k) {
      params.push_back(db::text_array(arrays[k]));
      unnest += fmt::format("{}CAST(${} AS text[])", k ? ", " : "", k + 1);
      names += fmt::format("{}v{}", k ? ", " : "", k);
    }
    for (std::size_t k = 0; k < policy.masks.size(); ++k) {
      const ColumnInfo& c = *policy.masks[k].first;
      if (links.count(c.name)) continue;
      set += fmt::format("{}{} = CAST(v.v{} AS {})", set.empty() ? "" : ", ",
                         conn_.quote_name(c.name), k + 2, c.type);
    }
    for (const auto& l : links)
      set += fmt::format("{}{} = NULL", set.empty() ? "" : ", ", conn_.quote_name(l));
    // Few rows found by row id: a hash or merge join would read the whole table.
    tx.set_local({{"enable_hashjoin", "off"}, {"enable_mergejoin", "off"}});
    const auto r =
        tx.exec(fmt::format("UPDATE {} t SET {} FROM unnest({}) AS v({}) WHERE "
                            "t.tableoid = CAST(v.v0 AS oid) AND t.ctid = CAST(v.v1 AS tid)",
                            m_.tables.at(table).qualified, set, unnest, names),
                params);
    tx.set_local({{"enable_hashjoin", "on"}, {"enable_mergejoin", "on"}});
    r_.counts[table]["masked"] += static_cast<std::int64_t>(r.affected);
    rows->second.clear();  // detached: no longer the subject's
  }

  std::vector<std::pair<std::size_t, db::Rows>> capture_link_values(db::Transaction& tx) {
    std::vector<std::pair<std::size_t, db::Rows>> out;
    for (std::size_t i : plan_.follow) {
      const auto& ref = m_.graph.references[i];
      if (ref.declared) continue;
      const auto parent = sets_.find(ref.parent);
      if (parent == sets_.end() || parent->second.empty()) continue;
      std::string cols;
      for (std::size_t k = 0; k < ref.parent_columns.size(); ++k)
        cols += fmt::format("{}p.{}::text", k ? ", " : "", conn_.quote_name(ref.parent_columns[k]));
      out.emplace_back(
          i, tx.exec(fmt::format("SELECT DISTINCT {} FROM {} p WHERE {}", cols,
                                 m_.tables.at(ref.parent).qualified, rows_condition("p", 1)),
                     row_params(parent->second)));
    }
    return out;
  }

  void dry_counts(db::Transaction& tx) {
    for (std::size_t i : plan_.detach) {
      const auto n = count_referring(tx, m_.graph.references[i]);
      if (n) r_.counts[m_.graph.references[i].child]["detached"] += n;
    }
    for (const auto& [table, rows] : sets_) {
      if (rows.empty()) continue;
      r_.counts[table][policies_.count(table) ? "masked" : "deleted"] +=
          static_cast<std::int64_t>(rows.size());
    }
  }

  // Inside the same transaction: a fresh traversal finds nothing, and no row matches the values a
  // link was followed on (a row inserted meanwhile through a link the database does not enforce).
  void verify(db::Transaction& tx, const std::string& kind, const std::string& key,
              const std::vector<std::pair<std::size_t, db::Rows>>& link_values) {
    const RowSets again = find_subject_rows(conn_, tx, m_, plan_, kind, key, false);
    for (const auto& [table, rows] : again)
      if (!rows.empty())
        throw db::SqlError(
            fmt::format("anonkit: verification found {} rows of {} left", rows.size(), table),
            "40001");
    for (const auto& [i, values] : link_values) {
      const auto& ref = m_.graph.references[i];
      if (policies_.count(ref.child)) continue;
      for (const auto& v : values.rows) {
        std::string where;
        db::Params params;
        for (std::size_t k = 0; k < ref.child_columns.size(); ++k) {
          params.push_back(v[k]);
          where += fmt::format("{}{}::text = ${}", k ? " AND " : "",
                               conn_.quote_name(ref.child_columns[k]), k + 1);
        }
        if (tx.exec(fmt::format("SELECT count(*) FROM {} WHERE {}",
                                m_.tables.at(ref.child).qualified, where),
                    params)
                .integer() > 0)
          // Retried as a serialization failure: the new row is found and erased next time.
          throw db::SqlError(
              fmt::format("anonkit: a row of {} matching {} appeared during the erase", ref.child,
                          ref.name),
              "40001");
      }
    }
  }

  db::Connection& conn_;
  const SubjectModel& m_;
  const subject::Plan& plan_;
  const std::map<std::string, KeepPolicy>& policies_;
  const EraseOptions& o_;
  EraseResult& r_;
  policy::MaskContext ctx_;
  RowSets sets_;
};

std::string receipt_json(const std::string& kind, const std::string& hash, const EraseResult& r,
                         bool dry_run, const std::string& at) {
  nlohmann::json doc = {{"subject", kind},
                        {"key_hash", hash},
                        {"dry_run", dry_run},
                        {"erased_at", at},
                        {"already_erased", r.already_erased},
                        {"tables", r.counts}};
  if (r.already_erased) doc["note"] = "no such subject now; a tombstone shows it was erased before";
  return doc.dump();
}

}  // namespace

EraseResult erase_subject(db::Connection& conn, const std::string& kind, const std::string& key,
                          const EraseOptions& options) {
  const SubjectModel model = load_subject_model(conn);
  const subject::Plan plan = plan_for(model, kind);
  const auto policies = load_policies(conn, model, options);
  const std::string hash = hash_subject_key(kind, key, options.keyring.get());
  for (int attempt = 0;; ++attempt) {
    EraseResult result;
    try {
      db::Transaction tx(conn);
      Erase erase(conn, model, plan, policies, options, result);
      if (!erase.run(tx, kind, key)) {
        const auto tomb = tx.exec(
            "SELECT count(*) FROM anonkit.erasures WHERE subject = $1 AND "
            "subject_key_hash = $2",
            {kind, hash});
        if (tomb.integer() == 0)
          throw SubjectNotFound(fmt::format("anonkit: no {} with {} = '{}' in {}", kind,
                                            model.kinds.at(kind).key->name, key,
                                            model.kinds.at(kind).table.display));
        result.already_erased = true;
      }
      const std::string at = tx.exec("SELECT to_json(clock_timestamp())#>>'{}'").scalar();
      result.receipt = receipt_json(kind, hash, result, options.dry_run, at);
      if (options.dry_run) return result;  // rolled back: nothing changed, nothing recorded
      (void)tx.exec(
          "INSERT INTO anonkit.audit (kind, subject, subject_key_hash, request_id, counts, "
          "note, worker) VALUES ('erase', $1, $2, CAST($3 AS bigint), CAST($4 AS jsonb), $5, $6)",
          {kind, hash,
           options.request_id ? db::Value(std::to_string(*options.request_id)) : db::Value(),
           nlohmann::json(result.counts).dump(),
           result.already_erased ? db::Value("already erased") : db::Value(),
           fmt::format("pid {}", getpid())});
      (void)tx.exec(
          "INSERT INTO anonkit.erasures (subject, subject_key_hash) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING",
          {kind, hash});
      tx.commit();
      return result;
    } catch (const db::SqlError& e) {
      if (!e.transient() || attempt >= 5) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
    }
  }
}

std::int64_t replay_erasures(db::Connection& conn, const std::string& kind,
                             const EraseOptions& options) {
  const SubjectModel model = load_subject_model(conn);
  (void)plan_for(model, kind);
  const SubjectKind& k = model.kinds.at(kind);
  std::set<std::string> tombstones;
  for (const auto& r :
       conn.exec("SELECT subject_key_hash FROM anonkit.erasures WHERE subject = $1", {kind}).rows)
    tombstones.insert(*r[0]);
  if (tombstones.empty()) return 0;
  // The hash is one-way: every present key is hashed and compared (a pass over the root table).
  std::int64_t erased = 0;
  for (const auto& r : conn.exec(fmt::format("SELECT {}::text FROM {}",
                                             conn.quote_name(k.key->name), k.table.qualified))
                           .rows) {
    if (!r[0] || !tombstones.count(hash_subject_key(kind, *r[0], options.keyring.get()))) continue;
    (void)erase_subject(conn, kind, *r[0], options);
    ++erased;
  }
  return erased;
}

}  // namespace anonkit::pg
