// The request queue: applications insert into anonkit.requests, workers claim one request at a
// time with FOR UPDATE SKIP LOCKED and hold the row lock while they work (on a second session),
// so any number of workers process each request once, and a killed worker's request simply
// becomes claimable again.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "destroyer.hpp"

namespace anonkit::pg {

struct RequestsOutcome {
  std::int64_t done = 0, failed = 0;
};

// Processes queued requests until none is left (or `stop` is set).
[[nodiscard]] RequestsOutcome run_requests(const std::string& dsn, const EraseOptions& options,
                                           const std::atomic<bool>* stop);

}  // namespace anonkit::pg
