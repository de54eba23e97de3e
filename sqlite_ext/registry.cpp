// Registration of scalar functions, each holding its own reference to the connection state.
#include "registry.hpp"

namespace anonkit::sqlite {
namespace {

void destroy_state(void* p) noexcept { delete static_cast<StatePtr*>(p); }

}  // namespace

int register_functions(sqlite3* db, const StatePtr& state, std::span<const FunctionDef> defs) {
  for (const FunctionDef& def : defs) {
    auto* copy = new (std::nothrow) StatePtr(state);
    if (copy == nullptr) return SQLITE_NOMEM;
    // On failure SQLite calls the destructor itself, so `copy` is never leaked.
    const int rc = sqlite3_create_function_v2(db, def.name, def.nargs, def.flags, copy, def.fn,
                                              nullptr, nullptr, destroy_state);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace anonkit::sqlite
