// Entry point of anonkit.so. SQLite derives sqlite3_anonkit_init from the file name, so
// `.load ./anonkit` and conn.load_extension("./anonkit") need no entry-point argument.
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <cstdlib>
#include <exception>
#include <memory>
#include <new>

#include "connection.hpp"

extern "C" __attribute__((visibility("default"))) int sqlite3_anonkit_init(
    sqlite3* db, char** error, const sqlite3_api_routines* api) noexcept {
  SQLITE_EXTENSION_INIT2(api);
  using namespace anonkit::sqlite;
  try {
    auto state = std::make_shared<ConnectionState>();
    // A policy travels with the database: its recognizer tables apply from the first query. A
    // broken row fails the load loudly rather than masking without the user's recognizers.
    reload_user_recognizers(db, *state);
    // A key named in the environment is loaded now; a bad one fails the load, loudly.
    if (const char* key_file = std::getenv("ANONKIT_KEY_FILE"); key_file != nullptr && *key_file)
      state->set_key(anonkit::pseudo::Keyring::from_file(key_file));
    int rc = register_mask_functions(db, state);
    if (rc == SQLITE_OK) rc = register_scan_tables(db, state);
    if (rc == SQLITE_OK) rc = register_admin_functions(db, state);
    if (rc == SQLITE_OK) rc = register_bucket_functions(db, state);
    if (rc == SQLITE_OK) rc = register_anonymity_checks(db, state);
    if (rc == SQLITE_OK) rc = register_pseudo_functions(db, state);
    if (rc == SQLITE_OK) rc = register_dp_functions(db, state);
    if (rc == SQLITE_OK) rc = register_budget_functions(db, state);
    if (rc == SQLITE_OK) rc = register_inventory(db, state);
    if (rc != SQLITE_OK && error != nullptr)
      *error = sqlite_strdup("anonkit: could not register the SQL functions");
    return rc;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    if (error != nullptr) *error = sqlite_strdup(e.what());
    return SQLITE_ERROR;
  } catch (...) {
    if (error != nullptr) *error = sqlite_strdup("anonkit: internal error while loading");
    return SQLITE_ERROR;
  }
}
