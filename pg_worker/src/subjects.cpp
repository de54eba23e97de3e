// The subject graph from the catalog, the row source that answers the ownership passes with SQL,
// and the Retriever. Partitions are folded into their partitioned table (pg_partition_root), so
// a foreign key declared on one partition, a link or a policy naming the parent all count for
// every partition.
#include "subjects.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "anonkit/pseudo/pseudonym.hpp"
#include "masked_update.hpp"

namespace anonkit::pg {
namespace {

std::string strip(std::string_view message) {
  if (message.rfind("anonkit: ", 0) == 0) message.remove_prefix(9);
  return std::string(message);
}

// Resolves `name` to its partitioned root (itself when it is no partition) and describes it
// once. Throws InvalidArgument like describe_table.
const TableInfo& root_table(SubjectModel& m, db::Connection& conn, const std::string& name) {
  const auto it = m.tables.find(name);
  if (it != m.tables.end()) return it->second;
  db::Rows r;
  try {
    r = conn.exec(
        "SELECT n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || "
        "quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = coalesce(pg_partition_root(to_regclass($1)), to_regclass($1))",
        {name});
  } catch (const db::SqlError&) {
    r = {};
  }
  if (r.empty()) (void)describe_table(conn, name);  // throws the precise error
  const std::string display = r.empty() ? name : *r.rows[0][0];
  if (const auto known = m.tables.find(display); known != m.tables.end()) return known->second;
  TableInfo t = describe_table(conn, *r.rows[0][1]);
  return m.tables.try_emplace(t.display, std::move(t)).first->second;
}

void require_columns(const TableInfo& t, const std::vector<std::string>& columns) {
  for (const auto& c : columns)
    if (t.column(c) == nullptr)
      throw InvalidArgument(
          fmt::format("anonkit: column '{}' does not exist in table {}", c, t.display));
}

bool unique_on(db::Connection& conn, const TableInfo& t, const std::vector<std::string>& cols) {
  if (!t.primary_key.empty() &&
      std::is_permutation(cols.begin(), cols.end(), t.primary_key.begin(), t.primary_key.end()))
    return true;
  db::Value arr = db::text_array(std::vector<db::Value>(cols.begin(), cols.end()));
  return conn.exec(
                 "SELECT count(*) FROM pg_index i WHERE i.indrelid = $1::oid AND i.indisunique "
                 "AND i.indisvalid AND i.indpred IS NULL AND i.indnkeyatts = "
                 "cardinality($2::text[]) "
                 "AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey[0:i.indnkeyatts - 1]) k(n) "
                 "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n "
                 "WHERE a.attname IS NULL OR NOT a.attname = ANY($2::text[]))",
                 {t.oid, arr})
             .integer() > 0;
}

subject::OnDelete on_delete_of(const std::string& c) {
  if (c == "r") return subject::OnDelete::kRestrict;
  if (c == "c") return subject::OnDelete::kCascade;
  if (c == "n") return subject::OnDelete::kSetNull;
  if (c == "d") return subject::OnDelete::kSetDefault;
  return subject::OnDelete::kNoAction;
}

// A link or owned parent from anonkit's tables, checked against the catalog; the problem is
// recorded (and the row left out) when it does not resolve.
void add_declared(SubjectModel& m, db::Connection& conn, subject::RefKind kind,
                  const std::vector<db::Value>& r) {
  const std::string what =
      fmt::format("{} {}", kind == subject::RefKind::kLink ? "link" : "owned parent", *r[0]);
  ConfigProblem problem{what, "", "", {}};
  subject::Reference ref;
  ref.name = what;
  ref.kind = kind;
  try {
    const TableInfo* child = nullptr;
    const TableInfo* parent = nullptr;
    try {
      child = &root_table(m, conn, *r[1]);
      problem.tables.push_back(child->display);
    } catch (const InvalidArgument&) {
      parent = &root_table(m, conn, *r[3]);  // record the parent if it at least resolves
      problem.tables.push_back(parent->display);
      throw;
    }
    parent = &root_table(m, conn, *r[3]);
    problem.tables.push_back(parent->display);
    ref.child = child->display;
    ref.parent = parent->display;
    ref.child_columns = split_names(*r[2]);
    ref.parent_columns = split_names(*r[4]);
    require_columns(*child, ref.child_columns);
    require_columns(*parent, ref.parent_columns);
    if (kind == subject::RefKind::kOwnedParent && m.graph.root_tables.count(parent->display))
      throw InvalidArgument(fmt::format(
          "anonkit: {} is a subject's table: expected a table of the owner's data (an owned "
          "parent is never another person)",
          parent->display));
    for (std::size_t k = 0; k < ref.child_columns.size(); ++k) {
      const auto* a = child->column(ref.child_columns[k]);
      const auto* b = parent->column(ref.parent_columns[k]);
      if (a->kind != b->kind)
        throw InvalidArgument(fmt::format(
            "anonkit: column {} of {} is {} but {} of {} is {}: expected columns of one type",
            a->name, child->display, a->type, b->name, parent->display, b->type));
    }
    try {  // planned, never run: the server must be able to compare the columns
      std::string on;
      for (std::size_t k = 0; k < ref.child_columns.size(); ++k)
        on += fmt::format("{}c.{} = p.{}", k ? " AND " : "", conn.quote_name(ref.child_columns[k]),
                          conn.quote_name(ref.parent_columns[k]));
      (void)conn.exec(fmt::format("EXPLAIN SELECT 1 FROM {} c JOIN {} p ON {}", child->qualified,
                                  parent->qualified, on));
    } catch (const db::SqlError& e) {
      throw InvalidArgument(
          fmt::format("anonkit: the columns cannot be compared: {}", strip(e.what())));
    }
    ref.nullable = true;
    for (const auto& c : ref.child_columns)
      ref.nullable = ref.nullable && !child->column(c)->not_null;
  } catch (const InvalidArgument& e) {
    problem.message = fmt::format("anonkit: {}: {}", what, strip(e.what()));
    m.problems.push_back(std::move(problem));
    return;
  }
  m.graph.references.push_back(std::move(ref));
}

const char* kForeignKeys =
    "SELECT c.conname, rc.nspname || '.' || rcc.relname, rp.nspname || '.' || rpc.relname, "
    "array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
    "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), chr(1)), "
    "array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) "
    "  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), chr(1)), "
    "c.condeferrable::text, c.confdeltype::text, "
    "quote_ident(rc.nspname) || '.' || quote_ident(rcc.relname), "
    "quote_ident(rp.nspname) || '.' || quote_ident(rpc.relname) "
    "FROM pg_constraint c "
    "JOIN pg_class rcc ON rcc.oid = coalesce(pg_partition_root(c.conrelid), c.conrelid) "
    "JOIN pg_namespace rc ON rc.oid = rcc.relnamespace "
    "JOIN pg_class rpc ON rpc.oid = coalesce(pg_partition_root(c.confrelid), c.confrelid) "
    "JOIN pg_namespace rp ON rp.oid = rpc.relnamespace "
    "WHERE c.contype = 'f' AND c.conparentid = 0 AND rc.nspname NOT IN "
    "('pg_catalog', 'information_schema', 'anonkit') AND rc.nspname NOT LIKE 'pg_toast%' "
    "ORDER BY rc.nspname, rcc.relname, c.conname";

}  // namespace

SubjectModel load_subject_model(db::Connection& conn) {
  SubjectModel m;
  for (const auto& r :
       conn.exec("SELECT name, table_name, key_column FROM anonkit.subjects ORDER BY name").rows) {
    const std::string what = fmt::format("subject '{}'", *r[0]);
    try {
      SubjectKind kind;
      kind.name = *r[0];
      kind.table = root_table(m, conn, *r[1]);
      const ColumnInfo* key = kind.table.column(*r[2]);
      if (key == nullptr)
        throw InvalidArgument(fmt::format("anonkit: key column '{}' does not exist in {}", *r[2],
                                          kind.table.display));
      if (!key->not_null || !unique_on(conn, kind.table, {key->name}))
        throw InvalidArgument(fmt::format(
            "anonkit: key column '{}' of {} is not {}: expected the primary key or a UNIQUE NOT "
            "NULL column, so that a key selects exactly one person",
            key->name, kind.table.display, key->not_null ? "unique" : "NOT NULL"));
      m.graph.root_tables.insert(kind.table.display);
      auto& stored = m.kinds.emplace(kind.name, std::move(kind)).first->second;
      stored.key = stored.table.column(*r[2]);  // points into the kind's own copy of the table
    } catch (const InvalidArgument& e) {
      m.problems.push_back(
          {what, fmt::format("anonkit: {}: {}", what, strip(e.what())), *r[0], {}});
    }
  }
  // Declared foreign keys, partitions folded into their root; clones on partitions
  // (conparentid <> 0) are the same constraint again, and one declared on several partitions
  // alike counts once.
  for (const auto& r : conn.exec(kForeignKeys).rows) {
    subject::Reference ref;
    ref.name = *r[0];
    ref.child = *r[1];
    ref.parent = *r[2];
    ref.child_columns = split_names(*r[3]);
    ref.parent_columns = split_names(*r[4]);
    ref.deferrable = *r[5] == "true";
    ref.on_delete = on_delete_of(*r[6]);
    const bool dup = std::any_of(
        m.graph.references.begin(), m.graph.references.end(), [&](const subject::Reference& o) {
          return o.child == ref.child && o.parent == ref.parent &&
                 o.child_columns == ref.child_columns && o.parent_columns == ref.parent_columns;
        });
    if (dup) continue;
    const TableInfo& child = root_table(m, conn, *r[7]);
    (void)root_table(m, conn, *r[8]);
    ref.nullable = true;
    for (const auto& c : ref.child_columns)
      ref.nullable = ref.nullable && child.column(c) != nullptr && !child.column(c)->not_null;
    m.graph.references.push_back(std::move(ref));
  }
  for (const auto& r : conn.exec("SELECT id::text, child_table, array_to_string(child_columns, "
                                 "chr(1)), parent_table, array_to_string(parent_columns, chr(1)) "
                                 "FROM anonkit.links ORDER BY id")
                           .rows)
    add_declared(m, conn, subject::RefKind::kLink, r);
  for (const auto& r : conn.exec("SELECT id::text, child_table, array_to_string(child_columns, "
                                 "chr(1)), parent_table, array_to_string(parent_columns, chr(1)) "
                                 "FROM anonkit.owned_parents ORDER BY id")
                           .rows)
    add_declared(m, conn, subject::RefKind::kOwnedParent, r);
  for (const auto& r : conn.exec("SELECT table_name, action, mask::text FROM "
                                 "anonkit.erasure_policy ORDER BY table_name")
                           .rows) {
    const std::string what = fmt::format("erasure policy for '{}'", *r[0]);
    ConfigProblem problem{what, "", "", {}};
    try {
      const TableInfo& t = root_table(m, conn, *r[0]);
      problem.tables.push_back(t.display);
      if (*r[1] == "mask") (void)parse_masks(t, r[2].value_or("{}"), false, false);
      m.graph.policies[t.display] =
          *r[1] == "mask" ? subject::PolicyAction::kMask : subject::PolicyAction::kDelete;
      if (*r[1] == "mask") m.policy_masks[t.display] = r[2].value_or("{}");
    } catch (const InvalidArgument& e) {
      problem.message = fmt::format("anonkit: {}: {}", what, strip(e.what()));
      m.problems.push_back(std::move(problem));
    }
  }
  return m;
}

subject::Plan plan_for(const SubjectModel& model, const std::string& kind) {
  const auto it = model.kinds.find(kind);
  if (it == model.kinds.end()) {
    for (const auto& p : model.problems)
      if (p.kind == kind) throw InvalidArgument(p.message);
    std::string known;
    for (const auto& [name, _] : model.kinds) known += (known.empty() ? "" : ", ") + name;
    throw InvalidArgument(
        fmt::format("anonkit: unknown subject '{}': expected one of anonkit.subjects ({})", kind,
                    known.empty() ? "none configured" : known));
  }
  subject::Plan plan = subject::make_plan(model.graph, it->second.table.display);
  for (const auto& p : model.problems)
    for (const auto& t : p.tables)
      if (plan.reached(t)) throw InvalidArgument(p.message);
  return plan;
}

std::string render_plan(const SubjectModel& model, const std::string& kind, bool json) {
  const subject::Plan plan = plan_for(model, kind);
  const auto& refs = model.graph.references;
  auto masks_of = [&](const std::string& table) {
    const auto m = model.policy_masks.find(table);
    return m == model.policy_masks.end() ? nlohmann::json::object()
                                         : nlohmann::json::parse(m->second);
  };
  if (!json) {
    std::string out = subject::describe(model.graph, plan);
    for (const auto& tp : plan.tables)
      if (tp.kept) out += fmt::format("masks of {}: {}\n", tp.table, masks_of(tp.table).dump());
    return out;
  }
  auto ref_json = [&](std::size_t i) {
    const auto& r = refs[i];
    return nlohmann::json{{"name", r.name},
                          {"kind", r.kind == subject::RefKind::kForeignKey ? "foreign key"
                                   : r.kind == subject::RefKind::kLink     ? "link"
                                                                           : "owned parent"},
                          {"child", r.child},
                          {"child_columns", r.child_columns},
                          {"parent", r.parent},
                          {"parent_columns", r.parent_columns}};
  };
  nlohmann::json doc = {{"subject", kind}, {"root", plan.root}};
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& tp : plan.tables) {
    nlohmann::json via = nlohmann::json::array(), shared = nlohmann::json::array();
    for (std::size_t i : tp.reached_by) via.push_back(refs[i].name);
    for (std::size_t i : tp.shared_by) shared.push_back(refs[i].name);
    tables.push_back({{"table", tp.table},
                      {"role", subject::role_name(tp.role)},
                      {"action", tp.kept ? "mask" : "delete"},
                      {"masks", masks_of(tp.table)},
                      {"reached_by", via},
                      {"owner_references", shared},
                      {"reason", tp.reason}});
  }
  doc["tables"] = std::move(tables);
  doc["deletion_order"] = plan.deletion_order;
  for (const auto* list : {&plan.down, &plan.up, &plan.detach, &plan.null_first, &plan.deferred}) {
    nlohmann::json a = nlohmann::json::array();
    for (std::size_t i : *list) a.push_back(ref_json(i));
    doc[list == &plan.down         ? "follow"
        : list == &plan.up         ? "owned_parents"
        : list == &plan.detach     ? "detach"
        : list == &plan.null_first ? "null_first"
                                   : "deferred"] = std::move(a);
  }
  doc["erase_blockers"] = plan.erase_blockers;
  return doc.dump(2) + "\n";
}

