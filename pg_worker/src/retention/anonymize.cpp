// Anonymize rules: the catch-up behind the cursor, the forward pass, and the ledger of keyed cells.
#include <fmt/format.h>

#include <map>
#include <unordered_map>

#include "anonkit/error.hpp"
#include "retention/rule_run.hpp"

namespace anonkit::pg::retention {

RuleRun::Cursor RuleRun::load_cursor() {
  const auto r = conn_.exec(
      "SELECT c.last_time, u.k, c.horizon::text, c.rule_digest FROM anonkit.retention_cursors c, "
      "unnest(c.last_key) WITH ORDINALITY AS u(k, ord) "
      "WHERE c.rule = $1 AND c.table_name = $2 AND c.time_column = $3 ORDER BY u.ord",
      {p_.rule.name, p_.table.display, p_.time->name});
  if (r.empty()) return {};
  if (r.size() != p_.key.size())
    throw InvalidArgument(fmt::format(
        "anonkit: the saved cursor has {} key columns but {} has {}: the primary key changed. "
        "Delete the rule's row in anonkit.retention_cursors: the next run re-checks every "
        "row past the cutoff (keyed masks are not applied twice: the ledger remembers them)",
        r.size(), p_.table.display, p_.key.size()));
  Cursor c;
  c.last.push_back(r.rows[0][0]);
  for (const auto& row : r.rows) c.last.push_back(row[1]);
  c.horizon = r.rows[0][2];
  c.digest = r.rows[0][3];
  return c;
}

void RuleRun::anonymize(bool write) {
  // Every transaction that commits from here on has an id at or past this horizon.
  const auto snap = conn_.exec(
      "SELECT txid_snapshot_xmin(s)::text, txid_snapshot_xmax(s)::text "
      "FROM txid_current_snapshot() s");
  const std::string horizon = *snap.rows[0][0];
  const std::int64_t next = std::stoll(*snap.rows[0][1]);
  const Cursor cur = load_cursor();
  Progress progress(o_.progress && write, p_.rule.name, std::nullopt);
  std::int64_t size = o_.batch.value_or(kFirstBatch);
  if (!cur.last.empty()) {
    Pass behind;
    behind.upper = cur.last;
    behind.write = write;
    behind.adopt = !cur.horizon;
    // Incremental while the masks and filter are those last checked, the filter depends on its
    // row alone (a subquery or now() makes rows eligible without writing them), and the horizon
    // is comparable: age() counts in 32 bits, so one over 2^30 transactions old, or one from
    // another cluster's numbering (ahead of this one), re-checks all.
    if (cur.horizon && cur.digest == p_.rule.digest && p_.row_local_filter) {
      const std::int64_t h = std::stoll(*cur.horizon);
      const std::int64_t low = h & 0xffffffff;
      if (next - h >= 0 && next - h < (std::int64_t{1} << 30) && low >= 3)
        behind.since = std::to_string(low);
    }
    std::vector<db::Value> pos;
    run_batches(progress, size, o_.batch.has_value(),
                [&](std::int64_t n) { return anonymize_batch(n, pos, behind); });
    if (adopted_ > 0)
      out_.notes.push_back(fmt::format(
          "{} pseudonymized cells behind the cursor predate the ledger (an older anonkit): "
          "recorded as done, not pseudonymized again; a row that became eligible behind the "
          "cursor before this upgrade may still hold its original values",
          adopted_));
  }
  if (!stopping()) {
    Pass forward;
    forward.write = write;
    std::vector<db::Value> last = cur.last;
    run_batches(progress, size, o_.batch.has_value(),
                [&](std::int64_t n) { return anonymize_batch(n, last, forward); });
  }
  progress.done();
  if (!write || stopping()) return;
  // The horizon moves only when the catch-up covered everything behind the cursor: a cutoff now
  // before the cursor (--as-of, a longer keep) left rows between them unchecked.
  if (!cur.last.empty() &&
      conn_.exec(fmt::format("SELECT ({} < {})::text", cast("$1", *p_.time), cast("$2", *p_.time)),
                 {cur.last[0], cutoff_})
              .scalar() != "true") {
    out_.notes.push_back(
        "the cutoff is before the cursor: rows between them were not re-checked, and will be "
        "once the cutoff passes the cursor again");
    return;
  }
  (void)conn_.exec(
      "UPDATE anonkit.retention_cursors SET horizon = CAST($2 AS bigint), rule_digest = $3 "
      "WHERE rule = $1",
      {p_.rule.name, horizon, p_.rule.digest});
}

std::string RuleRun::ledger_mac(std::string_view purpose, const ColumnInfo& column,
                                const std::vector<db::Value>& parts) const {
  std::string input = p_.table.display;
  input += '\0';
  input += column.name;
  for (const auto& v : parts) {
    input += '\0';
    input += v.value_or("");
  }
  const auto mac = ctx_.pseudonymizer().mac(purpose, input);
  return fmt::format("{:02x}", fmt::join(mac.begin(), mac.begin() + 16, ""));
}

std::string RuleRun::written_mac(const MaskedColumn& m, const std::string& value) const {
  return ledger_mac("anonkit-retention-written", *m.column, {m.mask.spec(), value});
}

std::int64_t RuleRun::anonymize_batch(std::int64_t size, std::vector<db::Value>& last,
                                      const Pass& pass) {
  db::Transaction tx(conn_);
  // The batch's rows are few and found by key: a hash or merge join would read the whole table
  // (the planner cannot see how few rows unnest() yields).
  set_timeouts(tx, std::nullopt, {{"enable_hashjoin", "off"}, {"enable_mergejoin", "off"}});
  db::Params params{cutoff_, std::to_string(size)};
  std::string where = past_cutoff();
  add_cursor_condition(last, where, params);
  if (!pass.forward()) add_upper_condition(pass.upper, where, params);
  // Table-qualified in ORDER BY: a bare name would sort by the select list's text of the same
  // name (ids as text, 10 before 9), out of the keyset's order, and rows would be passed over.
  // No alias: a rule's filter may name the table.
  std::string select, order, window, window_desc;
  for (std::size_t i = 0; i < p_.order.size(); ++i) {
    const std::string col = fmt::format("{}.{}", p_.table.qualified, q(p_.order[i]->name));
    select += fmt::format("{}{}::text", i ? ", " : "", col);
    order += fmt::format("{}{}", i ? ", " : "", col);
    window += fmt::format("{}{} AS w{}", i ? ", " : "", col, i);
    window_desc += fmt::format("{}w{} DESC", i ? ", " : "", i);
  }
  std::vector<db::Value> window_end;
  const std::string limit = " LIMIT CAST($2 AS bigint)";  // a window holds no more anyway
  if (pass.since) {
    // Few rows behind the cursor changed: a batch is the next `size` rows in order (a window,
    // found by the index) and, of those, the ones written since the horizon, so no batch scans
    // far for its matches. A window without any still counts as a step.
    std::string ends;
    for (std::size_t i = 0; i < p_.order.size(); ++i)
      ends += fmt::format("{}w{}::text", i ? ", " : "", i);
    const auto end =
        tx.exec(fmt::format("SELECT {} FROM (SELECT {} FROM {} WHERE {} ORDER BY "
                            "{} LIMIT CAST($2 AS bigint)) w ORDER BY {} LIMIT 1",
                            ends, window, p_.table.qualified, where, order, window_desc),
                params);
    if (end.empty()) return 0;
    window_end = end.rows[0];
    add_upper_condition(window_end, where, params);
    params.push_back(*pass.since);
    where += fmt::format(" AND age({}.xmin) <= age(CAST(${} AS xid))", p_.table.qualified,
                         params.size());
  }
  for (const auto& m : p_.masks) select += ", " + masked_read(conn_, p_.table.qualified, *m.column);
  // FOR UPDATE, not SKIP LOCKED: the cursor moves past every row it passes, so none may be
  // skipped. A row held too long by an application makes the batch time out and retry.
  const auto rows =
      tx.exec(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {}{}{}", select, p_.table.qualified,
                          where, order, limit, pass.write ? " FOR UPDATE" : ""),
              params);
  if (rows.empty() && window_end.empty()) return 0;
  if (rows.empty()) {  // a window with nothing written since: step past it
    last = window_end;
    return 1;
  }
  const std::size_t nkey = p_.key.size(), norder = p_.order.size();
  const auto key_of = [&](const std::vector<db::Value>& row) {
    return std::vector<db::Value>(row.begin() + 1, row.begin() + 1 + static_cast<long>(nkey));
  };

