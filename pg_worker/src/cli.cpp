// The worker CLI. This first version carries the command skeleton and `ping`; retention, access,
// erase and the request queue arrive with their issues.
#include "anonkit/pg/cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "anonkit/error.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

int run_cli(int argc, char** argv) noexcept {
  try {
    CLI::App app{"anonkit-worker: retention and data-subject requests for PostgreSQL",
                 "anonkit-worker"};
    app.set_version_flag("--version", std::string("anonkit-worker ") + ANONKIT_VERSION);
    std::string dsn;
    app.add_option("--dsn", dsn,
                   "libpq connection string; default: PG* variables, service file, .pgpass");
    app.require_subcommand(1);
    auto* ping = app.add_subcommand("ping", "connect and print the server version");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    if (ping->parsed()) {
      std::printf("connected: PostgreSQL server %d\n", db::server_version(dsn));
    }
    return kExitOk;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitConnection;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anonkit: internal error: %s\n", e.what());
    return 1;
  }
}

}  // namespace anonkit::pg
