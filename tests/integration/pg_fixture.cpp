// The integration fixture's database per test and worker processes.
#include "pg_fixture.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "anonkit/policy/column_mask.hpp"
#include "anonkit/pseudo/keyring.hpp"
#include "install.hpp"

namespace anonkit::pg::testing {
namespace {

std::string worker_path() {
  const char* p = std::getenv("ANONKIT_WORKER");
  if (p == nullptr) throw std::runtime_error("ANONKIT_WORKER is not set");
  return p;
}

std::string read_all(int fd) {
  std::string s;
  std::array<char, 4096> buf{};
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0)
    s.append(buf.data(), static_cast<std::size_t>(n));
  return s;
}

pid_t start(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out_fd,
            int err_fd) {
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

void Child::kill(int signal) { ::kill(pid_, signal); }

int Child::wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return decode(status);
}

bool Child::running() {
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

void PgTest::SetUp() {
  setenv("PGTZ", "UTC", 1);  // timestamps print the same on every machine; children inherit it
  std::random_device rd;
  dbname = fmt::format("ak_{:08x}", rd());
  dsn = "dbname=" + dbname;
  admin = std::make_unique<db::Connection>("dbname=postgres");
  (void)admin->exec("CREATE DATABASE " + dbname);
  conn = std::make_unique<db::Connection>(dsn);
  if (install()) (void)install_schema(*conn);
}

void PgTest::TearDown() {
  conn.reset();
  (void)admin->exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", dbname));
  for (const auto& f : temp_files) unlink(f.c_str());
}

Outcome PgTest::worker(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{worker_path(), "--dsn", dsn};
  argv.insert(argv.end(), args.begin(), args.end());
  char out_name[] = "/tmp/ak-out-XXXXXX", err_name[] = "/tmp/ak-err-XXXXXX";
  const int out = mkstemp(out_name), err = mkstemp(err_name);
  int status = 0;
  waitpid(start(argv, env, out, err), &status, 0);
  Outcome o;
  o.exit_code = decode(status);
  lseek(out, 0, SEEK_SET);
  lseek(err, 0, SEEK_SET);
  o.out = read_all(out);
  o.err = read_all(err);
  close(out);
  close(err);
  unlink(out_name);
  unlink(err_name);
  return o;
}

Child PgTest::spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv{worker_path(), "--dsn", dsn};
  argv.insert(argv.end(), args.begin(), args.end());
  const int null = open("/dev/null", O_WRONLY);
  const pid_t pid = start(argv, env, null, null);
  close(null);
  return Child(pid);
}

void PgTest::wait_for_worker_backends_to_end() {
  for (int i = 0; i < 1000; ++i) {
    if (count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
              "application_name = 'anonkit-worker' AND pid <> pg_backend_pid()") == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "a killed worker's backend did not end within 10 s";
}

std::string PgTest::checksum(const std::string& table, const std::string& order) {
  return scalar(fmt::format(
      "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY {}), '')) FROM {} t", order, table));
}

std::int64_t PgTest::not_masked_once(const std::string& query, const std::string& key,
                                     const std::string& spec) {
  const policy::MaskContext ctx(pseudo::Keyring::from_file(key));
  const auto mask = policy::ColumnMask::parse(spec);
  std::int64_t wrong = 0;
  for (const auto& r : sql(query).rows)
    wrong += !r[0] || mask.apply(*r[0], policy::ColumnKind::kText, ctx) != r[1];
  return wrong;
}

std::string PgTest::key_file() {
  char name[] = "/tmp/ak-key-XXXXXX";
  const int fd = mkstemp(name);  // mode 0600
  const std::string hex = "3c1f5a7e9b2d4f6081a3c5e7092b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f\n";
  EXPECT_EQ(write(fd, hex.data(), hex.size()), static_cast<ssize_t>(hex.size()));
  close(fd);
  temp_files.emplace_back(name);
  return name;
}

}  // namespace anonkit::pg::testing