  // Per row, which keyed cells are still to write ('1'): not in the ledger, or their value is no
  // longer the one written there. Without a key (status), every one counts as to do.
  std::vector<std::size_t> keyed;
  for (std::size_t m = 0; m < p_.masks.size(); ++m)
    if (p_.masks[m].mask.needs_key()) keyed.push_back(m);
  std::vector<std::string> todo(rows.size(), std::string(keyed.size(), '1'));
  std::vector<db::Value> adopt_cells, adopt_written;
  if (!keyed.empty() && ctx_.has_key()) {
    std::vector<std::vector<std::string>> cells(rows.size());
    std::vector<db::Value> wanted;
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (const std::size_t m : keyed) {
        cells[r].push_back(
            ledger_mac("anonkit-retention-cell", *p_.masks[m].column, key_of(rows.rows[r])));
        wanted.emplace_back(cells[r].back());
      }
    std::unordered_map<std::string, std::string> written;
    for (const auto& row :
         tx.exec("SELECT encode(cell, 'hex'), encode(written, 'hex') FROM "
                 "anonkit.retention_ledger WHERE cell = "
                 "ANY(ARRAY(SELECT decode(c, 'hex') FROM unnest(CAST($1 AS text[])) c))",
                 {db::text_array(wanted)})
             .rows)
      written.emplace(*row[0], *row[1]);
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (std::size_t j = 0; j < keyed.size(); ++j) {
        const MaskedColumn& m = p_.masks[keyed[j]];
        const auto& v = rows.rows[r][norder + keyed[j]];
        const auto w = written.find(cells[r][j]);
        bool done = !v || (w != written.end() && w->second == written_mac(m, *v));
        if (!done && pass.adopt && w == written.end()) {
          done = true;
          ++adopted_;
          adopt_cells.emplace_back(cells[r][j]);
          adopt_written.emplace_back(written_mac(m, *v));
        }
        todo[r][j] = done ? '0' : '1';
      }
  }

