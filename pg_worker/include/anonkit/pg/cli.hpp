// The worker's command line: parsing and dispatch, callable from tests with an argv.
#pragma once

namespace anonkit::pg {

// Exit codes, documented in docs/worker.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConnection = 3;

[[nodiscard]] int run_cli(int argc, char** argv) noexcept;

}  // namespace anonkit::pg
