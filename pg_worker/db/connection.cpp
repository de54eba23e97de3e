// libpqxx 6.4 behind the db/ interface.
#include "db/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

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

std::string first_line(std::string_view what) {
  std::string s(what.substr(0, what.find('\n')));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  return s;
}

// Words after which PostgreSQL quotes an identifier (an object name, never a row value).
bool identifier_word(std::string_view word) {
  static constexpr std::array<std::string_view, 36> kWords{
      "relation",    "constraint",   "column",    "table",     "index",     "type",
      "schema",      "function",     "procedure", "sequence",  "view",      "database",
      "role",        "trigger",      "encoding",  "parameter", "operator",  "extension",
      "policy",      "partition",    "domain",    "collation", "near",      "tablespace",
      "publication", "subscription", "server",    "statement", "cursor",    "portal",
      "savepoint",   "aggregate",    "rule",      "language",  "attribute", "user"};
  return std::find(kWords.begin(), kWords.end(), word) != kWords.end();
}

std::string sql_error_message(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  return fmt::format("anonkit: PostgreSQL: {}{}", scrub_server_message(e.what()),
                     state.empty() ? "" : fmt::format(" (SQLSTATE {})", state));
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
    throw SqlError(sql_error_message(e), e.sqlstate());
  } catch (const pqxx::failure& e) {
    throw Error(fmt::format("anonkit: PostgreSQL: {}", scrub_server_message(e.what())));
  } catch (const pqxx::usage_error& e) {
    throw Error(fmt::format("anonkit: internal database usage error: {}", e.what()));
  }
}

using Settings = std::vector<std::pair<std::string, std::string>>;

// The filter checker assumes standard strings; values read as text are parsed by the masks and
// cursors round-trip as text, so their format is pinned whatever PGOPTIONS, the role or the
// database set (DateStyle SQL, DMY would turn 2025-03-31 into 31/03/2025; a time zone with
// daylight saving would order cursor texts out of time order); the name shows in
// pg_stat_activity. These are the settings PgBouncer keeps per client.
const Settings kTracked{{"standard_conforming_strings", "on"},
                        {"DateStyle", "ISO, YMD"},
                        {"TimeZone", "UTC"},
                        {"application_name", "anonkit-worker"}};

// What PgBouncer does not keep: per session on a direct connection, per transaction through a
// pooler (with the tracked ones again, in case a server session was handed over unrestored).
Settings pinned_settings() {
  return {{"IntervalStyle", "postgres"}, {"extra_float_digits", "3"}, {"bytea_output", "hex"}};
}

// SELECT set_config($1, $2, local), set_config($3, $4, local), ...: several settings in one
// round trip, names and values bound.
std::pair<std::string, Params> set_config(const Settings& settings, bool local) {
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

std::string scrub_server_message(std::string_view message) {
  std::string s = first_line(message);
  for (const std::string_view severity : {"ERROR:", "FATAL:", "PANIC:", "WARNING:"})
    if (s.rfind(severity, 0) == 0) {
      s.erase(0, s.find_first_not_of(' ', severity.size()));
      break;
    }
  bool cut = false;
  const auto cut_at = [&](std::size_t pos) {
    if (pos >= s.size()) return;
    s.erase(pos);
    cut = true;
  };
  // Unquoted values: a unique key's value, a whole row, invalid bytes of a text.
  for (const std::string_view marker : {"Key (", "Failing row contains", ": 0x"})
    cut_at(s.find(marker));
  std::size_t i = 0;
  while ((i = s.find('"', i)) != std::string::npos) {
    std::size_t before = i;
    while (before > 0 && s[before - 1] == ' ') --before;
    if (before > 0 && s[before - 1] == ':') {  // `...: "value"`: the value runs to the end
      cut_at(before - 1);
      break;
    }
    std::size_t word = before;
    while (word > 0 &&
           (std::islower(static_cast<unsigned char>(s[word - 1])) != 0 || s[word - 1] == '_'))
      --word;
    if (identifier_word(std::string_view(s).substr(word, before - word))) {
      const auto close = s.find('"', i + 1);
      if (close == std::string::npos) {
        cut_at(i);
        break;
      }
      i = close + 1;
      continue;
    }
    // A value inside the sentence (`value "1e999" is out of range ...`): it may hold quotes
    // itself, so it ends at the line's last quote (cutting too much rather than too little).
    const auto close = s.rfind('"');
    if (close == i) {
      cut_at(i);
      break;
    }
    s.erase(i, close + 1 - i);
    if (i == 0)
      s.insert(0, "value");
    else if (i < s.size() && s[i] == ' ' && s[i - 1] == ' ')
      s.erase(i, 1);
  }
  if (cut)
    while (!s.empty() && std::string_view(" :;,.").find(s.back()) != std::string_view::npos)
      s.pop_back();
  return s;
}

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
  std::string time_zone;  // the session's TimeZone before the worker pinned it to UTC
  bool pooled = false;    // behind a transaction pooler: no session state of our own
};

