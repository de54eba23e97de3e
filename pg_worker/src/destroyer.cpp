// The Destroyer. Everything happens in one READ COMMITTED transaction that first locks the root
// row (an application's insert referencing it waits for us, then fails its foreign-key check),
// finds, locks and classifies every row with an owner path to it, checks that every change can be
// made, and only then changes anything: each kept row is updated once (its masks and every
// reference to a deleted row in one statement), then the subject's rows are deleted children
// first, then the result is proven before commit.
#include "destroyer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <thread>

#include "masked_update.hpp"
#include "subjects.hpp"
#include "verification.hpp"

namespace anonkit::pg {
namespace {

using subject::Reference;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Identifier values are searched in the kept rows; short or purely numeric values would match
// unrelated text (an id "2" is in every date), so only these are searched.
bool searchable(const std::string& v) {
  if (v.size() < 4) return false;
  const bool digits = std::all_of(
      v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) || c == '-' || c == '.'; });
  return !digits || v.size() >= 7;
}

class Erase {
 public:
  Erase(db::Connection& conn, const SubjectModel& model, const subject::Plan& plan,
        const std::map<std::string, std::vector<MaskedColumn>>& masks, const EraseOptions& options,
        EraseResult& result)
      : conn_(conn),
        m_(model),
        plan_(plan),
        masks_(masks),
        o_(options),
        r_(result),
        ctx_(options.keyring) {}

  // Returns false when there is no such subject.
  bool run(db::Transaction& tx, const std::string& kind, const std::string& canonical) {
    tx.set_local({{"row_security", "off"},
                  {"lock_timeout", "5s"},
                  {"enable_hashjoin", "off"},
                  {"enable_mergejoin", "off"}});
    const SubjectRows found = find_subject_rows(conn_, tx, m_, plan_, kind, canonical, true);
    if (found.root.empty()) return false;
    for (const auto& [table, rows] : found.ownership.alone)
      (kept(table) ? keep_ : delete_)[table].insert(rows.begin(), rows.end());
    delete_[plan_.root].insert(found.root);
    keep_.erase(plan_.root);
    for (const auto& [table, rows] : found.ownership.shared)
      keep_[table].insert(rows.begin(), rows.end());
    mask_ = keep_;  // the subject's kept and shared rows get the policy's masks; no one else's

    collect_detachments(tx);
    check(tx);
    const auto identifiers = capture_identifiers(tx);
    const auto link_values = capture_link_values(tx);
    for (std::size_t i : plan_.deferred) {
      const auto& ref = m_.graph.references[i];
      const auto schema = ref.child.substr(0, ref.child.find('.'));
      (void)tx.exec(fmt::format("SET CONSTRAINTS {}.{} DEFERRED", conn_.quote_name(schema),
                                conn_.quote_name(ref.name)));
    }
    if (o_.dry_run) {
      dry_counts();
      return true;
    }
    update_kept(tx);
    for (std::size_t i : plan_.null_first) null_first(tx, m_.graph.references[i]);
    for (const auto& table : plan_.deletion_order) {
      const auto s = delete_.find(table);
      if (s == delete_.end() || s->second.empty()) continue;
      const auto d = tx.exec(fmt::format("DELETE FROM {} t WHERE {}", m_.tables.at(table).qualified,
                                         rows_condition("t", 1)),
                             row_params(s->second));
      if (d.affected) r_.counts[table]["deleted"] += static_cast<std::int64_t>(d.affected);
    }
    verify(tx, kind, canonical, link_values, identifiers);
    return true;
  }

  const nlohmann::json& checked() const { return checked_; }

 private:
  bool kept(const std::string& table) const {
    const auto p = m_.graph.policies.find(table);
    return p != m_.graph.policies.end() && p->second == subject::PolicyAction::kMask;
  }

