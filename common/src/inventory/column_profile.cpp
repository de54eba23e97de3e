// ColumnProfile, shapes and suggestions (column_profile.hpp).
#include "anonkit/inventory/column_profile.hpp"

#include <algorithm>

#include "anonkit/text/utf8.hpp"

namespace anonkit::inventory {
namespace {

constexpr std::size_t kMaxShape = 48;
constexpr std::size_t kMaxDistinctShapes = 256;  // bounded memory per column

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The generic shape of text that is not an entity.
void generic_shape(std::string_view s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size() && out.size() < kMaxShape + 8) {
    const text::Decoded d = text::decode(s, i);
    const char32_t cp = d.code_point;
    if (cp >= '0' && cp <= '9') {
      out.push_back('#');
    } else if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
      if (out.empty() || out.back() != ' ') out.push_back(' ');
    } else if (text::is_word_char(cp)) {
      const bool upper = (cp >= 'A' && cp <= 'Z');
      out.push_back(upper ? 'A' : 'a');
    } else if (cp >= 0x20 && cp < 0x7f) {
      out.push_back(static_cast<char>(cp));  // printable ASCII punctuation; controls become '?'
                                             // (no terminal escape from a planted value)
    } else {
      out.push_back('?');  // other symbols: kept as one placeholder, never the character itself
    }
    i += d.length;
  }
}

void entity_shape(std::string_view span, std::string_view type, std::string& out) {
  if (type == "EMAIL") {
    // Only a top-level domain anyone could guess stays: a two-letter country code or a common
    // generic one; any other last label ("x@mail.wanjiku") could be part of who it is.
    const std::size_t dot = span.rfind('.');
    std::string tld;
    if (dot != std::string_view::npos && dot + 1 < span.size())
      for (char c : span.substr(dot + 1))
        tld.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    static constexpr std::string_view kGeneric[] = {"com", "org",  "net", "edu", "gov", "int",
                                                    "mil", "info", "biz", "io",  "app", "dev"};
    const bool letters =
        std::all_of(tld.begin(), tld.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    if (!(letters && (tld.size() == 2 || std::find(std::begin(kGeneric), std::end(kGeneric), tld) !=
                                             std::end(kGeneric))))
      tld.clear();
    out += "a***@***";
    if (!tld.empty()) out += "." + tld;
    return;
  }
  if (type == "PHONE" && !span.empty() && span[0] == '+') {
    // Keep the country code when a separator marks where it ends ("+254 7..." -> "+254 ###..."):
    // one to three digits; a compact number keeps none of its digits.
    std::size_t n = 1;
    while (n < span.size() && is_digit(span[n])) ++n;
    out.push_back('+');
    std::size_t i = 1;
    if (n > 1 && n <= 4 && n < span.size()) {
      out.append(span.substr(1, n - 1));
      i = n;
    }
    generic_shape(span.substr(i), out);
    return;
  }
  generic_shape(span, out);
}

}  // namespace

std::string shape_of(std::string_view value, const std::vector<detect::Entity>& entities,
                     const std::vector<std::string>& type_names) {
  std::string out;
  std::size_t pos = 0;
  for (const detect::Entity& e : entities) {
    if (e.begin < pos || e.end > value.size() || e.end <= e.begin) continue;
    generic_shape(value.substr(pos, e.begin - pos), out);
    entity_shape(value.substr(e.begin, e.end - e.begin),
                 e.type < type_names.size() ? std::string_view(type_names[e.type]) : "", out);
    pos = e.end;
  }
  generic_shape(value.substr(pos), out);
  if (out.size() > kMaxShape) {
    out.resize(kMaxShape);
    out += "...";
  }
  return out;
}

std::string suggest_strategy(const std::vector<TypeShare>& types, double entity_coverage) {
  if (types.empty()) return "";
  // Values that are mostly one entity (a phone column): that type's typed mask.
  if (entity_coverage >= 0.8) {
    const std::string& t = types.front().type;
    if (t == "EMAIL") return "email";
    if (t == "PHONE") return "phone";
    if (t == "CREDIT_CARD") return "card";
    if (t == "IBAN") return "iban";
    if (t == "US_SSN") return "ssn";
    if (t == "PERSON") return "name";
    if (t == "IP_ADDRESS") return "ip";
    if (t == "MAC_ADDRESS") return "mac";
    if (t == "URL") return "url";
    if (t == "DATE_OF_BIRTH") return "date";
    if (t == "KE_NATIONAL_ID" || t == "KE_KRA_PIN" || t == "PASSPORT") return "id";
    return "redact:" + t;  // LOCATION and user types
  }
  return "text";  // entities inside longer text: mask them where they are
}

ColumnProfile::ColumnProfile(std::shared_ptr<const detect::Scanner> scanner, double min_confidence)
    : scanner_(std::move(scanner)), min_confidence_(min_confidence) {}

void ColumnProfile::add(std::optional<std::string_view> value, std::size_t max_bytes) {
  ++sampled_;
  if (!value) return;
  ++non_null_;
  std::string_view v = *value;
  if (v.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    v = v.substr(0, cut);
  }
  std::vector<detect::Entity> found = scanner_->scan(v);
  std::erase_if(found, [this](const detect::Entity& e) { return e.confidence < min_confidence_; });
  std::vector<std::uint32_t> seen;
  std::size_t covered = 0;
  for (const detect::Entity& e : found) {
    covered += e.end - e.begin;
    if (std::find(seen.begin(), seen.end(), e.type) == seen.end()) seen.push_back(e.type);
  }
  for (const std::uint32_t t : seen) ++type_values_[t];
  if (!found.empty()) {
    std::size_t meaningful = 0;  // bytes that are not spaces
    for (char c : v)
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') ++meaningful;
    covered_bytes_ += static_cast<double>(covered);
    pii_value_bytes_ += static_cast<double>(std::max<std::size_t>(meaningful, 1));
  }
  std::string shape = shape_of(v, found, scanner_->types());
  if (auto it = shapes_.find(shape); it != shapes_.end()) {
    ++it->second;
  } else if (shapes_.size() < kMaxDistinctShapes) {
    shapes_.emplace(std::move(shape), 1);
  }
}

ColumnReport ColumnProfile::report() const {
  ColumnReport r;
  r.sampled = sampled_;
  r.non_null = non_null_;
  for (const auto& [type, n] : type_values_)
    r.types.push_back(
        {scanner_->types()[type], n,
         non_null_ > 0 ? static_cast<double>(n) / static_cast<double>(non_null_) : 0});
  std::stable_sort(r.types.begin(), r.types.end(),
                   [](const TypeShare& a, const TypeShare& b) { return a.values > b.values; });
  std::int64_t best = 0;
  for (const auto& [shape, n] : shapes_)
    if (n > best) best = n, r.shape = shape;
  const double coverage = pii_value_bytes_ > 0 ? covered_bytes_ / pii_value_bytes_ : 0;
  r.suggestion = suggest_strategy(r.types, std::min(1.0, coverage));
  return r;
}

}  // namespace anonkit::inventory
