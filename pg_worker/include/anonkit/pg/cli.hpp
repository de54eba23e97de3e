// The worker's command line: parsing and dispatch, callable from tests with an argv.
#pragma once

namespace anonkit::pg {

// Exit codes, documented in docs/worker.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;       // unknown command or option, bad option value
inline constexpr int kExitConnection = 2;  // cannot connect, or schema anonkit not installed
inline constexpr int kExitRuleFailed = 3;  // some rule failed (the others were still applied)
inline constexpr int kExitNotFound = 4;    // (access/erase) no such subject key
inline constexpr int kExitInternal = 70;   // a bug: please report it

[[nodiscard]] int run_cli(int argc, char** argv) noexcept;

}  // namespace anonkit::pg
