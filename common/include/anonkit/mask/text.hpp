// Free-text masking: every entity the scanner finds is replaced according to a style, and the
// reversible token form keeps a map from each token back to its original value.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/scanner.hpp"

namespace anonkit::mask {

enum class Style { kRedact, kPartial, kToken, kPseudonym };

struct MaskOptions {
  Style style = Style::kRedact;
  std::vector<bool> types;      // by scanner type index; empty = every type
  double min_confidence = 0.0;  // entities below it are left as they are
};

// Parses {"types":[...], "style":"redact"|"partial"|"token"|"pseudonym", "min_confidence":0.5}.
// Throws InvalidArgument naming the offending key and the accepted values.
[[nodiscard]] MaskOptions parse_mask_options(std::string_view json, const detect::Scanner& scanner);

// The entities of `text` that the options select, in order.
[[nodiscard]] std::vector<detect::Entity> select_entities(std::string_view text,
                                                          const detect::Scanner& scanner,
                                                          const MaskOptions& options);

// `text` with the selected entities replaced ("[EMAIL]", "[EMAIL_1]" or a typed mask).
[[nodiscard]] std::string mask_text(std::string_view text, const detect::Scanner& scanner,
                                    const MaskOptions& options);
// The same into `out`; returns false, leaving `out` alone, when nothing was selected (callers can
// then hand back the original without a copy).
[[nodiscard]] bool mask_text(std::string_view text, const detect::Scanner& scanner,
                             const MaskOptions& options, std::string& out);

struct Tokenized {
  std::string text;
  std::map<std::string, std::string> items;  // token -> original value
};
// Token style with its map. The same value of the same type gets the same token within one text;
// a token number that already appears literally in the text is skipped, so unmask is unambiguous.
// Throws InvalidArgument for text that is not valid UTF-8 (the result is JSON).
[[nodiscard]] Tokenized tokenize(std::string_view text, const detect::Scanner& scanner,
                                 const MaskOptions& options);
// The JSON document mask_tokens() returns: {"text": ..., "items": {...}}.
[[nodiscard]] std::string tokenized_json(const Tokenized& t);

// Puts the items back: every "[TYPE_n]" found in `items_json` (a JSON object of strings) is
// replaced by its value in one pass; other text, and tokens not in the map, stay as they are.
[[nodiscard]] std::string unmask(std::string_view text, std::string_view items_json);

}  // namespace anonkit::mask
