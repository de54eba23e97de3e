// libpqxx 6.4 behind the db/ interface.
#include "db/connection.hpp"

#include <fmt/format.h>

// libpqxx 6 reconnects a broken connection by itself unless told not to; the switch is deprecated
// only because 7.x dropped reconnection altogether.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <pqxx/pqxx>
#pragma GCC diagnostic pop

namespace anonkit::pg::db {
namespace {

Rows convert(const pqxx::result& r) {
  Rows out;
  out.affected = r.affected_rows();
  out.rows.reserve(r.size());
  const auto columns = static_cast<std::size_t>(r.columns());
  for (const auto& row : r) {
    std::vector<Value> values;
    values.reserve(columns);
    for (const auto& field : row) {
      if (field.is_null())
        values.emplace_back(std::nullopt);
      else
        values.emplace_back(std::string(field.c_str(), field.size()));
    }
    out.rows.push_back(std::move(values));
  }
  return out;
}

std::string first_line(const char* what) {
  std::string s(what);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Runs `body`, turning libpqxx's exceptions into anonkit's.
template <typename F>
auto translated(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const pqxx::broken_connection& e) {
    throw ConnectionError(
        fmt::format("anonkit: lost the connection to PostgreSQL: {}", first_line(e.what())));
  } catch (const pqxx::in_doubt_error& e) {
    throw ConnectionError(
        fmt::format("anonkit: the connection broke while committing; the outcome is unknown: {}",
                    first_line(e.what())));
  } catch (const pqxx::sql_error& e) {
    throw SqlError(fmt::format("anonkit: PostgreSQL: {}", first_line(e.what())), e.sqlstate());
  } catch (const pqxx::failure& e) {
    throw Error(fmt::format("anonkit: PostgreSQL: {}", first_line(e.what())));
  } catch (const pqxx::usage_error& e) {
    throw Error(fmt::format("anonkit: internal database usage error: {}", e.what()));
  }
}

// SELECT set_config($1, $2, local), set_config($3, $4, local), ...: several settings in one
// round trip, names and values bound.
std::pair<std::string, Params> set_config(
    const std::vector<std::pair<std::string, std::string>>& settings, bool local) {
  std::string sql = "SELECT ";
  Params params;
  for (const auto& [name, value] : settings) {
    sql += fmt::format("{}set_config(${}, ${}, {})", params.empty() ? "" : ", ", params.size() + 1,
                       params.size() + 2, local ? "true" : "false");
    params.emplace_back(name);
    params.emplace_back(value);
  }
  return {std::move(sql), std::move(params)};
}

}  // namespace

bool SqlError::transient() const noexcept {
  return sqlstate_ == "40001" || sqlstate_ == "40P01" || sqlstate_ == "55P03" ||
         sqlstate_ == "57014";
}

const std::string& Rows::scalar() const {
  if (rows.empty() || rows[0].empty() || !rows[0][0])
    throw Error("anonkit: internal error: expected one value from the database, got none");
  return *rows[0][0];
}

std::int64_t Rows::integer() const { return std::stoll(scalar()); }

struct Connection::Impl {
  explicit Impl(const std::string& dsn) : conn(dsn) {}
  pqxx::connection conn;
};

Connection::Connection(const std::string& dsn) {
  try {
    impl_ = std::make_unique<Impl>(dsn);
  } catch (const std::exception& e) {
    throw ConnectionError(
        fmt::format("anonkit: could not connect to PostgreSQL: {}", first_line(e.what())));
  }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  impl_->conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
  // The filter checker assumes standard strings; the name shows in pg_stat_activity.
  const auto [sql, params] = set_config(
      {{"standard_conforming_strings", "on"}, {"application_name", "anonkit-worker"}}, false);
  exec(sql, params);
}

Connection::~Connection() = default;

Rows Connection::exec(const std::string& sql, const Params& params) {
  return translated([&] {
    pqxx::nontransaction tx(impl_->conn);
    return convert(tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params)));
  });
}

std::string Connection::quote_name(std::string_view identifier) const {
  return translated([&] { return impl_->conn.quote_name(std::string(identifier)); });
}

int Connection::server_version() const { return impl_->conn.server_version(); }
int Connection::backend_pid() const { return impl_->conn.backendpid(); }

struct Transaction::Impl {
  std::unique_ptr<pqxx::dbtransaction> tx;
};

Transaction::Transaction(Connection& conn, Isolation isolation) : impl_(std::make_unique<Impl>()) {
  translated([&] {
    auto& c = conn.impl_->conn;
    switch (isolation) {
      case Isolation::kReadCommitted:
        impl_->tx = std::make_unique<pqxx::work>(c);
        break;
      case Isolation::kRepeatableReadReadOnly:
        impl_->tx = std::make_unique<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(c);
        break;
      case Isolation::kSerializable:
        impl_->tx = std::make_unique<pqxx::transaction<pqxx::serializable>>(c);
        break;
    }
  });
}

Transaction::~Transaction() {
  try {
    impl_->tx.reset();  // aborts when not committed; never throws out of a destructor
  } catch (...) {
  }
}

Rows Transaction::exec(const std::string& sql, const Params& params) {
  return translated([&] {
    return convert(impl_->tx->exec_params(sql, pqxx::prepare::make_dynamic_params(params)));
  });
}

void Transaction::set_local(const Settings& settings) {
  const auto [sql, params] = set_config(settings, true);
  (void)exec(sql, params);
}

void Transaction::exec_script(const std::string& sql) {
  translated([&] { (void)impl_->tx->exec(sql); });
}

void Transaction::commit() {
  translated([&] { impl_->tx->commit(); });
}

std::string text_array(const std::vector<Value>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (const char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace anonkit::pg::db
