// The worker's only window onto libpqxx: connection set-up from libpq's standard settings. Keeping
// <pqxx/...> inside db/ keeps a later libpqxx 7 upgrade local.
#pragma once

#include <string>

namespace anonkit::pg::db {

// Connects with `dsn` (empty: PG* variables, service file, .pgpass as libpq resolves them) and
// returns the server version number (e.g. 150018). Throws anonkit::Error on failure.
[[nodiscard]] int server_version(const std::string& dsn);

}  // namespace anonkit::pg::db
