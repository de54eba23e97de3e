// MaskCheck (mask_check.hpp): the scanner over masked values, minus what a strategy keeps by
// design.
#include "anonkit/inventory/mask_check.hpp"

#include <algorithm>
#include <cctype>

namespace anonkit::inventory {
namespace {

// "w***@example.com": an e-mail whose local part shows at most one letter or digit is the `email`
// strategy's own output (RFC 5321 allows '*' there, so the recognizer matches it); the domain it
// keeps is by design. A local part with more left readable is still counted.
bool masked_email(std::string_view span) {
  const std::size_t at = span.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = span.substr(0, at);
  if (local.find('*') == std::string_view::npos) return false;
  std::size_t readable = 0;
  for (char c : local)
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80)
      ++readable;
  // A first character of several bytes (UTF-8) counts once.
  return readable <= 1 || (static_cast<unsigned char>(local[0]) >= 0x80 &&
                           local.find_first_not_of('*', local.find('*')) == std::string_view::npos);
}

}  // namespace

MaskCheck::MaskCheck(const policy::ColumnMask& mask, std::shared_ptr<const detect::Scanner> scanner,
                     double min_confidence)
    : scanner_(std::move(scanner)), min_confidence_(min_confidence), kept_(mask.kept_shape()) {
  ignored_.assign(scanner_->types().size(), false);
  email_type_ = scanner_->type_index("EMAIL");
  for (const auto& t : kept_.types)
    if (const int i = scanner_->type_index(t); i >= 0) ignored_[static_cast<std::size_t>(i)] = true;
}

void MaskCheck::add(std::optional<std::string_view> masked, std::size_t max_bytes) {
  ++rows_;
  if (!masked || kept_.all_types) return;
  std::string_view v = *masked;
  if (v.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    v = v.substr(0, cut);
  }
  std::vector<std::uint32_t> seen;
  for (const detect::Entity& e : scanner_->scan(v)) {
    if (e.confidence < min_confidence_) continue;
    if (e.type < ignored_.size() && ignored_[e.type]) continue;
    if (static_cast<int>(e.type) == email_type_ && masked_email(v.substr(e.begin, e.end - e.begin)))
      continue;
    if (std::find(seen.begin(), seen.end(), e.type) == seen.end()) seen.push_back(e.type);
  }
  for (const std::uint32_t t : seen) ++found_[t];
}

std::vector<MaskFinding> MaskCheck::findings() const {
  std::vector<MaskFinding> out;
  for (const auto& [type, n] : found_) out.push_back({scanner_->types()[type], n});
  std::stable_sort(out.begin(), out.end(),
                   [](const MaskFinding& a, const MaskFinding& b) { return a.rows > b.rows; });
  return out;
}

}  // namespace anonkit::inventory