  // Every reference into the rows to be deleted from a row that stays (shared, kept by policy,
  // another subject's root row): that row's columns are set to NULL. An owned-parent declaration
  // over the same columns as a foreign key is the same reference.
  void collect_detachments(db::Transaction& tx) {
    const auto& refs = m_.graph.references;
    for (std::size_t i = 0; i < refs.size(); ++i) {
      const Reference& r = refs[i];
      const auto parent = delete_.find(r.parent);
      if (parent == delete_.end() || parent->second.empty()) continue;
      if (!plan_.reached(r.child) && !m_.graph.root_tables.count(r.child)) continue;
      const bool duplicate =
          std::any_of(refs.begin(), refs.begin() + static_cast<long>(i), [&](const Reference& o) {
            return o.child == r.child && o.parent == r.parent && o.child_columns == r.child_columns;
          });
      if (duplicate) continue;
      // The rows that will be deleted anyway are subtracted here: a NOT IN over many row ids
      // would be evaluated row by row.
      const auto own = delete_.find(r.child);
      std::string on;
      for (std::size_t k = 0; k < r.child_columns.size(); ++k)
        on += fmt::format("{}c.{} = p.{}", k ? " AND " : "", conn_.quote_name(r.child_columns[k]),
                          conn_.quote_name(r.parent_columns[k]));
      const auto rows =
          tx.exec(fmt::format("SELECT DISTINCT {} FROM {} c JOIN {} p ON {} WHERE {}", row_id("c"),
                              m_.tables.at(r.child).qualified, m_.tables.at(r.parent).qualified, on,
                              rows_condition("p", 1)),
                  row_params(parent->second));
      for (const auto& row : rows.rows) {
        if (own != delete_.end() && own->second.count(*row[0])) continue;
        auto& cols = detach_[r.child][*row[0]];
        for (const auto& c : r.child_columns)
          if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
        keep_[r.child].insert(*row[0]);  // stays, whoever it belongs to
      }
    }
  }

  // Every change must be possible before the first one is made.
  void check(db::Transaction&) {
    for (const auto& [table, rows] : detach_) {
      const TableInfo& t = m_.tables.at(table);
      for (const auto& [row, cols] : rows)
        for (const auto& c : cols)
          if (t.column(c)->not_null)
            throw InvalidArgument(fmt::format(
                "anonkit: rows of {} that stay (shared with someone else, kept by a policy, or "
                "another subject's) refer to the subject's rows through {}.{}, which is NOT NULL: "
                "expected a nullable column so the reference can be removed; nothing was changed",
                table, table, c));
    }
  }

  // The subject's identifying values, read before any change: the root row's text, and what
  // links match on. They must not be found in any row the erase keeps.
  std::vector<std::string> capture_identifiers(db::Transaction& tx) {
    std::set<std::string> values;
    const TableInfo& root = m_.tables.at(plan_.root);
    std::string cols;
    for (const auto& c : root.columns)
      if (c.kind == policy::ColumnKind::kText)
        cols += fmt::format("{}t.{}::text", cols.empty() ? "" : ", ", conn_.quote_name(c.name));
    if (!cols.empty()) {
      const auto r = tx.exec(
          fmt::format("SELECT {} FROM {} t WHERE {}", cols, root.qualified, rows_condition("t", 1)),
          row_params(delete_.at(plan_.root)));
      for (const auto& row : r.rows)
        for (const auto& v : row)
          if (v && searchable(*v)) values.insert(lower(*v));
    }
    for (const auto& ref : m_.graph.references) {
      if (ref.kind != subject::RefKind::kLink) continue;
      const auto parent = delete_.find(ref.parent);
      if (parent == delete_.end() || parent->second.empty()) continue;
      std::string c;
      for (const auto& name : ref.parent_columns)
        c += fmt::format("{}p.{}::text", c.empty() ? "" : ", ", conn_.quote_name(name));
      for (const auto& row :
           tx.exec(fmt::format("SELECT {} FROM {} p WHERE {}", c,
                               m_.tables.at(ref.parent).qualified, rows_condition("p", 1)),
                   row_params(parent->second))
               .rows)
        for (const auto& v : row)
          if (v && searchable(*v)) values.insert(lower(*v));
    }
    return {values.begin(), values.end()};
  }

