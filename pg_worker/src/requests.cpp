// Claim, execute, record. The claim transaction stays open while the request runs on the work
// session: its row lock is the claim, and it dies with the worker.
#include "requests.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "subjects.hpp"

namespace anonkit::pg {

RequestsOutcome run_requests(const std::string& dsn, const EraseOptions& options,
                             const std::atomic<bool>* stop) {
  RequestsOutcome outcome;
  db::Connection claim(dsn), work(dsn);
  const std::string worker = fmt::format("pid {}", getpid());
  while (stop == nullptr || !stop->load()) {
    db::Transaction tx(claim);
    const auto r = tx.exec(
        "SELECT id::text, kind, subject, subject_key FROM anonkit.requests WHERE status IN "
        "('pending', 'running') ORDER BY requested_at, id LIMIT 1 FOR UPDATE SKIP LOCKED");
    if (r.empty()) break;
    const auto& row = r.rows[0];
    const std::string id = *row[0], kind = *row[1], subject = *row[2], key = *row[3];
    std::string status = "done";
    db::Value result, error;
    try {
      if (kind == "access") {
        result = access_subject(work, subject, key).document;
      } else {
        EraseOptions o = options;
        o.request_id = std::stoll(id);
        result = erase_subject(work, subject, key, o).receipt;
      }
    } catch (const db::ConnectionError&) {
      throw;  // the claim is released with this transaction: another worker takes it
    } catch (const std::exception& e) {
      status = "failed";
      error = std::string(e.what());
    }
    (void)tx.exec(
        "UPDATE anonkit.requests SET status = $2, started_at = coalesce(started_at, now()), "
        "finished_at = clock_timestamp(), attempts = attempts + 1, worker = $3, "
        "result = CAST($4 AS jsonb), error = $5 WHERE id = CAST($1 AS bigint)",
        {id, status, worker, result, error});
    tx.commit();
    ++(status == "done" ? outcome.done : outcome.failed);
  }
  return outcome;
}

}  // namespace anonkit::pg
