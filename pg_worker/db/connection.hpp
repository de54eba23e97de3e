// The worker's only window onto libpqxx (and libpq): connections, transactions, parameters bound
// as text, results as optional strings. Keeping <pqxx/...> inside db/ keeps a later libpqxx 7
// upgrade local. Every libpqxx exception is translated here into an anonkit one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/error.hpp"

namespace anonkit::pg::db {

// The server refused a statement. sqlstate() is PostgreSQL's five-character code.
class SqlError : public Error {
 public:
  SqlError(const std::string& what, std::string sqlstate)
      : Error(what), sqlstate_(std::move(sqlstate)) {}
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
  // Worth retrying the whole transaction: serialization failure, deadlock, lock or statement
  // timeout.
  [[nodiscard]] bool transient() const noexcept;

 private:
  std::string sqlstate_;
};

// Could not connect, or the connection broke. Never silently re-established: a session's advisory
// locks and settings die with it.
class ConnectionError : public Error {
 public:
  using Error::Error;
};

using Value = std::optional<std::string>;
using Params = std::vector<Value>;

struct Rows {
  std::vector<std::vector<Value>> rows;
  std::uint64_t affected = 0;

  [[nodiscard]] bool empty() const noexcept { return rows.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return rows.size(); }
  // The single value of a one-row result (throws Error if there is no row or it is NULL).
  [[nodiscard]] const std::string& scalar() const;
  [[nodiscard]] std::int64_t integer() const;
};

enum class Isolation { kReadCommitted, kRepeatableReadReadOnly, kSerializable };

class Connection {
 public:
  // `dsn` empty: libpq's PG* variables, service file and .pgpass. Throws ConnectionError.
  explicit Connection(const std::string& dsn);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement in its own implicit transaction (autocommit).
  Rows exec(const std::string& sql, const Params& params = {});
  [[nodiscard]] std::string quote_name(std::string_view identifier) const;
  [[nodiscard]] int server_version() const;
  [[nodiscard]] int backend_pid() const;
  // The TimeZone the session was given (PGTZ, PGOPTIONS, the role's or database's settings) before
  // the worker pinned its own to UTC: the zone `timestamp without time zone` values are read in.
  [[nodiscard]] const std::string& time_zone() const;
  // Behind a transaction pooler (PgBouncer): the port connected to is not the server's, or
  // ANONKIT_POOLED=1. Then every statement runs in a transaction that pins the settings, and no
  // session state is relied on.
  [[nodiscard]] bool pooled() const;

 private:
  friend class Transaction;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One transaction; rolled back when destroyed uncommitted. One at a time per connection.
class Transaction {
 public:
  explicit Transaction(Connection& conn, Isolation isolation = Isolation::kReadCommitted);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Rows exec(const std::string& sql, const Params& params = {});
  // SET LOCAL for each (name, value), in one round trip (set_config(..., true)).
  using Settings = std::vector<std::pair<std::string, std::string>>;
  void set_local(const Settings& settings);
  // Several statements, no parameters (simple query protocol): for the schema's migration files.
  void exec_script(const std::string& sql);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A PostgreSQL message made safe to store and print: no row value and no key survives. Only the
// first line is kept (DETAIL, HINT, CONTEXT and the query position go), the severity prefix
// ("ERROR:  ") goes, and the values the server quotes in it are cut while identifiers stay:
//   invalid input syntax for type integer: "forty-two"  ->  invalid input syntax for type integer
//   value "99999999999" is out of range for type integer ->  value is out of range for type integer
//   ... Key (email)=(a@b) ... / Failing row contains (...) -> dropped from there on
// A quoted text is an identifier (kept) only right after relation, constraint, column, table,
// index, type, schema, ... or "at or near"; any other quoted text is a value.
[[nodiscard]] std::string scrub_server_message(std::string_view message);

// PostgreSQL array literal of text values ({"a","b\"c",NULL}), for `$1::text[]` parameters.
[[nodiscard]] std::string text_array(const std::vector<Value>& values);

}  // namespace anonkit::pg::db
