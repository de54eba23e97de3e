// One rule's run, shared by its parts: the cutoff and the conditions every statement carries,
// batches that adapt and retry, and the strategies, each in its own file:
//   partitions.cpp  drops leaf partitions wholly past the cutoff (delete rules, range on time)
//   delete.cpp      deletes the rest of each leaf by block range or by the time index, chosen by
//                   the share of expired rows (estimated, or sampled without statistics)
//   anonymize.cpp   re-checks rows behind the cursor written since the last complete run, then
//                   anonymizes forward from the cursor; keyed cells through the ledger
// retention.cpp validates rules, takes leases and records runs.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "anonkit/policy/column_mask.hpp"
#include "catalog.hpp"
#include "lease.hpp"
#include "masked_update.hpp"
#include "retention.hpp"

namespace anonkit::pg::retention {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kMinBatch = 100, kMaxBatch = 100000, kFirstBatch = 1000;
// Below this share of a leaf's rows past the cutoff, deleting by the time index beats scanning
// every block (measured: ~375k rows/s by index vs ~1M rows/s scanned by block range).
constexpr double kIndexShare = 0.3;

struct Rule {
  std::string id, name, table_name, time_column, keep, action;
  std::optional<std::string> mask, filter;
  std::string digest;  // of the masks and filter: a change re-checks every row behind the cursor
  bool may_cascade = false;
};

// A rule checked against the catalog: everything its statements need, already quoted.
struct Plan {
  Rule rule;
  TableInfo table;
  const ColumnInfo* time = nullptr;
  std::vector<const ColumnInfo*> key;    // primary key (anonymize needs one; delete does not)
  std::vector<const ColumnInfo*> order;  // anonymize's keyset order: time, then key
  std::vector<MaskedColumn> masks;
  std::string filter;  // " AND (...)" or empty
  bool drop_partitions = false;
  std::vector<std::string> notes;  // what the run should say beside its counts
  bool row_local_filter = true;    // the filter depends on its row alone (see anonymize)
};

// `param` ($n) cast to the column's type.
inline std::string cast(const std::string& param, const ColumnInfo& c) {
  return fmt::format("CAST({} AS {})", param, c.type);
}

// Which way a leaf's expired rows are deleted, and why (delete.cpp).
enum class DeleteWay { kByIndex, kByBlocks };
// By the time index only with one and when few rows are past the cutoff (below kIndexShare):
// reading them by the index then beats reading every block.
[[nodiscard]] inline DeleteWay choose_delete_way(bool time_index, double share_past) {
  return time_index && share_past < kIndexShare ? DeleteWay::kByIndex : DeleteWay::kByBlocks;
}

class Progress {
 public:
  Progress(bool enabled, std::string rule, std::optional<std::int64_t> total)
      : tty_(enabled && isatty(STDERR_FILENO)), rule_(std::move(rule)), total_(total) {}
  void update(std::int64_t rows) {
    if (!tty_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    const double rate = s > 0 ? static_cast<double>(rows) / s : 0;
    std::string eta;
    if (total_ && rate > 0 && *total_ > rows)
      eta = fmt::format(", ETA {:.0f} s", static_cast<double>(*total_ - rows) / rate);
    std::fprintf(stderr, "\r\033[Kretention: %s: %lld%s rows, %.0f rows/s%s", rule_.c_str(),
                 static_cast<long long>(rows), total_ ? fmt::format(" of {}", *total_).c_str() : "",
                 rate, eta.c_str());
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool tty_;
  std::string rule_;
  std::optional<std::int64_t> total_;
  Clock::time_point start_ = Clock::now(), last_{};
};

class RuleRun {
 public:
  RuleRun(db::Connection& conn, Plan& plan, const RetentionOptions& options, RuleOutcome& out)
      : conn_(conn), p_(plan), o_(options), out_(out), ctx_(options.keyring) {}

  // `now() - keep` (or --as-of) in the time column's type, on the application's calendar.
  void compute_cutoff();
  const std::string& cutoff_tz() const { return cutoff_tz_; }
  // What a run would change, changing nothing (anonymize: both passes, reading only).
  void dry_run();
  // partitions.cpp: leaf partitions wholly past the cutoff, detached and dropped.
  void drop_partitions();
  // The rows: delete.cpp per leaf, or anonymize.cpp.
  void batches();

  // What --verify found in the rows this run wrote (anonymize).
  [[nodiscard]] std::vector<ColumnVerification> verification() const { return verifier_.results(); }

  std::function<void()> on_flush;
  Lease* lease = nullptr;  // renewed between batches

 private:
  std::string q(const std::string& name) const { return conn_.quote_name(name); }
  bool stopping() const { return o_.stop != nullptr && o_.stop->load(); }

  // The batch's lock and statement timeouts, and any `extra` settings, in one round trip.
  void set_timeouts(db::Transaction& tx,
                    std::optional<std::chrono::milliseconds> lock_timeout = std::nullopt,
                    db::Transaction::Settings extra = {});

  // "time < cutoff AND (filter)", the cutoff bound as $1: in every statement that reads or
  // changes rows, so none younger than the rule or outside its filter is ever touched.
  std::string past_cutoff() const;

  // Transient failures (lock or statement timeout, deadlock, serialization) retry the whole
  // transaction, with a smaller batch after a timeout.
  template <typename F>
  void retrying(F&& body, std::int64_t* size = nullptr, std::int64_t min_size = kMinBatch) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (lease) lease->renew();  // retries can outlast the lease
        body();
        return;
      } catch (const db::SqlError& e) {
        if (!e.transient() || attempt >= 6) throw;
        if (size) *size = std::max(min_size, *size / 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
      }
    }
  }