  std::int64_t changed = 0;
  if (!pass.write) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      bool change = todo[r].find('1') != std::string::npos;
      for (std::size_t m = 0; m < p_.masks.size() && !change; ++m) {
        if (p_.masks[m].mask.needs_key()) continue;
        const auto& v = rows.rows[r][norder + m];
        change = p_.masks[m].mask.apply(v ? std::optional<std::string_view>(*v) : std::nullopt,
                                        p_.masks[m].column->kind, ctx_) != v;
      }
      changed += change ? 1 : 0;
    }
  } else {
    std::map<std::string, std::vector<std::size_t>> groups;  // by the keyed cells to write
    for (std::size_t r = 0; r < rows.size(); ++r) groups[todo[r]].push_back(r);
    std::vector<std::pair<std::string, std::string>> match;
    for (const auto* k : p_.key) match.emplace_back("t." + q(k->name), k->type);
    std::vector<db::Value> ledger_cells = adopt_cells, ledger_written = adopt_written;
    std::vector<std::pair<std::vector<MaskedColumn>, std::vector<std::vector<db::Value>>>>
        pending_verify;
    for (const auto& [pattern, members] : groups) {
      std::vector<MaskedColumn> masks;
      std::vector<std::size_t> columns;  // index in p_.masks
      std::vector<const MaskedColumn*> keyed_written;
      for (std::size_t m = 0, j = 0; m < p_.masks.size(); ++m) {
        const bool is_keyed = p_.masks[m].mask.needs_key();
        if (is_keyed && pattern[j++] == '0') continue;
        masks.push_back(p_.masks[m]);
        columns.push_back(m);
        if (is_keyed) keyed_written.push_back(&p_.masks[m]);
      }
      if (masks.empty()) continue;
      std::vector<std::vector<db::Value>> values;
      for (const std::size_t r : members) {
        auto v = key_of(rows.rows[r]);
        for (const std::size_t m : columns) v.push_back(rows.rows[r][norder + m]);
        values.push_back(std::move(v));
      }
      WriteOptions w;
      w.only_changed = true;
      for (const auto* k : p_.key) w.returning.push_back("t." + q(k->name));
      for (const auto* c : keyed_written)
        w.returning.push_back(masked_read(conn_, "t", *c->column));
      std::vector<std::vector<db::Value>> back, masked_back;
      if (!keyed_written.empty()) w.returned = &back;
      if (o_.verify) w.masked_back = &masked_back;
      changed += static_cast<std::int64_t>(
          write_masked(conn_, tx, p_.table, match, masks, values, {}, ctx_, nullptr, w));
      // Counted before commit from the values as the server holds them; a retried batch starts
      // over in a new transaction, so these are added only once it commits (below).
      if (o_.verify) pending_verify.emplace_back(std::move(masks), std::move(masked_back));
      for (const auto& row : back) {
        const std::vector<db::Value> key(row.begin(), row.begin() + static_cast<long>(nkey));
        for (std::size_t j = 0; j < keyed_written.size(); ++j) {
          const auto& v = row[nkey + j];
          if (!v) continue;
          ledger_cells.emplace_back(
              ledger_mac("anonkit-retention-cell", *keyed_written[j]->column, key));
          ledger_written.emplace_back(written_mac(*keyed_written[j], *v));
        }
      }
    }
    if (!ledger_cells.empty())
      (void)tx.exec(
          "INSERT INTO anonkit.retention_ledger (cell, written) "
          "SELECT decode(c, 'hex'), decode(w, 'hex') "
          "FROM unnest(CAST($1 AS text[]), CAST($2 AS text[])) AS u(c, w) "
          "ON CONFLICT (cell) DO UPDATE SET written = excluded.written",
          {db::text_array(ledger_cells), db::text_array(ledger_written)});
    const auto& end = rows.rows.back();
    if (pass.forward())
      (void)tx.exec(
          "INSERT INTO anonkit.retention_cursors (rule, table_name, time_column, last_time, "
          "last_key, updated_at) VALUES ($1, $2, $3, $4, CAST($5 AS text[]), now()) "
          "ON CONFLICT (rule) DO UPDATE SET table_name = excluded.table_name, "
          "time_column = excluded.time_column, last_time = excluded.last_time, "
          "last_key = excluded.last_key, updated_at = excluded.updated_at",
          {p_.rule.name, p_.table.display, p_.time->name, end[0], db::text_array(key_of(end))});
    tx.commit();
    for (const auto& [masks, masked_back] : pending_verify)
      verifier_.add(p_.table, masks, masked_back);
  }
  out_.rows += changed;
  const auto& end = rows.rows.back();
  last.assign(end.begin(), end.begin() + static_cast<long>(norder));
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace anonkit::pg::retention
