// Fuzzes the masking layer: free-text masking in every style, typed masks, mask_partial, options
// parsing and unmask. Checks that the token form round-trips through unmask.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"
#include "anonkit/mask/typed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit;
  const auto& scanner = *detect::Scanner::builtin();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto style : {mask::Style::kRedact, mask::Style::kPartial, mask::Style::kToken}) {
    mask::MaskOptions options;
    options.style = style;
    (void)mask::mask_text(text, scanner, options);
  }
  const mask::Tokenized t = mask::tokenize(text, scanner, {});
  if (mask::unmask(t.text, mask::tokenized_json(t)) != text &&
      text.find('[') == std::string_view::npos) {
    // Without brackets in the input, restoring must give the input back byte for byte (as long
    // as it was valid UTF-8: the JSON form replaces invalid bytes).
    bool valid = true;
    for (unsigned char c : text) valid &= c < 0x80;
    if (valid) std::abort();
  }
  for (int type = 0; type <= static_cast<int>(mask::MaskType::kAll); ++type)
    (void)mask::mask_typed(text, static_cast<mask::MaskType>(type));
  try {
    (void)mask::mask_partial(text, size % 5, size % 3, "#");
    (void)mask::parse_mask_options(text, scanner);
  } catch (const Error&) {
  }
  try {
    (void)mask::unmask("x [EMAIL_1] y", text);
  } catch (const Error&) {
  }
  return 0;
}
