// Leases as rows of anonkit.leases; see lease.hpp.
#include "lease.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "anonkit/error.hpp"

namespace anonkit::pg {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/PID/stat: the start time in clock ticks since boot; empty when there is no
// such process. The command name (field 2) may hold spaces and parentheses: count after the last
// ')'.
std::string start_time(std::int64_t pid) {
  const std::string stat = read_line(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return field;
  return {};
}

std::string random_token() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw Error("anonkit: the system's random source failed");
  return fmt::format("{:02x}", fmt::join(bytes, ""));
}

}  // namespace

const ProcessIdentity& ProcessIdentity::self() {
  static const ProcessIdentity me = [] {
    ProcessIdentity p;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    p.host = host;
    std::array<char, 128> ns{};
    const auto n = readlink("/proc/self/ns/pid", ns.data(), ns.size() - 1);
    p.machine = read_line("/proc/sys/kernel/random/boot_id") + "/" +
                (n > 0 ? std::string(ns.data(), static_cast<std::size_t>(n)) : std::string());
    p.pid = getpid();
    p.started = start_time(p.pid);
    return p;
  }();
  return me;
}

std::optional<bool> ProcessIdentity::alive() const {
  const auto& me = self();
  if (host != me.host || machine != me.machine || me.started.empty()) return std::nullopt;
  if (pid <= 0) return false;
  // The kernel says whether the pid exists (EPERM: it does, another user's); /proc then tells a
  // reused pid by its start time, where /proc shows it (hidepid may hide other users' processes:
  // then it counts as alive).
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  const std::string now = start_time(pid);
  return now.empty() || now == started;
}

Lease::Lease(db::Connection& conn, std::string resource, std::string token,
             std::chrono::seconds ttl)
    : conn_(&conn),
      resource_(std::move(resource)),
      token_(std::move(token)),
      ttl_(ttl),
      renewed_(std::chrono::steady_clock::now()) {}

Lease::Lease(Lease&& other) noexcept
    : conn_(other.conn_),
      resource_(std::move(other.resource_)),
      token_(std::move(other.token_)),
      ttl_(other.ttl_),
      renewed_(other.renewed_) {
  other.token_.clear();
}

Lease::~Lease() { release(); }

std::optional<Lease> Lease::acquire(db::Connection& conn, std::string resource,
                                    std::chrono::seconds ttl, std::string& holder) {
  const auto& me = ProcessIdentity::self();
  const std::string token = random_token();
  const std::string interval = fmt::format("{} seconds", ttl.count());
  // Taken when free, expired, or held by `$8`: a holder this process saw dead.
  const auto take = [&](const db::Value& dead_token) {
    return conn.exec(
                   "INSERT INTO anonkit.leases AS l (resource, token, host, machine, pid, started, "
                   "expires_at) VALUES ($1, $2, $3, $4, CAST($5 AS bigint), $6, clock_timestamp() "
                   "+ "
                   "CAST($7 AS interval)) ON CONFLICT (resource) DO UPDATE SET token = "
                   "excluded.token, "
                   "host = excluded.host, machine = excluded.machine, pid = excluded.pid, started "
                   "= "
                   "excluded.started, acquired_at = clock_timestamp(), expires_at = "
                   "excluded.expires_at "
                   "WHERE l.expires_at < clock_timestamp() OR l.token = $8 RETURNING l.token",
                   {resource, token, me.host, me.machine, std::to_string(me.pid), me.started,
                    interval, dead_token})
               .size() == 1;
  };
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (take(std::nullopt)) return Lease(conn, resource, token, ttl);
    const auto r = conn.exec(
        "SELECT token, host, machine, pid::text, started, expires_at::text FROM anonkit.leases "
        "WHERE resource = $1",
        {resource});
    if (r.empty()) continue;  // released meanwhile: try again
    ProcessIdentity other;
    other.host = *r.rows[0][1];
    other.machine = *r.rows[0][2];
    other.pid = std::stoll(*r.rows[0][3]);
    other.started = *r.rows[0][4];
    if (other.alive() == false) {
      if (take(r.rows[0][0])) return Lease(conn, resource, token, ttl);
      continue;  // someone else took it first: look again
    }
    holder = fmt::format("host {} pid {}, until {}", other.host, other.pid, *r.rows[0][5]);
    return std::nullopt;
  }
  holder = "another worker, changing hands";
  return std::nullopt;
}

void Lease::renew() {
  const auto now = std::chrono::steady_clock::now();
  if (now - renewed_ < ttl_ / 3) return;
  const auto r = conn_->exec(
      "UPDATE anonkit.leases SET expires_at = clock_timestamp() + CAST($3 AS interval) "
      "WHERE resource = $1 AND token = $2",
      {resource_, token_, fmt::format("{} seconds", ttl_.count())});
  if (r.affected != 1) {
    token_.clear();
    throw Error(
        "anonkit: this worker's lease expired and another worker took it over: stopped before "
        "the next batch (raise --lease-ttl if batches run longer than a third of it)");
  }
  renewed_ = now;
}

void Lease::release() noexcept {
  if (token_.empty()) return;
  try {
    (void)conn_->exec("DELETE FROM anonkit.leases WHERE resource = $1 AND token = $2",
                      {resource_, token_});
  } catch (...) {  // the lease expires by itself
  }
  token_.clear();
}

}  // namespace anonkit::pg
