// The text as the recognizers see it: what people and programs write for the same value is made
// one form, and an offset map leads every span found in that view back to the original bytes.
//   - Unicode spaces (NBSP, thin, narrow, ideographic, ...) become ' ', line and paragraph
//     separators '\n';
//   - dashes and minus signs (U+2010-2015, U+2212, U+2043, small and full-width hyphen-minus)
//     become '-';
//   - decimal digits of other scripts (full-width, Arabic-Indic, Devanagari, Bengali, Thai, ...)
//     become '0'-'9';
//   - full-width ASCII (U+FF01-FF5E) becomes ASCII;
//   - zero-width characters (U+200B-200D, U+2060, U+FEFF, U+180E) and the soft hyphen are
//     removed.
// Everything else, invalid UTF-8 included, is copied byte for byte. Case is kept: recognizers
// that accept lower case say so. Text that needs no change (all ASCII, or nothing above applies)
// is used in place, without a copy or a map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anonkit::text {

class ScanView {
 public:
  explicit ScanView(std::string_view original);

  [[nodiscard]] std::string_view text() const noexcept {
    return changed_ ? std::string_view(view_) : original_;
  }
  [[nodiscard]] bool changed() const noexcept { return changed_; }

  // The original bytes [first, second) that view bytes [begin, end) came from (begin < end <=
  // text().size(), both on character boundaries of the view); whole characters of the original,
  // never part of a UTF-8 sequence.
  [[nodiscard]] std::pair<std::size_t, std::size_t> original(std::size_t begin,
                                                             std::size_t end) const noexcept;

  // What one code point becomes: replaced = false when it stays as written; otherwise the ASCII
  // character that replaces it, '\0' when it is removed. Exposed for tests.
  struct Mapping {
    bool replaced = false;
    char ascii = '\0';  // the replacement; '\0' with replaced = true means "removed"
  };
  [[nodiscard]] static Mapping map(char32_t c) noexcept;

 private:
  std::string_view original_;
  bool changed_ = false;
  std::string view_;
  // Where the map changes, in view order: from view byte `view` on, bytes are the original's
  // from `orig` verbatim (len == 0), or view byte `view` alone replaces the `len` original bytes
  // at `orig`. Runs of unchanged text cost nothing; a lookup is a binary search.
  struct Edit {
    std::uint32_t view, orig, len;
  };
  std::vector<Edit> edits_;
  [[nodiscard]] const Edit& edit_at(std::size_t view_pos) const noexcept;
};

}  // namespace anonkit::text