std::string canonical_key(db::Connection& conn, const SubjectModel& model, const std::string& kind,
                          const std::string& key) {
  const SubjectKind& k = model.kinds.at(kind);
  try {
    return conn.exec(fmt::format("SELECT CAST($1 AS {})::text", k.key->type), {key}).scalar();
  } catch (const db::SqlError& e) {
    if (e.sqlstate().rfind("22", 0) != 0) throw;  // data exceptions: the key cannot be one
    throw SubjectNotFound(
        fmt::format("anonkit: the key is not a valid {} key: expected a value "
                    "of type {}",
                    kind, k.key->type));
  }
}

std::string hash_subject_key(const std::string& kind, const std::string& canonical,
                             const pseudo::Keyring& keyring) {
  const std::string input = kind + std::string(1, '\0') + canonical;
  const auto digest =
      pseudo::Pseudonymizer(keyring.pseudonym_key()).mac("anonkit-subject-key", input);
  std::string hex = "hmac-sha256:";
  for (const auto b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

std::string request_key_hash(db::Connection& conn, const std::string& kind, const std::string& key,
                             const pseudo::Keyring& keyring) {
  try {
    const SubjectModel model = load_subject_model(conn);
    if (model.kinds.count(kind))
      return hash_subject_key(kind, canonical_key(conn, model, kind, key), keyring);
  } catch (const Error&) {
  }
  return hash_subject_key(kind, key, keyring);
}

const pseudo::Keyring& require_keyring(const std::shared_ptr<const pseudo::Keyring>& keyring) {
  if (!keyring)
    throw KeyError(
        "anonkit: access and erase need a key file for keyed receipts: create one with `make "
        "key` and pass --key-file or set ANONKIT_KEY_FILE");
  return *keyring;
}

db::Params row_params(const RowSet& rows) {
  std::vector<db::Value> oids, tids;
  for (const auto& id : rows) {
    const auto slash = id.find('/');
    oids.emplace_back(id.substr(0, slash));
    tids.emplace_back(id.substr(slash + 1));
  }
  return {db::text_array(oids), db::text_array(tids)};
}

std::string rows_condition(const std::string& alias, std::size_t first_param) {
  return fmt::format(
      "{0}.ctid = ANY(CAST(${2} AS tid[])) AND ({0}.tableoid, {0}.ctid) IN "
      "(SELECT * FROM unnest(CAST(${1} AS oid[]), CAST(${2} AS tid[])))",
      alias, first_param, first_param + 1);
}

std::string row_id(const std::string& alias) {
  return fmt::format("{0}.tableoid::text || '/' || {0}.ctid::text", alias);
}

std::string column_list(db::Connection& conn, const std::string& alias,
                        const std::vector<std::string>& columns) {
  std::string s;
  for (std::size_t k = 0; k < columns.size(); ++k)
    s += fmt::format("{}{}.{}", k ? ", " : "", alias, conn.quote_name(columns[k]));
  return s;
}

namespace {

// Answers the ownership passes with one join per reference and batch of rows.
class SqlRowSource : public subject::RowSource {
 public:
  SqlRowSource(db::Connection& conn, db::Transaction& tx, const SubjectModel& m,
               const subject::Plan& plan, bool lock)
      : conn_(conn), tx_(tx), m_(m), plan_(plan), lock_(lock) {}

  std::vector<std::pair<std::string, std::string>> follow(
      std::size_t i, From from, const std::vector<std::string>& rows) override {
    const subject::Reference& r = m_.graph.references[i];
    const TableInfo& child = m_.tables.at(r.child);
    const TableInfo& parent = m_.tables.at(r.parent);
    std::string on;
    for (std::size_t k = 0; k < r.child_columns.size(); ++k)
      on += fmt::format("{}c.{} = p.{}", k ? " AND " : "", conn_.quote_name(r.child_columns[k]),
                        conn_.quote_name(r.parent_columns[k]));
    const bool from_child = from == From::kChild;
    const auto& list = from_child ? plan_.up : plan_.down;
    const bool lock = lock_ && std::find(list.begin(), list.end(), i) != list.end();
    const std::string a = from_child ? "c" : "p", b = from_child ? "p" : "c";
    RowSet set(rows.begin(), rows.end());
    const auto found =
        tx_.exec(fmt::format("SELECT {}, {} FROM {} {} JOIN {} {} ON {} WHERE {}{}", row_id(a),
                             row_id(b), from_child ? child.qualified : parent.qualified, a,
                             from_child ? parent.qualified : child.qualified, b, on,
                             rows_condition(a, 1), lock ? " FOR UPDATE OF " + b : ""),
                 row_params(set));
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(found.size());
    for (const auto& row : found.rows) out.emplace_back(*row[0], *row[1]);
    return out;
  }

 private:
  db::Connection& conn_;
  db::Transaction& tx_;
  const SubjectModel& m_;
  const subject::Plan& plan_;
  bool lock_;
};

}  // namespace

SubjectRows find_subject_rows(db::Connection& conn, db::Transaction& tx, const SubjectModel& model,
                              const subject::Plan& plan, const std::string& kind_name,
                              const std::string& canonical, bool lock) {
  const SubjectKind& kind = model.kinds.at(kind_name);
  SubjectRows out;
  const auto root =
      tx.exec(fmt::format("SELECT {} FROM {} t WHERE t.{} = CAST($1 AS {}){}", row_id("t"),
                          kind.table.qualified, conn.quote_name(kind.key->name), kind.key->type,
                          lock ? " FOR UPDATE" : ""),
              {canonical});
  if (root.empty()) return out;
  out.root = *root.rows[0][0];
  SqlRowSource source(conn, tx, model, plan, lock);
  out.ownership = subject::classify(model.graph, plan, out.root, source);
  return out;
}

AccessResult access_subject(db::Connection& conn, const std::string& kind_name,
                            const std::string& key, const pseudo::Keyring& keyring,
                            std::optional<std::int64_t> request_id) {
  const SubjectModel model = load_subject_model(conn);
  const subject::Plan plan = plan_for(model, kind_name);
  const SubjectKind& kind = model.kinds.at(kind_name);
  const std::string canonical = canonical_key(conn, model, kind_name, key);
  AccessResult result;
  result.key_hash = hash_subject_key(kind_name, canonical, keyring);
  db::Transaction tx(conn, db::Isolation::kRepeatableReadReadOnly);
  // A policy that would hide some of the subject's rows makes the query fail instead. The rows
  // are few and found by row id: a hash or merge join would read whole tables.
  tx.set_local({{"row_security", "off"}, {"enable_hashjoin", "off"}, {"enable_mergejoin", "off"}});
  const SubjectRows found = find_subject_rows(conn, tx, model, plan, kind_name, canonical, false);
  if (found.root.empty())
    throw SubjectNotFound(fmt::format("anonkit: no {} with that key in {} ({})", kind_name,
                                      kind.table.display, kind.key->name));
  const auto& own = found.ownership;
  const auto now = tx.exec("SELECT to_json(now())::text").scalar();
  std::string doc =
      fmt::format(R"({{"subject": {}, "key": {}, "generated_at": {}, "tables": {{)",
                  nlohmann::json(kind_name).dump(), nlohmann::json(canonical).dump(), now);
  auto order_of = [&](const TableInfo& t) {
    if (t.primary_key.empty()) return std::string("t.ctid");
    return column_list(conn, "t", t.primary_key);
  };
  bool first = true;
  for (const auto& tp : plan.tables) {
    const auto s = own.alone.find(tp.table);
    if (s == own.alone.end() || s->second.empty()) continue;
    const TableInfo& t = model.tables.at(tp.table);
    const auto rows =
        tx.exec(fmt::format("SELECT row_to_json(t)::text FROM {} t WHERE {} ORDER BY {}",
                            t.qualified, rows_condition("t", 1), order_of(t)),
                row_params(s->second));
    doc += fmt::format("{}\n  {}: [", first ? "" : ",", nlohmann::json(tp.table).dump());
    first = false;
    for (std::size_t i = 0; i < rows.size(); ++i)
      doc += fmt::format("{}\n    {}", i ? "," : "", *rows.rows[i][0]);
    doc += "\n  ]";
    result.counts[tp.table]["owned"] = static_cast<std::int64_t>(rows.size());
  }
  doc += "\n}, \"shared\": {";
  first = true;
  for (const auto& tp : plan.tables) {
    const auto s = own.shared.find(tp.table);
    if (s == own.shared.end() || s->second.empty()) continue;
    const TableInfo& t = model.tables.at(tp.table);
    const std::string key_json = t.primary_key.empty()
                                     ? std::string("json_build_object('ctid', t.ctid::text)")
                                     : fmt::format("(SELECT row_to_json(k) FROM (SELECT {}) k)",
                                                   column_list(conn, "t", t.primary_key));
    const auto rows =
        tx.exec(fmt::format("SELECT {}, {}::text FROM {} t WHERE {} ORDER BY {}", row_id("t"),
                            key_json, t.qualified, rows_condition("t", 1), order_of(t)),
                row_params(s->second));
    doc += fmt::format("{}\n  {}: [", first ? "" : ",", nlohmann::json(tp.table).dump());
    first = false;
    const auto& via = own.via.at(tp.table);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      nlohmann::json names = nlohmann::json::array();
      if (const auto v = via.find(*rows.rows[i][0]); v != via.end())
        for (std::size_t r : v->second) names.push_back(model.graph.references[r].name);
      doc += fmt::format("{}\n    {{\"key\": {}, \"via\": {}}}", i ? "," : "", *rows.rows[i][1],
                         names.dump());
    }
    doc += "\n  ]";
    result.counts[tp.table]["shared"] = static_cast<std::int64_t>(rows.size());
  }
  doc += "\n}}\n";
  tx.commit();
  (void)conn.exec(
      "INSERT INTO anonkit.audit (kind, subject, subject_key_hash, request_id, counts, worker) "
      "VALUES ('access', $1, $2, CAST($3 AS bigint), CAST($4 AS jsonb), $5)",
      {kind_name, result.key_hash,
       request_id ? db::Value(std::to_string(*request_id)) : db::Value(),
       nlohmann::json(result.counts).dump(), fmt::format("pid {}", getpid())});
  result.document = std::move(doc);
  return result;
}

namespace {

// True when every leaf of `t` (the table itself when it is not partitioned) has a valid,
// non-partial index whose leading key columns are `cols`, in any order.
bool indexed_on(db::Connection& conn, const TableInfo& t, const std::vector<std::string>& cols) {
  db::Value arr = db::text_array(std::vector<db::Value>(cols.begin(), cols.end()));
  return conn.exec(
                 "SELECT bool_and(EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = r.rel AND "
                 "i.indisvalid AND i.indpred IS NULL AND i.indnkeyatts >= cardinality($2::text[]) "
                 "AND (SELECT count(DISTINCT a.attname) FROM unnest(i.indkey[0:cardinality("
                 "$2::text[]) - 1]) k(n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
                 "a.attnum = k.n WHERE a.attname = ANY($2::text[])) = cardinality($2::text[]))) "
                 "FROM (SELECT relid AS rel FROM pg_partition_tree($1::oid) WHERE isleaf UNION ALL "
                 "SELECT $1::oid WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree($1::oid))) r",
                 {t.oid, arr})
             .scalar() == "t";
}

std::string joined(const std::vector<std::string>& cols) {
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ",") + c;
  return out;
}

// Link and owned-parent columns the traversal searches by, without an index: each access or
// erase then reads the whole table. (Foreign keys without an index are doctor's own check.)
void unindexed_references(db::Connection& conn, const SubjectModel& model,
                          const std::set<std::string>& reached, std::vector<Finding>& out) {
  std::set<std::pair<std::string, std::vector<std::string>>> seen;
  auto check = [&](const std::string& table, const std::vector<std::string>& cols,
                   const subject::Reference& r) {
    if (!reached.count(table) || !seen.insert({table, cols}).second) return;
    const auto t = model.tables.find(table);
    if (t == model.tables.end() || indexed_on(conn, t->second, cols)) return;
    out.push_back(
        {r.name, fmt::format("{}({}) has no index (on every partition): access and "
                             "erase read the whole table to follow {}; expected an "
                             "index, e.g. CREATE INDEX ON {} ({})",
                             table, joined(cols), r.name, t->second.qualified, joined(cols))});
  };
  for (const auto& r : model.graph.references) {
    if (r.kind == subject::RefKind::kForeignKey) continue;
    check(r.child, r.child_columns, r);
    check(r.parent, r.parent_columns, r);
  }
}

// Partitions of one table that declare different foreign keys: anonkit follows every one of them
// for all partitions, but the database enforces each only where it is declared.
void partitions_with_differing_keys(db::Connection& conn, const SubjectModel& model,
                                    const std::set<std::string>& reached,
                                    std::vector<Finding>& out) {
  for (const auto& [name, t] : model.tables) {
    if (!reached.count(name)) continue;
    const auto leaves = conn.exec(
        "SELECT n.nspname || '.' || c.relname, coalesce((SELECT string_agg(sig, '; ' ORDER BY "
        "sig) FROM (SELECT '(' || (SELECT string_agg(a.attname, ',' ORDER BY k.o) FROM "
        "unnest(f.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = f.conrelid "
        "AND a.attnum = k.n) || ') -> ' || coalesce(pg_partition_root(f.confrelid), "
        "f.confrelid)::regclass::text AS sig FROM pg_constraint f WHERE f.conrelid = p.relid AND "
        "f.contype = 'f') s), '') FROM pg_partition_tree($1::oid) p JOIN pg_class c ON c.oid = "
        "p.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.isleaf ORDER BY 1",
        {t.oid});
    std::set<std::string> kinds;
    for (const auto& row : leaves.rows) kinds.insert(*row[1]);
    if (kinds.size() < 2) continue;
    std::string detail;
    for (const auto& row : leaves.rows)
      detail += fmt::format("{}{}: {}", detail.empty() ? "" : "; ", *row[0],
                            row[1]->empty() ? "none" : *row[1]);
    out.push_back({name, fmt::format("the partitions of {} declare different foreign keys ({}): "
                                     "anonkit follows each of them for every partition, the "
                                     "database enforces each only where it is declared; expected "
                                     "them declared on {} itself",
                                     name, detail, name)});
  }
}

}  // namespace

