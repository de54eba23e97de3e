// Fuzzes the masking layer: free-text masking in every style, typed masks, mask_partial, options
// parsing and unmask. Checks that the token form round-trips through unmask.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"
#include "anonkit/mask/typed.hpp"
#include "anonkit/text/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit;
  const auto& scanner = *detect::Scanner::builtin();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto style : {mask::Style::kRedact, mask::Style::kPartial, mask::Style::kToken}) {
    mask::MaskOptions options;
    options.style = style;
    (void)mask::mask_text(text, scanner, options);
  }
  // Valid UTF-8 round-trips through the token form byte for byte (a '[' in the input may be
  // read as a token by unmask); invalid UTF-8 is refused with an InvalidArgument, never altered.
  try {
    const mask::Tokenized t = mask::tokenize(text, scanner, {});
    if (!text::valid(text)) std::abort();
    if (mask::unmask(t.text, mask::tokenized_json(t)) != text &&
        text.find('[') == std::string_view::npos)
      std::abort();
    // unmask keeps the bytes of its text outside tokens, valid UTF-8 or not.
    const std::string bytes = std::string("\xff") + t.text + "\xc3";
    if (mask::unmask(bytes, mask::tokenized_json(t)) != std::string("\xff") +
                                                          std::string(text) + "\xc3" &&
        text.find('[') == std::string_view::npos)
      std::abort();
  } catch (const InvalidArgument&) {
    if (text::valid(text)) std::abort();
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