  template <typename Exec>
  bool partition_expired(Exec& exec, const PartitionInfo& part) {
    if (!part.leaf) return false;
    const auto upper = range_upper_bound(part.bound);
    if (!upper) return false;
    return exec.exec(fmt::format("SELECT {} <= {}", cast("$1", *p_.time), cast("$2", *p_.time)),
                     {*upper, cutoff_})
               .scalar() == "t";
  }

  // Appends "position after `last` in keyset order" to `where`, binding `last`.
  void add_cursor_condition(const std::vector<db::Value>& last, std::string& where,
                            db::Params& params) const;

  // Appends "at or before `upper` in keyset order" to `where`, binding `upper`.
  void add_upper_condition(const std::vector<db::Value>& upper, std::string& where,
                           db::Params& params) const;

  // Where the rule's anonymize runs stopped, and what the last complete run checked.
  struct Cursor {
    std::vector<db::Value> last;         // (time, key...) of the last row passed; empty: none yet
    std::optional<std::string> horizon;  // row versions older than this were checked
    std::optional<std::string> digest;   // of the masks and filter they were checked against
  };

  Cursor load_cursor();

  // A table, or each leaf partition of a partitioned one: physical row ids are per leaf.
  struct Leaf {
    std::string oid, qualified;
    bool time_index = false;
    double tuples = -1, pages = 0;
  };

  std::vector<Leaf> leaves();

  // Rows still to delete, for the progress line's ETA.
  std::int64_t pending();

  // Runs `batch(size)` until it returns 0, adapting `size` to the target duration unless fixed.
  template <typename F>
  void run_batches(Progress& progress, std::int64_t& size, bool fixed, F&& batch,
                   std::int64_t min_size = kMinBatch, std::int64_t max_size = kMaxBatch) {
    auto flushed = Clock::now();
    while (!stopping()) {
      const auto t0 = Clock::now();
      std::int64_t done = 0;
      retrying([&] { done = batch(size); }, fixed ? nullptr : &size, min_size);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (done == 0) break;
      if (lease) lease->renew();
      ++out_.batches;
      out_.longest_batch_ms = std::max(out_.longest_batch_ms, ms);
      progress.update(out_.rows);
      if (!fixed) {
        // Aim at target_batch per transaction; never more than double or less than half at once.
        const double target = static_cast<double>(o_.target_batch.count());
        const double factor = std::clamp(target / std::max(ms, 1.0), 0.5, 2.0);
        size = std::clamp(static_cast<std::int64_t>(static_cast<double>(size) * factor), min_size,
                          max_size);
      }
      if (Clock::now() - flushed > std::chrono::seconds(5)) {
        flushed = Clock::now();
        if (on_flush) on_flush();
      }
    }
  }

  // The share of the leaf's rows past the cutoff: the planner's estimate when the leaf has
  // statistics for the time column and its size has not changed much since they were taken; else
  // measured on a sample of up to 2,000 of its blocks. A bulk-loaded table autovacuum has not
  // analysed yet has none, and the planner's default guess sent 729,018 expired rows through the
  // index at 0.05x the speed of one DELETE.
  double past_share(const Leaf& leaf, std::int64_t blocks, std::string& how);

  // Two ways through a leaf. With an index leading with the time column and few rows past the
  // cutoff: the oldest rows first, by the index. Otherwise: the table's pages in order, a range of
  // blocks per transaction, as fast per row as one plain DELETE (a TID range scan).
  void delete_leaf(const Leaf& leaf, Progress& progress);

  // Deletes the past rows of the next `n` blocks. Returns 0 only when no block is left: a range
  // without past rows still counts as a step.
  std::int64_t delete_by_blocks(const Leaf& leaf, std::int64_t n, std::int64_t& next,
                                std::int64_t blocks);

  std::int64_t delete_by_index(const Leaf& leaf, std::int64_t n, std::optional<std::string>& last);

  // ---- anonymize ----
  // Two passes per run, each row checked before it is written: first the rows behind the saved
  // cursor that were written since the last complete run (all of them when the masks or filter
  // changed since), then the rows after it, moving the cursor. A masked column is written only
  // when its value is not already the masked one: an idempotent mask is its own check (the
  // UPDATE skips a row whose values would not change), a keyed one is checked in the ledger.
  struct Pass {
    std::vector<db::Value> upper;      // behind the cursor: at or before this position
    std::optional<std::string> since;  // behind: only row versions written since this xid
    bool write = true;                 // false: count what a run would change
    // A cursor from before the ledger existed: keyed cells behind it that the ledger does not
    // know were pseudonymized then; they are recorded as they are, not pseudonymized again.
    bool adopt = false;
    [[nodiscard]] bool forward() const { return upper.empty(); }
  };

  void anonymize(bool write);

  // The ledger's names for a keyed cell (table, column, key) and for the value written into it:
  // HMACs under the key file's key, 16 bytes, hex.
  std::string ledger_mac(std::string_view purpose, const ColumnInfo& column,
                         const std::vector<db::Value>& parts) const;

  // The value a keyed mask wrote, with the strategy that wrote it: after a change of strategy
  // (fpe to pseudonym) the cell no longer counts as done.
  std::string written_mac(const MaskedColumn& m, const std::string& value) const;

  std::int64_t anonymize_batch(std::int64_t size, std::vector<db::Value>& last, const Pass& pass);

  db::Connection& conn_;
  Plan& p_;
  const RetentionOptions& o_;
  RuleOutcome& out_;
  policy::MaskContext ctx_;
  std::string cutoff_, cutoff_tz_;
  std::int64_t adopted_ = 0;
  Verifier verifier_;
};

}  // namespace anonkit::pg::retention
