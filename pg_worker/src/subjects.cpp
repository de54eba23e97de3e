// The subject graph from the catalog, and the Retriever. Rows are tracked by (tableoid, ctid):
// stable inside one snapshot, unique across partitions, and found by a TID scan.
#include "subjects.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "anonkit/pseudo/pseudonym.hpp"

namespace anonkit::pg {
namespace {

// Describes `name` once: a table that many references touch is read from the catalog once.
// `known` is its schema.name when the caller has it (foreign keys), so no query is needed.
const TableInfo& table_of(SubjectModel& m, db::Connection& conn, const std::string& name,
                          const std::string& known = {}) {
  if (!known.empty())
    if (const auto it = m.tables.find(known); it != m.tables.end()) return it->second;
  TableInfo t = describe_table(conn, name);
  const std::string key = t.display;
  return m.tables.try_emplace(key, std::move(t)).first->second;
}

void require_columns(const TableInfo& t, const std::vector<std::string>& columns,
                     const std::string& what) {
  for (const auto& c : columns)
    if (t.column(c) == nullptr)
      throw InvalidArgument(
          fmt::format("anonkit: {}: column '{}' does not exist in table {}", what, c, t.display));
}

}  // namespace

SubjectModel load_subject_model(db::Connection& conn) {
  SubjectModel m;
  for (const auto& r :
       conn.exec("SELECT name, table_name, key_column FROM anonkit.subjects ORDER BY name").rows) {
    SubjectKind kind;
    kind.name = *r[0];
    try {
      kind.table = describe_table(conn, *r[1]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("anonkit: subject '{}': {}", kind.name,
                                        std::string_view(e.what()).substr(9)));
    }
    m.subject_tables.insert(kind.table.display);
    m.tables.try_emplace(kind.table.display, kind.table);
    auto& stored = m.kinds.emplace(kind.name, std::move(kind)).first->second;
    stored.key = stored.table.column(*r[2]);  // points into the kind's own copy of the table
    if (stored.key == nullptr)
      throw InvalidArgument(
          fmt::format("anonkit: subject '{}': key column '{}' does not exist in {}", stored.name,
                      *r[2], stored.table.display));
  }
  // Declared foreign keys of user schemas; clones on partitions (conparentid <> 0) are the same
  // constraint again.
  for (
      const auto& r :
      conn.exec(
              "SELECT c.conname, cn.nspname || '.' || cc.relname, pn.nspname || '.' || pc.relname, "
              "array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY "
              "  k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n "
              "  ORDER BY k.o), chr(1)), "
              "array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY "
              "  k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n "
              "  ORDER BY k.o), chr(1)), "
              "c.condeferrable::text, "
              "(SELECT bool_and(NOT a.attnotnull) FROM pg_attribute a WHERE a.attrelid = "
              "  c.conrelid AND a.attnum = ANY(c.conkey))::text, "
              "quote_ident(cn.nspname) || '.' || quote_ident(cc.relname), "
              "quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) "
              "FROM pg_constraint c "
              "JOIN pg_class cc ON cc.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = "
              "cc.relnamespace "
              "JOIN pg_class pc ON pc.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = "
              "pc.relnamespace "
              "WHERE c.contype = 'f' AND c.conparentid = 0 AND cn.nspname NOT IN "
              "('pg_catalog', 'information_schema', 'anonkit') AND cn.nspname NOT LIKE 'pg_toast%' "
              "ORDER BY cn.nspname, cc.relname, c.conname")
          .rows) {
    subject::Reference ref;
    ref.name = *r[0];
    ref.child = *r[1];
    ref.parent = *r[2];
    ref.child_columns = split_names(*r[3]);
    ref.parent_columns = split_names(*r[4]);
    ref.deferrable = *r[5] == "true";
    ref.nullable = *r[6] == "true";
    (void)table_of(m, conn, *r[7], ref.child);
    (void)table_of(m, conn, *r[8], ref.parent);
    m.graph.references.push_back(std::move(ref));
  }
  for (const auto& r : conn.exec("SELECT id::text, child_table, array_to_string(child_columns, "
                                 "chr(1)), parent_table, array_to_string(parent_columns, chr(1)) "
                                 "FROM anonkit.links ORDER BY id")
                           .rows) {
    const std::string what = "link " + *r[0];
    subject::Reference ref;
    ref.name = what;
    ref.declared = false;
    try {
      const TableInfo& child = table_of(m, conn, *r[1]);
      const TableInfo& parent = table_of(m, conn, *r[3]);
      ref.child = child.display;
      ref.parent = parent.display;
      ref.child_columns = split_names(*r[2]);
      ref.parent_columns = split_names(*r[4]);
      require_columns(child, ref.child_columns, what);
      require_columns(parent, ref.parent_columns, what);
      ref.nullable = true;
      for (const auto& c : ref.child_columns)
        ref.nullable = ref.nullable && !child.column(c)->not_null;
    } catch (const InvalidArgument& e) {
      const std::string_view msg = e.what();
      throw InvalidArgument(msg.rfind("anonkit: link", 0) == 0
                                ? std::string(msg)
                                : fmt::format("anonkit: {}: {}", what, msg.substr(9)));
    }
    m.graph.references.push_back(std::move(ref));
  }
  return m;
}

subject::Plan plan_for(const SubjectModel& model, const std::string& kind) {
  const auto it = model.kinds.find(kind);
  if (it == model.kinds.end()) {
    std::string known;
    for (const auto& [name, _] : model.kinds) known += (known.empty() ? "" : ", ") + name;
    throw InvalidArgument(
        fmt::format("anonkit: unknown subject '{}': expected one of anonkit.subjects ({})", kind,
                    known.empty() ? "none configured" : known));
  }
  return subject::make_plan(model.graph, it->second.table.display, model.subject_tables);
}

db::Params row_params(const RowSet& rows) {
  std::vector<db::Value> oids, tids;
  for (const auto& [o, t] : rows) {
    oids.emplace_back(o);
    tids.emplace_back(t);
  }
  return {db::text_array(oids), db::text_array(tids)};
}

std::string rows_condition(const std::string& alias, std::size_t first_param) {
  return fmt::format(
      "{0}.ctid = ANY(CAST(${2} AS tid[])) AND ({0}.tableoid, {0}.ctid) IN "
      "(SELECT * FROM unnest(CAST(${1} AS oid[]), CAST(${2} AS tid[])))",
      alias, first_param, first_param + 1);
}

std::string column_list(db::Connection& conn, const std::string& alias,
                        const std::vector<std::string>& columns) {
  std::string s;
  for (std::size_t k = 0; k < columns.size(); ++k)
    s += fmt::format("{}{}.{}", k ? ", " : "", alias, conn.quote_name(columns[k]));
  return s;
}

RowSets find_subject_rows(db::Connection& conn, db::Transaction& tx, const SubjectModel& model,
                          const subject::Plan& plan, const std::string& kind_name,
                          const std::string& key, bool lock) {
  const SubjectKind& kind = model.kinds.at(kind_name);
  RowSets sets;
  db::Rows root;
  try {
    root =
        tx.exec(fmt::format("SELECT tableoid::text, ctid::text FROM {} WHERE {} = CAST($1 AS {}){}",
                            kind.table.qualified, conn.quote_name(kind.key->name), kind.key->type,
                            lock ? " FOR UPDATE" : ""),
                {key});
  } catch (const db::SqlError& e) {
    if (e.sqlstate().rfind("22", 0) != 0) throw;  // data exceptions: the key cannot be one
    throw SubjectNotFound(
        fmt::format("anonkit: '{}' is not a valid {} key: expected a value of type {}", key,
                    kind_name, kind.key->type));
  }
  if (root.empty()) return sets;
  for (const auto& r : root.rows) sets[kind.table.display].insert({*r[0], *r[1]});

  // Fixpoint: rows that reference a row already found belong to the subject too.
  RowSets frontier = sets;
  while (!frontier.empty()) {
    RowSets next;
    for (std::size_t i : plan.follow) {
      const subject::Reference& ref = model.graph.references[i];
      const auto f = frontier.find(ref.parent);
      if (f == frontier.end() || f->second.empty()) continue;
      const TableInfo& child = model.tables.at(ref.child);
      const TableInfo& parent = model.tables.at(ref.parent);
      const auto found =
          tx.exec(fmt::format("SELECT c.tableoid::text, c.ctid::text FROM {} c WHERE ({}) IN "
                              "(SELECT {} FROM {} p WHERE {}){}",
                              child.qualified, column_list(conn, "c", ref.child_columns),
                              column_list(conn, "p", ref.parent_columns), parent.qualified,
                              rows_condition("p", 1), lock ? " FOR UPDATE OF c" : ""),
                  row_params(f->second));
      RowSet& known = sets[ref.child];
      for (const auto& r : found.rows) {
        RowId id{*r[0], *r[1]};
        if (known.insert(id).second) next[ref.child].insert(std::move(id));
      }
    }
    frontier = std::move(next);
  }
  return sets;
}

AccessResult access_subject(db::Connection& conn, const std::string& kind_name,
                            const std::string& key) {
  const SubjectModel model = load_subject_model(conn);
  const subject::Plan plan = plan_for(model, kind_name);
  const SubjectKind& kind = model.kinds.at(kind_name);
  db::Transaction tx(conn, db::Isolation::kRepeatableReadReadOnly);
  // A policy that would hide some of the subject's rows makes the query fail instead.
  tx.set_local({{"row_security", "off"}});
  const RowSets sets = find_subject_rows(conn, tx, model, plan, kind_name, key, false);
  if (sets.empty())
    throw SubjectNotFound(fmt::format("anonkit: no {} with {} = '{}' in {}", kind_name,
                                      kind.key->name, key, kind.table.display));

  AccessResult result;
  const auto now = tx.exec("SELECT to_json(now())::text").scalar();
  std::string doc = fmt::format(R"({{"subject": {}, "key": {}, "generated_at": {}, "tables": {{)",
                                nlohmann::json(kind_name).dump(), nlohmann::json(key).dump(), now);
  bool first_table = true;
  for (const auto& table : plan.tables) {
    const auto s = sets.find(table);
    if (s == sets.end() || s->second.empty()) continue;
    const TableInfo& t = model.tables.at(table);
    std::string order = "t.ctid";
    if (!t.primary_key.empty()) {
      order.clear();
      for (const auto& k : t.primary_key)
        order += (order.empty() ? "t." : ", t.") + conn.quote_name(k);
    }
    const auto rows =
        tx.exec(fmt::format("SELECT row_to_json(t)::text FROM {} t WHERE {} ORDER BY {}",
                            t.qualified, rows_condition("t", 1), order),
                row_params(s->second));
    doc += fmt::format("{}\n  {}: [", first_table ? "" : ",", nlohmann::json(table).dump());
    first_table = false;
    for (std::size_t i = 0; i < rows.size(); ++i)
      doc += fmt::format("{}\n    {}", i ? "," : "", *rows.rows[i][0]);
    doc += "\n  ]";
    result.counts[table] = static_cast<std::int64_t>(rows.size());
  }
  doc += "\n}}\n";
  tx.commit();
  result.document = std::move(doc);
  return result;
}

std::string hash_subject_key(const std::string& kind, const std::string& key,
                             const pseudo::Keyring* keyring) {
  const std::string input = kind + std::string(1, '\0') + key;
  std::array<std::uint8_t, 32> digest{};
  std::string prefix;
  if (keyring != nullptr) {
    digest = pseudo::Pseudonymizer(keyring->pseudonym_key()).mac("anonkit-subject-key", input);
    prefix = "hmac-sha256:";
  } else {
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), digest.data(), &len, EVP_sha256(), nullptr);
    prefix = "sha256:";
  }
  std::string hex = prefix;
  for (const auto b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

}  // namespace anonkit::pg