  std::vector<std::pair<std::size_t, db::Rows>> capture_link_values(db::Transaction& tx) {
    std::vector<std::pair<std::size_t, db::Rows>> out;
    for (std::size_t i : plan_.down) {
      const auto& ref = m_.graph.references[i];
      if (ref.kind != subject::RefKind::kLink) continue;
      const auto parent = delete_.find(ref.parent);
      if (parent == delete_.end() || parent->second.empty()) continue;
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

  void dry_counts() {
    for (const auto& [table, rows] : delete_)
      if (!rows.empty()) r_.counts[table]["deleted"] += static_cast<std::int64_t>(rows.size());
    for (const auto& [table, rows] : mask_) {
      const auto m = masks_.find(table);
      if (m != masks_.end() && !m->second.empty() && !rows.empty())
        r_.counts[table]["masked"] += static_cast<std::int64_t>(rows.size());
    }
    for (const auto& [table, rows] : detach_)
      if (!rows.empty()) r_.counts[table]["detached"] += static_cast<std::int64_t>(rows.size());
    for (std::size_t i : plan_.null_first) {
      const auto s = delete_.find(m_.graph.references[i].child);
      if (s != delete_.end() && !s->second.empty())
        r_.counts[s->first]["nulled"] += static_cast<std::int64_t>(s->second.size());
    }
  }

  // Each kept row once: its policy's masks and its references to deleted rows, in one statement
  // per table and set of detached columns (rows then get new ids, kept up to date in keep_).
  void update_kept(db::Transaction& tx) {
    for (auto& [table, rows] : keep_) {
      if (rows.empty()) continue;
      const TableInfo& t = m_.tables.at(table);
      const auto mk = masks_.find(table);
      const std::vector<MaskedColumn> none;
      const auto& table_masks = mk != masks_.end() ? mk->second : none;
      const auto det = detach_.find(table);
      const RowSet& maskable = mask_[table];
      // (masked?, detached columns) -> rows
      std::map<std::pair<bool, std::vector<std::string>>, RowSet> groups;
      for (const auto& row : rows) {
        std::vector<std::string> cols;
        if (det != detach_.end())
          if (const auto d = det->second.find(row); d != det->second.end()) cols = d->second;
        std::sort(cols.begin(), cols.end());
        const bool masked = !table_masks.empty() && maskable.count(row);
        if (!masked && cols.empty()) continue;  // nothing changes in this row
        groups[{masked, cols}].insert(row);
      }
      RowSet renamed;
      for (const auto& [what, group] : groups) {
        const auto& [masked, cols] = what;
        const auto& masks = table_masks;
        std::vector<std::string> new_ids;
        if (masked) {
          std::string select = "t.tableoid::text, t.ctid::text";
          for (const auto& mc : masks) select += ", " + masked_read(conn_, "t", *mc.column);
          const auto current = tx.exec(fmt::format("SELECT {} FROM {} t WHERE {}", select,
                                                   t.qualified, rows_condition("t", 1)),
                                       row_params(group));
          WriteOptions w;
          std::vector<std::vector<db::Value>> back;
          w.masked_back = &back;
          const auto n = write_masked(conn_, tx, t, {{"t.tableoid", "oid"}, {"t.ctid", "tid"}},
                                      masks, current.rows, cols, ctx_, &new_ids, w);
          verifier_.add(t, masks, back);
          r_.counts[table]["masked"] += static_cast<std::int64_t>(n);
        } else {
          std::string set;
          for (const auto& c : cols)
            set += fmt::format("{}{} = NULL", set.empty() ? "" : ", ", conn_.quote_name(c));
          for (const auto& row :
               tx.exec(fmt::format("UPDATE {} t SET {} WHERE {} RETURNING {}", t.qualified, set,
                                   rows_condition("t", 1), row_id("t")),
                       row_params(group))
                   .rows)
            new_ids.push_back(*row[0]);
        }
        if (!cols.empty()) r_.counts[table]["detached"] += static_cast<std::int64_t>(group.size());
        for (const auto& row : group) rows.erase(row);
        renamed.insert(new_ids.begin(), new_ids.end());
      }
      rows.insert(renamed.begin(), renamed.end());
    }
  }

  void null_first(db::Transaction& tx, const Reference& ref) {
    auto s = delete_.find(ref.child);
    if (s == delete_.end() || s->second.empty()) return;
    std::string set;
    for (const auto& c : ref.child_columns)
      set += fmt::format("{}{} = NULL", set.empty() ? "" : ", ", conn_.quote_name(c));
    const auto r = tx.exec(
        fmt::format("UPDATE {} t SET {} WHERE {} RETURNING {}", m_.tables.at(ref.child).qualified,
                    set, rows_condition("t", 1), row_id("t")),
        row_params(s->second));
    s->second.clear();
    for (const auto& row : r.rows) s->second.insert(*row[0]);
    if (r.size()) r_.counts[ref.child]["nulled"] += static_cast<std::int64_t>(r.size());
  }

  // Inside the same transaction: a fresh lookup finds no root row; no row matches the values a
  // link was followed on (a row inserted meanwhile through a link the database does not
  // enforce); and no identifier of the subject is left in any row the erase kept.
  void verify(db::Transaction& tx, const std::string& kind, const std::string& canonical,
              const std::vector<std::pair<std::size_t, db::Rows>>& link_values,
              const std::vector<std::string>& identifiers) {
    const SubjectRows again = find_subject_rows(conn_, tx, m_, plan_, kind, canonical, false);
    if (!again.root.empty())
      throw db::SqlError("anonkit: verification found the subject's row still present", "40001");
    for (const auto& [i, values] : link_values) {
      const auto& ref = m_.graph.references[i];
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
    std::int64_t searched = 0;
    for (const auto& [table, rows] : keep_) {
      if (rows.empty() || identifiers.empty()) continue;
      const auto found = tx.exec(fmt::format("SELECT row_to_json(t)::text FROM {} t WHERE {}",
                                             m_.tables.at(table).qualified, rows_condition("t", 1)),
                                 row_params(rows));
      for (const auto& row : found.rows) {
        ++searched;
        const auto doc = nlohmann::json::parse(*row[0]);
        for (const auto& [column, value] : doc.items()) {
          const std::string text =
              lower(value.is_string() ? value.get<std::string>() : value.dump());
          for (const auto& id : identifiers)
            if (text.find(id) != std::string::npos)
              throw InvalidArgument(fmt::format(
                  "anonkit: erase refused: column {} of a row of {} that the erase keeps still "
                  "holds one of the subject's identifying values: add a mask for it to that "
                  "table's anonkit.erasure_policy; nothing was changed",
                  column, table));
        }
      }
    }
    checked_ = {{"traversal", true},
                {"identifier_values", identifiers.size()},
                {"rows_searched", searched}};
    // The masked columns as the server now holds them, scanned for PII a mask let through:
    // counts by table, column and type, in the receipt. With --verify a finding undoes the erase.
    const auto masked = verifier_.results();
    checked_["masked_values"] = verification_json(masked);
    if (o_.verify && columns_with_findings(masked) > 0) {
      std::string what;
      for (const auto& l : verification_lines(masked)) what += "; " + l;
      throw InvalidArgument(fmt::format(
          "anonkit: erase refused by --verify: a mask let personal data through{}: fix that "
          "table's anonkit.erasure_policy mask; nothing was changed",
          what));
    }
  }

  db::Connection& conn_;
  const SubjectModel& m_;
  const subject::Plan& plan_;
  const std::map<std::string, std::vector<MaskedColumn>>& masks_;
  const EraseOptions& o_;
  EraseResult& r_;
  policy::MaskContext ctx_;
  RowSets delete_, keep_, mask_;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> detach_;
  Verifier verifier_;
  nlohmann::json checked_ = {{"traversal", false}};
};

std::string receipt_json(const std::string& kind, const EraseResult& r, bool dry_run,
                         const std::string& at, const nlohmann::json& checked) {
  nlohmann::json doc = {{"subject", kind},
                        {"key_hash", r.key_hash},
                        {"dry_run", dry_run},
                        {"erased_at", at},
                        {"already_erased", r.already_erased},
                        {"tables", r.counts},
                        {"checked", checked}};
  if (r.already_erased) doc["note"] = "no such subject now; a tombstone shows it was erased before";
  return doc.dump();
}

}  // namespace

EraseResult erase_subject(db::Connection& conn, const std::string& kind, const std::string& key,
                          const EraseOptions& options) {
  const pseudo::Keyring& keyring = require_keyring(options.keyring);
  const SubjectModel model = load_subject_model(conn);
  const subject::Plan plan = plan_for(model, kind);
  if (!plan.erase_blockers.empty()) throw InvalidArgument(plan.erase_blockers.front());
  std::map<std::string, std::vector<MaskedColumn>> masks;
  for (const auto& [table, json] : model.policy_masks)
    if (plan.reached(table)) masks[table] = parse_masks(model.tables.at(table), json, true, true);
  const std::string canonical = canonical_key(conn, model, kind, key);
  const std::string hash = hash_subject_key(kind, canonical, keyring);
  for (int attempt = 0;; ++attempt) {
    EraseResult result;
    result.key_hash = hash;
    try {
      db::Transaction tx(conn);
      Erase erase(conn, model, plan, masks, options, result);
      if (!erase.run(tx, kind, canonical)) {
        const auto tomb = tx.exec(
            "SELECT count(*) FROM anonkit.erasures WHERE subject = $1 AND "
            "subject_key_hash = $2",
            {kind, hash});
        if (tomb.integer() == 0)
          throw SubjectNotFound(fmt::format("anonkit: no {} with that key in {} ({})", kind,
                                            model.kinds.at(kind).table.display,
                                            model.kinds.at(kind).key->name));
        result.already_erased = true;
      }
      const std::string at = tx.exec("SELECT to_json(clock_timestamp())#>>'{}'").scalar();
      result.receipt = receipt_json(kind, result, options.dry_run, at, erase.checked());
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
      // A queued request is finished in the erase's own transaction: if the worker dies after
      // the commit, no other worker erases the subject again; if another worker finished it
      // meanwhile (its lease expired), this erase is rolled back.
      if (options.request_id &&
          tx.exec("UPDATE anonkit.requests SET status = 'done', started_at = coalesce(started_at, "
                  "now()), finished_at = clock_timestamp(), attempts = attempts + 1, worker = $2, "
                  "result = CAST($3 AS jsonb), error = NULL, subject_key = NULL, "
                  "subject_key_hash = $4 WHERE id = CAST($1 AS bigint) AND status IN "
                  "('pending', 'running')",
                  {std::to_string(*options.request_id), fmt::format("pid {}", getpid()),
                   result.receipt, hash})
                  .affected != 1)
        throw Error(fmt::format(
            "anonkit: request {} was finished by another worker meanwhile: this erase is undone",
            *options.request_id));
      // The subject's earlier requests keep no key and no payload.
      (void)tx.exec(
          "UPDATE anonkit.requests SET subject_key = NULL, subject_key_hash = $2, result = NULL "
          "WHERE subject = $1 AND status IN ('done', 'failed') AND "
          "(subject_key_hash = $2 OR subject_key IN ($3, $4)) AND "
          "id IS DISTINCT FROM CAST($5 AS bigint)",
          {kind, hash, canonical, key,
           options.request_id ? db::Value(std::to_string(*options.request_id)) : db::Value()});
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
  const pseudo::Keyring& keyring = require_keyring(options.keyring);
  const SubjectModel model = load_subject_model(conn);
  (void)plan_for(model, kind);
  const SubjectKind& k = model.kinds.at(kind);
  std::set<std::string> tombstones;
  for (const auto& r :
       conn.exec("SELECT subject_key_hash FROM anonkit.erasures WHERE subject = $1", {kind}).rows)
    tombstones.insert(*r[0]);
  if (tombstones.empty()) return 0;
  // The hash is one-way: every present key is hashed and compared (a pass over the root table).
  // A column's text output is its canonical form.
  std::int64_t erased = 0;
  for (const auto& r : conn.exec(fmt::format("SELECT {}::text FROM {}",
                                             conn.quote_name(k.key->name), k.table.qualified))
                           .rows) {
    if (!r[0] || !tombstones.count(hash_subject_key(kind, *r[0], keyring))) continue;
    (void)erase_subject(conn, kind, *r[0], options);
    ++erased;
  }
  return erased;
}

}  // namespace anonkit::pg
