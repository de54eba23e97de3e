// Integration fixture: every test gets its own database on the PostgreSQL server that
// pg_virtualenv started for this test binary (PG* variables), with schema anonkit installed, and
// drops it afterwards. The worker is run as the real binary ($ANONKIT_WORKER) in a child process.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace anonkit::pg::testing {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// A worker process started in the background.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  ~Child();
  void kill(int signal);
  // Exit code (128 + signal when killed).
  int wait();
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs the worker with --dsn for this test's database and waits for it.
  Outcome worker(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  // Starts it, stdout and stderr to /dev/null.
  Child spawn(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

  db::Rows sql(const std::string& statement, const db::Params& params = {}) {
    return conn->exec(statement, params);
  }
  std::int64_t count(const std::string& statement, const db::Params& params = {}) {
    return conn->exec(statement, params).integer();
  }
  std::string scalar(const std::string& statement, const db::Params& params = {}) {
    return conn->exec(statement, params).scalar();
  }
  // After a worker was killed, its server backend lives on until it notices the closed socket
  // (holding its advisory locks and open transaction until then); waits until it is gone.
  void wait_for_worker_backends_to_end();
  // md5 over every row of `table` in primary-key order: equal before and after means untouched.
  std::string checksum(const std::string& table, const std::string& order = "1");
  // A fresh key file (mode 0600) for keyed masks, removed with the test.
  std::string key_file();
  // Rows of `query` (original, masked) whose masked text is not the keyed `spec` of the original
  // under `key`: a row masked twice or not at all counts.
  std::int64_t not_masked_once(const std::string& query, const std::string& key,
                               const std::string& spec = "pseudonym:email");

  virtual bool install() const { return true; }

  std::string dbname, dsn;
  std::unique_ptr<db::Connection> admin, conn;
  std::vector<std::string> temp_files;
};

}  // namespace anonkit::pg::testing
