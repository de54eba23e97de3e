// Fuzzes the SQL call finder and the numeric literal reader: no crash, every argument a piece of
// the input, tokens always advancing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "anonkit/text/sql_calls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit::text;
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  const auto calls = find_sql_calls(sql, [](std::string_view n) { return n.size() >= 2; });
  for (const SqlCall& c : calls)
    for (const std::string& a : c.args) {
      if (sql.find(a) == std::string_view::npos) std::abort();
      (void)sql_number(a);
    }
  for (std::size_t pos = 0;;) {
    const SqlToken t = next_sql_token(sql, pos);
    if (t.kind == SqlToken::kEnd) break;
    if (t.end <= pos || t.end > sql.size() || t.begin < pos) std::abort();
    pos = t.end;
  }
  (void)sql_number(sql);
  return 0;
}
