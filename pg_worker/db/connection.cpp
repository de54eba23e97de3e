// libpqxx connection set-up.
#include "db/connection.hpp"

#include <fmt/format.h>

#include <pqxx/pqxx>

#include "anonkit/error.hpp"

namespace anonkit::pg::db {

int server_version(const std::string& dsn) {
  try {
    pqxx::connection conn(dsn);
    return conn.server_version();
  } catch (const pqxx::broken_connection& e) {
    throw Error(fmt::format("anonkit: could not connect to PostgreSQL: {}", e.what()));
  }
}

}  // namespace anonkit::pg::db
