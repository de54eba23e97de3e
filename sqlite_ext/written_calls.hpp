// Administrative functions (key loading, budget, reload) run only when the user wrote the call:
// it must appear, with the same argument values, in the text of a statement running on the
// connection. A call from a database's schema (a CHECK constraint, a default, a view, a trigger)
// does not appear there, so a database someone sent you cannot load its key into your session,
// change your budget or reload your recognizers. SQLITE_DIRECTONLY says the same, but SQLite 3.40
// (Debian 12) still runs DIRECTONLY functions from CHECK constraints.
#pragma once

#include "bridge.hpp"

namespace anonkit::sqlite {

// Throws InvalidArgument ("anonkit: NAME() runs only when written in the statement itself ...")
// unless a running statement's expanded SQL holds a call `name(...)` whose arguments are literals
// equal to `argv` (numbers, 'strings', NULL).
void require_written_call(sqlite3_context* ctx, const char* name, int argc, sqlite3_value** argv);

}  // namespace anonkit::sqlite