std::vector<Finding> subject_findings(db::Connection& conn) {
  std::vector<Finding> out;
  const SubjectModel model = load_subject_model(conn);
  for (const auto& p : model.problems) out.push_back({p.what, p.message});
  // Each subject's plan once: the tables any of them reaches are what the index and partition
  // checks look at; a subject without a plan is a finding of its own.
  std::map<std::string, subject::Plan> plans;
  std::set<std::string> reached;
  for (const auto& [name, kind] : model.kinds) {
    try {
      const subject::Plan& plan = plans.emplace(name, plan_for(model, name)).first->second;
      for (const auto& t : plan.tables) reached.insert(t.table);
      for (std::size_t i : plan.detach) reached.insert(model.graph.references[i].child);
    } catch (const InvalidArgument& e) {
      out.push_back({fmt::format("subject '{}'", name), e.what()});
    }
  }
  unindexed_references(conn, model, reached, out);
  partitions_with_differing_keys(conn, model, reached, out);
  for (const auto& [name, plan] : plans) {
    const std::string who = fmt::format("subject '{}'", name);
    for (const auto& b : plan.erase_blockers) out.push_back({who, b});
    // Owned-parent candidates: a parent the subject's rows reference through a UNIQUE column
    // (one row each: theirs), or that only the subject's tables reference.
    for (std::size_t i = 0; i < model.graph.references.size(); ++i) {
      const auto& r = model.graph.references[i];
      if (r.kind == subject::RefKind::kOwnedParent || !plan.reached(r.child) ||
          plan.reached(r.parent) || model.graph.root_tables.count(r.parent))
        continue;
      const bool declared = std::any_of(
          model.graph.references.begin(), model.graph.references.end(), [&](const auto& o) {
            return o.kind == subject::RefKind::kOwnedParent && o.child == r.child &&
                   o.parent == r.parent && o.child_columns == r.child_columns;
          });
      if (declared) continue;
      const bool unique = unique_on(conn, model.tables.at(r.child), r.child_columns);
      const bool only_subject =
          std::all_of(model.graph.references.begin(), model.graph.references.end(),
                      [&](const auto& o) { return o.parent != r.parent || plan.reached(o.child); });
      if (!unique && !only_subject) continue;
      std::string cols, pcols;
      for (const auto& c : r.child_columns) cols += (cols.empty() ? "" : ",") + c;
      for (const auto& c : r.parent_columns) pcols += (pcols.empty() ? "" : ",") + c;
      out.push_back(
          {who, fmt::format("{} is referenced by {}({}) {}: if its rows are the subject's own "
                            "data, declare it: INSERT INTO anonkit.owned_parents (child_table, "
                            "child_columns, parent_table, parent_columns) VALUES ('{}', '{{{}}}', "
                            "'{}', '{{{}}}') — they are neither exported nor erased until then",
                            r.parent, r.child, cols,
                            unique ? "through a UNIQUE column" : "only from the subject's tables",
                            r.child, cols, r.parent, pcols)});
    }
  }
  return out;
}

}  // namespace anonkit::pg
