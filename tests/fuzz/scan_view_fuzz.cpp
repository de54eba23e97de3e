// Fuzzes the scan view and its offset map over arbitrary bytes: every character-aligned range of
// the view maps back to whole characters of the original (never splitting a UTF-8 sequence), in
// order, and those original bytes have exactly that range as their own view. Also checks that
// the scanner's spans on the original are in bounds and whole characters.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/text/scan_view.hpp"
#include "anonkit/text/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using anonkit::text::ScanView;
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  // Character boundaries of the original: where decoding from the start lands.
  std::vector<bool> starts_char(size + 1, false);
  for (std::size_t i = 0; i < size; i += anonkit::text::decode(s, i).length) starts_char[i] = true;
  starts_char[size] = true;
  auto boundary = [&](std::string_view, std::size_t pos) { return starts_char[pos]; };
  const ScanView v(s);
  const std::string_view t = v.text();
  if (t.size() > s.size()) std::abort();
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < t.size(); i += anonkit::text::decode(t, i).length)
    starts.push_back(i);
  starts.push_back(t.size());
  std::size_t last_begin = 0;
  for (std::size_t a = 0; a + 1 < starts.size(); ++a) {
    // Each starting point against a few end points keeps the run linear enough.
    for (std::size_t z = a + 1; z < starts.size() && z <= a + 4; ++z) {
      const auto [b, e] = v.original(starts[a], starts[z]);
      if (b > e || e > s.size() || b < last_begin) std::abort();
      if (!boundary(s, b) || !boundary(s, e)) std::abort();
      if (ScanView(s.substr(b, e - b)).text() != t.substr(starts[a], starts[z] - starts[a]))
        std::abort();
    }
    last_begin = v.original(starts[a], starts[a + 1]).first;
  }
  const auto& scanner = *anonkit::detect::Scanner::builtin();
  for (const auto& e : scanner.scan(s))
    if (e.begin >= e.end || e.end > s.size() || !boundary(s, e.begin) || !boundary(s, e.end))
      std::abort();
  return 0;
}
