// Migrations in order, each once; the version table records what was applied and when.
#include "install.hpp"

#include <fmt/format.h>

#include "migrations.hpp"

namespace anonkit::pg {
namespace {

constexpr int kInstallLock = 0x616b696e;  // "akin"

int current_version(db::Transaction& tx) {
  const auto exists = tx.exec("SELECT to_regclass('anonkit.schema_version') IS NOT NULL");
  if (exists.scalar() != "t") return 0;
  return static_cast<int>(
      tx.exec("SELECT coalesce(max(version), 0) FROM anonkit.schema_version").integer());
}

}  // namespace

int latest_schema_version() noexcept {
  int v = 0;
  for (const auto& m : migrations()) v = std::max(v, m.version);
  return v;
}

InstallResult install_schema(db::Connection& conn, std::optional<int> target) {
  const int want = target.value_or(latest_schema_version());
  if (want < 1 || want > latest_schema_version())
    throw InvalidArgument(fmt::format("anonkit: schema version {} does not exist: expected 1..{}",
                                      want, latest_schema_version()));
  db::Transaction tx(conn);
  (void)tx.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kInstallLock));
  InstallResult result;
  result.from_version = current_version(tx);
  result.to_version = std::max(result.from_version, want);
  if (result.from_version >= want) return result;  // nothing to do: a no-op, not a downgrade
  (void)tx.exec("CREATE SCHEMA IF NOT EXISTS anonkit");
  (void)tx.exec(
      "CREATE TABLE IF NOT EXISTS anonkit.schema_version (version integer PRIMARY KEY, "
      "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  for (const auto& m : migrations()) {
    if (m.version <= result.from_version || m.version > want) continue;
    try {
      tx.exec_script(std::string(m.sql));
    } catch (const db::SqlError& e) {
      throw Error(
          fmt::format("anonkit: migration {} failed, nothing was changed: {}", m.name, e.what()));
    }
    (void)tx.exec(
        "INSERT INTO anonkit.schema_version (version, name) VALUES (CAST($1 AS integer), $2)",
        {std::to_string(m.version), std::string(m.name)});
  }
  tx.commit();
  return result;
}

void require_schema(db::Connection& conn) {
  db::Transaction tx(conn);
  const int v = current_version(tx);
  if (v == 0)
    throw NotInstalled(
        "anonkit: schema anonkit is not installed in this database: run anonkit-worker install");
  if (v < latest_schema_version())
    throw NotInstalled(fmt::format(
        "anonkit: schema anonkit is at version {}, this worker needs {}: run anonkit-worker "
        "install",
        v, latest_schema_version()));
  if (v > latest_schema_version())
    throw NotInstalled(fmt::format(
        "anonkit: schema anonkit is at version {}, newer than this worker knows ({}): upgrade "
        "the worker",
        v, latest_schema_version()));
}

}  // namespace anonkit::pg