namespace {
// Every transaction starts by pinning the settings again, locally: through a pooler its server
// session may not be the one the connection's settings went to.
void pin_locally(pqxx::dbtransaction& tx) {
  Settings all = pinned_settings();
  all.insert(all.end(), kTracked.begin(), kTracked.end());
  const auto [sql, params] = set_config(all, true);
  (void)tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}
}  // namespace

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
  // Through a pooler (PgBouncer in transaction mode) each transaction may run on another server
  // session: session state is not ours. Told apart by the port: the one we connected to is not the
  // server's own (a port-mapping proxy counts as a pooler too, which only costs a round trip).
  // The zone the session was given says how the application's `timestamp without time zone`
  // values are meant; the worker's own session then runs in UTC.
  const auto found = exec("SELECT current_setting('port'), current_setting('TimeZone')");
  impl_->time_zone = found.rows.at(0).at(1).value_or("UTC");
  impl_->pooled = [&] {
    if (const char* env = std::getenv("ANONKIT_POOLED"); env != nullptr && *env != '\0')
      return std::string_view(env) != "0";
    const char* port = impl_->conn.port();
    return port != nullptr && *port != '\0' && found.rows[0][0] != std::string(port);
  }();
  if (impl_->pooled) {
    // Only what PgBouncer tracks per client and restores on every server session it hands out;
    // the rest is set in each transaction (Transaction, exec).
    const auto [sql, params] = set_config(kTracked, false);
    exec(sql, params);
    return;
  }
  // A killed worker's backend stops promptly instead of running its statement (and holding its
  // row locks) to the end: PostgreSQL 14+ polls the client socket, and TCP keepalives find a
  // client machine that vanished.
  Settings session = pinned_settings();
  session.insert(session.end(), kTracked.begin(), kTracked.end());
  session.emplace_back("tcp_keepalives_idle", "30");
  session.emplace_back("tcp_keepalives_interval", "10");
  session.emplace_back("tcp_keepalives_count", "3");
  if (impl_->conn.server_version() >= 140000)
    session.emplace_back("client_connection_check_interval", "1000");
  const auto [sql, params] = set_config(session, false);
  exec(sql, params);
}

Connection::~Connection() = default;

Rows Connection::exec(const std::string& sql, const Params& params) {
  return translated([&] {
    if (impl_->pooled) {
      pqxx::work tx(impl_->conn);
      pin_locally(tx);
      auto r = convert(tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params)));
      tx.commit();
      return r;
    }
    pqxx::nontransaction tx(impl_->conn);
    return convert(tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params)));
  });
}

bool Connection::pooled() const { return impl_->pooled; }

std::string Connection::quote_name(std::string_view identifier) const {
  return translated([&] { return impl_->conn.quote_name(std::string(identifier)); });
}

int Connection::server_version() const { return impl_->conn.server_version(); }
int Connection::backend_pid() const { return impl_->conn.backendpid(); }
const std::string& Connection::time_zone() const { return impl_->time_zone; }

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
    // Also on a direct connection: a pooler the port did not give away (PgBouncer on the
    // server's own port) must not change how this transaction reads and writes values.
    pin_locally(*impl_->tx);
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
