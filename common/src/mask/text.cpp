// Free-text masking in its styles, the reversible token form and its inverse.
#include "anonkit/mask/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/error.hpp"
#include "anonkit/mask/typed.hpp"
#include "anonkit/text/utf8.hpp"
#include "json_input.hpp"

namespace anonkit::mask {
namespace {

// "[TYPE_N]": a type name (detect::valid_type_name), '_', a decimal number.
bool is_token(std::string_view s) {
  if (s.size() < 5 || s.front() != '[' || s.back() != ']') return false;
  const std::size_t underscore = s.rfind('_');
  if (underscore == std::string_view::npos || underscore + 2 > s.size() - 1) return false;
  for (std::size_t i = underscore + 1; i + 1 < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return detect::valid_type_name(s.substr(1, underscore - 1));
}

// The longest token the scanner's type names can produce, with a 20-digit number.
constexpr std::size_t kMaxTokenLength = 1 + 64 + 1 + 20 + 1;

// Every token-shaped "[...]" already in the text, found in one pass.
std::unordered_set<std::string> tokens_in(std::string_view text) {
  std::unordered_set<std::string> out;
  for (std::size_t open = text.find('['); open != std::string_view::npos;
       open = text.find('[', open + 1)) {
    const std::size_t limit = std::min(text.size(), open + kMaxTokenLength);
    for (std::size_t k = open + 1; k < limit; ++k) {
      if (text[k] == '[') break;
      if (text[k] == ']') {
        if (is_token(text.substr(open, k - open + 1))) out.emplace(text.substr(open, k - open + 1));
        break;
      }
    }
  }
  return out;
}

// Token numbering: the same (type, value) gets the same number; numbers count up per type, and a
// token that already stands literally in the text is skipped so unmask cannot confuse the two.
class TokenNamer {
 public:
  TokenNamer(std::string_view text, const detect::Scanner& scanner)
      : existing_(tokens_in(text)), scanner_(scanner) {}

  const std::string& token(std::uint32_t type, std::string_view value) {
    auto key = std::make_pair(type, std::string(value));
    const auto found = assigned_.find(key);
    if (found != assigned_.end()) return found->second;
    std::uint64_t& counter = next_[type];
    std::string token;
    do {
      token = fmt::format("[{}_{}]", scanner_.types()[type], ++counter);
    } while (existing_.count(token) != 0);
    return assigned_.emplace(std::move(key), std::move(token)).first->second;
  }

 private:
  std::unordered_set<std::string> existing_;
  const detect::Scanner& scanner_;
  std::map<std::pair<std::uint32_t, std::string>, std::string> assigned_;
  std::unordered_map<std::uint32_t, std::uint64_t> next_;
};

}  // namespace

std::vector<detect::Entity> select_entities(std::string_view text, const detect::Scanner& scanner,
                                            const MaskOptions& options) {
  std::vector<detect::Entity> entities = scanner.scan(text);
  if (options.types.empty() && options.min_confidence <= 0.0) return entities;
  std::erase_if(entities, [&](const detect::Entity& e) {
    return (!options.types.empty() && !options.types[e.type]) ||
           e.confidence < options.min_confidence;
  });
  return entities;
}

bool mask_text(std::string_view text, const detect::Scanner& scanner, const MaskOptions& options,
               std::string& out) {
  if (options.style == Style::kPseudonym)
    throw InvalidArgument(
        "anonkit: style \"pseudonym\" needs a pseudonymization key, which this build does not "
        "support yet; use \"redact\", \"partial\" or \"token\"");
  const std::vector<detect::Entity> entities = select_entities(text, scanner, options);
  if (entities.empty()) return false;
  TokenNamer namer(text, scanner);
  out.clear();
  out.reserve(text.size() + entities.size() * 8);
  std::size_t pos = 0;
  for (const detect::Entity& e : entities) {
    out.append(text.substr(pos, e.begin - pos));
    const std::string_view value = text.substr(e.begin, e.end - e.begin);
    const std::string& type = scanner.types()[e.type];
    switch (options.style) {
      case Style::kRedact:
        out.push_back('[');
        out.append(type);
        out.push_back(']');
        break;
      case Style::kToken:
        out.append(namer.token(e.type, value));
        break;
      case Style::kPartial:
        out.append(mask_typed(value, mask_type_for_entity(type)));
        break;
      case Style::kPseudonym:
        break;
    }
    pos = e.end;
  }
  out.append(text.substr(pos));
  return true;
}

std::string mask_text(std::string_view text, const detect::Scanner& scanner,
                      const MaskOptions& options) {
  std::string out;
  if (!mask_text(text, scanner, options, out)) out.assign(text);
  return out;
}

Tokenized tokenize(std::string_view text, const detect::Scanner& scanner,
                   const MaskOptions& options) {
  // The document is JSON, which holds only valid UTF-8 (RFC 8259 8.1): replacing a bad byte
  // would hand back a text that is not the original, so refuse instead.
  if (const std::size_t bad = text::first_invalid(text); bad != text.size())
    throw InvalidArgument(fmt::format(
        "anonkit: mask_tokens expects valid UTF-8 text (its result is JSON); the text has an "
        "invalid byte sequence at byte {}. mask() keeps such bytes as they are",
        bad));
  Tokenized result;
  TokenNamer namer(text, scanner);
  std::size_t pos = 0;
  for (const detect::Entity& e : select_entities(text, scanner, options)) {
    result.text.append(text.substr(pos, e.begin - pos));
    const std::string_view value = text.substr(e.begin, e.end - e.begin);
    const std::string& token = namer.token(e.type, value);
    result.text.append(token);
    result.items.emplace(token, value);
    pos = e.end;
  }
  result.text.append(text.substr(pos));
  return result;
}

std::string tokenized_json(const Tokenized& t) {
  nlohmann::json doc = {{"text", t.text}, {"items", nlohmann::json::object()}};
  for (const auto& [token, value] : t.items) doc["items"][token] = value;
  // tokenize() refused invalid UTF-8, so strict dumping cannot fail on the text.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

std::string unmask(std::string_view text, std::string_view items_json) {
  nlohmann::json doc = internal::parse_json_argument(
      items_json,
      R"(unmask expects the items as a JSON object {"[TYPE_1]": "value", ...} (the "items" of mask_tokens))");
  // mask_tokens' whole document is accepted too: use its "items".
  if (doc.is_object() && doc.contains("items") && doc["items"].is_object()) doc = doc["items"];
  if (!doc.is_object())
    throw InvalidArgument(
        "anonkit: unmask expects the items as a JSON object {\"[TYPE_1]\": \"value\", ...}");
  std::unordered_map<std::string, std::string> items;
  std::size_t longest = 0;
  for (const auto& [token, value] : doc.items()) {
    if (!is_token(token))
      throw InvalidArgument(
          "anonkit: unmask expects the items' keys to be tokens such as \"[EMAIL_1]\" (a type "
          "name, '_', a number, in brackets); one key is not");
    if (!value.is_string())
      throw InvalidArgument(
          fmt::format("anonkit: unmask expects string values in the items; {} is not", token));
    longest = std::max(longest, token.size());
    items.emplace(token, value.get<std::string>());
  }
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('[', pos);
    if (open == std::string_view::npos) break;
    // Only as far as the longest token: a text of many '[' and no ']' stays linear.
    const std::size_t close =
        text.substr(0, std::min(text.size(), open + longest)).find(']', open + 1);
    if (close != std::string_view::npos) {
      const auto it = items.find(std::string(text.substr(open, close - open + 1)));
      if (it != items.end()) {
        out.append(text.substr(pos, open - pos));
        out.append(it->second);
        pos = close + 1;
        continue;
      }
    }
    out.append(text.substr(pos, open + 1 - pos));
    pos = open + 1;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace anonkit::mask
