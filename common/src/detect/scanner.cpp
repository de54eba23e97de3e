// The scanner's one pass: RE2::Set tells which recognizers can match at all (most rows: none), only
// those run their own regex to extract spans, checks accept or narrow each span, and overlaps are
// resolved by priority so each region of text is reported once.
#include "anonkit/detect/scanner.hpp"

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "anonkit/detect/keywords.hpp"
#include "anonkit/error.hpp"
#include "anonkit/text/scan_view.hpp"
#include "anonkit/text/utf8.hpp"
#include "people_places.hpp"

namespace anonkit::detect {
namespace {

constexpr int kUserPatternPriority = 40;
constexpr int kKeywordPriority = 30;
constexpr double kUserPatternConfidence = 0.7;
constexpr double kKeywordConfidence = 0.75;

RE2::Options regex_options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);  // room for the DFA on long texts; the Set reports if it still runs out
  return o;
}

// Advances to the next position where a new word could start, so a rejected candidate costs one
// more search rather than one per byte.
std::size_t next_start(std::string_view text, std::size_t pos) {
  const text::Decoded first = text::decode(text, pos);
  pos += first.length;
  if (!text::is_word_char(first.code_point)) return pos;
  while (pos < text.size()) {
    const text::Decoded d = text::decode(text, pos);
    if (!text::is_word_char(d.code_point)) break;
    pos += d.length;
  }
  return pos;
}

}  // namespace

bool valid_type_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'A' && name[0] <= 'Z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

struct Scanner::Impl {
  std::vector<RecognizerSpec> specs;
  std::vector<std::uint32_t> spec_type;  // spec index -> type index
  std::vector<std::unique_ptr<RE2>> regexes;
  std::unique_ptr<RE2::Set> set;
  KeywordDictionary keywords;
  std::vector<std::uint32_t> keyword_type;  // dictionary type index -> type index
  std::vector<int> type_priority;           // type index -> overlap priority
  // Set index of the context gate of a context-required spec (-1: none). A gate matches when one
  // of the spec's context words occurs anywhere in the text; without it the spec is not run.
  std::vector<int> gate;
  std::uint32_t person_type = 0, location_type = 0;  // the list-based recognizers' types

  void extract(std::size_t i, std::string_view text, std::vector<Entity>& out) const;
};

Scanner::Scanner(const std::vector<UserPattern>& patterns, const std::vector<UserKeyword>& keywords)
    : impl_(std::make_unique<Impl>()) {
  auto type_of = [this](const std::string& name) {
    const auto it = std::find(type_names_.begin(), type_names_.end(), name);
    if (it != type_names_.end()) return static_cast<std::uint32_t>(it - type_names_.begin());
    type_names_.push_back(name);
    return static_cast<std::uint32_t>(type_names_.size() - 1);
  };
  impl_->specs = builtin_recognizers();
  // Built-in types first, in pii_types() order: the patterns', then the list-based ones.
  for (const RecognizerSpec& spec : impl_->specs) (void)type_of(spec.type);
  impl_->person_type = type_of("PERSON");
  impl_->location_type = type_of("LOCATION");
  for (const UserPattern& p : patterns) {
    if (!valid_type_name(p.type))
      throw ConfigError(fmt::format(
          "anonkit: anonkit_patterns.type must be upper case letters, digits and '_' (at most 64, "
          "starting with a letter), got '{}'",
          p.type));
    impl_->specs.push_back({.type = p.type,
                            .description = "user pattern from anonkit_patterns",
                            .validator = "",
                            .pattern = p.pattern,
                            .confidence = kUserPatternConfidence,
                            .priority = kUserPatternPriority,
                            .source = "pattern"});
  }

  const RE2::Options options = regex_options();
  impl_->set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (const RecognizerSpec& spec : impl_->specs) {
    impl_->spec_type.push_back(type_of(spec.type));
    auto re = std::make_unique<RE2>(spec.pattern, options);
    if (!re->ok())
      throw ConfigError(fmt::format("anonkit: pattern for type {} is not valid RE2 syntax ({}): {}",
                                    spec.type, re->error(), spec.pattern));
    if (re->Match("", 0, 0, RE2::UNANCHORED, nullptr, 0))
      throw ConfigError(fmt::format(
          "anonkit: pattern for type {} matches the empty string; expected a pattern that needs at "
          "least one character: {}",
          spec.type, spec.pattern));
    std::string error;
    if (impl_->set->Add(spec.pattern, &error) < 0)
      throw ConfigError(fmt::format("anonkit: pattern for type {} is not valid RE2 syntax ({}): {}",
                                    spec.type, error, spec.pattern));
    impl_->regexes.push_back(std::move(re));
  }
  for (const RecognizerSpec& spec : impl_->specs) {
    if (!spec.context_required || spec.context.empty()) {
      impl_->gate.push_back(-1);
      continue;
    }
    std::string gate = "(?i)\\b(?:";
    for (std::size_t w = 0; w < spec.context.size(); ++w) {
      if (w > 0) gate += '|';
      gate += RE2::QuoteMeta(spec.context[w]);
    }
    gate += ")\\b";
    impl_->gate.push_back(impl_->set->Add(gate, nullptr));
  }
  if (!impl_->set->Compile())
    throw ConfigError("anonkit: the recognizer patterns do not fit in RE2's memory budget");

  for (const UserKeyword& k : keywords) {
    if (!valid_type_name(k.type))
      throw ConfigError(fmt::format(
          "anonkit: anonkit_keywords.type must be upper case letters, digits and '_' (at most 64, "
          "starting with a letter), got '{}'",
          k.type));
    impl_->keywords.add(k.keyword, k.type);
  }
  for (const std::string& t : impl_->keywords.types()) impl_->keyword_type.push_back(type_of(t));
  impl_->type_priority.assign(type_names_.size(), kKeywordPriority);
  for (std::size_t s = 0; s < impl_->specs.size(); ++s) {
    int& p = impl_->type_priority[impl_->spec_type[s]];
    p = std::max(p, impl_->specs[s].priority);
  }
}

Scanner::~Scanner() = default;

std::shared_ptr<const Scanner> Scanner::builtin() {
  static const std::shared_ptr<const Scanner> instance =
      std::make_shared<const Scanner>(std::vector<UserPattern>{}, std::vector<UserKeyword>{});
  return instance;
}

int Scanner::type_index(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < type_names_.size(); ++i) {
    const std::string& t = type_names_[i];
    if (t.size() == name.size() && std::equal(t.begin(), t.end(), name.begin(), [](char a, char b) {
          return a == (b >= 'a' && b <= 'z' ? static_cast<char>(b - 32) : b);
        }))
      return static_cast<int>(i);
  }
  return -1;
}

std::vector<TypeInfo> Scanner::describe() const {
  std::vector<TypeInfo> out;
  std::set<std::string> seen;
  for (const RecognizerSpec& spec : impl_->specs) {
    if (!seen.insert(spec.type).second) continue;  // IP_ADDRESS has two patterns, one row
    out.push_back({spec.type, spec.description, spec.validator, spec.source});
  }
  out.push_back({"PERSON",
                 "person's name: capitalized words with a known given name or surname, or after a "
                 "title or context phrase",
                 "name lists (common/data/detect), titles, stop words", "builtin"});
  if (seen.insert("LOCATION").second)
    out.push_back({"LOCATION", "place: a known county, town, estate or city, written capitalized",
                   "place list (common/data/detect)", "builtin"});
  seen.insert("PERSON");
  for (const std::string& t : impl_->keywords.types()) {
    if (!seen.insert(t).second) continue;
    out.push_back(
        {t, "user keyword dictionary from anonkit_keywords", "whole word, any case", "keyword"});
  }
  return out;
}

void Scanner::Impl::extract(std::size_t i, std::string_view text, std::vector<Entity>& out) const {
  const RecognizerSpec& spec = specs[i];
  const RE2& re = *regexes[i];
  std::size_t pos = 0;
  re2::StringPiece match;
  while (pos < text.size() && re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(),
                                       RE2::UNANCHORED, &match, 1)) {
    const std::size_t begin = static_cast<std::size_t>(match.data() - text.data());
    const std::size_t end = begin + match.size();
    if (end == begin) {  // user patterns can match empty at some positions; skip them
      pos = begin + 1;
      continue;
    }
    Candidate c{text, begin, end, spec.confidence};
    bool ok = spec.check == nullptr || spec.check(c);
    if (ok && !spec.context.empty()) {
      const bool context = has_context(text, c.begin, c.end, spec.context, 32);
      if (spec.context_required && !context) ok = false;
      if (context && spec.context_confidence > c.confidence) c.confidence = spec.context_confidence;
    }
    if (ok && c.end > c.begin) {
      out.push_back({c.begin, c.end, spec_type[i], c.confidence});
      pos = c.end;
    } else {
      pos = next_start(text, begin);
    }
  }
}

std::vector<Entity> Scanner::scan(std::string_view original) const {
  const text::ScanView view(original);
  std::vector<Entity> found = scan_view(view.text());
  if (view.changed())
    for (Entity& e : found) std::tie(e.begin, e.end) = view.original(e.begin, e.end);
  return found;
}

std::vector<Entity> Scanner::scan_view(std::string_view text) const {
  std::vector<Entity> candidates;
  if (text.empty()) return candidates;
  thread_local std::vector<int> scratch;  // reused: one allocation per thread, not per row
  std::vector<int>& hits = scratch;
  hits.clear();
  RE2::Set::ErrorInfo info{};
  const re2::StringPiece piece(text.data(), text.size());
  const std::size_t nspecs = impl_->specs.size();
  if (!impl_->set->Match(piece, &hits, &info) && info.kind != RE2::Set::kNoError) {
    // The Set's DFA gave up (a very long or adversarial text): never skip a recognizer because
    // of it; run every one, and let every gate pass.
    hits.clear();
    for (std::size_t i = 0; i < nspecs; ++i) hits.push_back(static_cast<int>(i));
    for (const int g : impl_->gate)
      if (g >= 0) hits.push_back(g);
  }
  std::sort(hits.begin(), hits.end());
  auto matched = [&hits](int index) { return std::binary_search(hits.begin(), hits.end(), index); };
  for (const int i : hits) {
    if (static_cast<std::size_t>(i) >= nspecs) break;  // gates sort after the specs
    const int gate = impl_->gate[static_cast<std::size_t>(i)];
    if (gate >= 0 && !matched(gate)) continue;
    impl_->extract(static_cast<std::size_t>(i), text, candidates);
  }
  find_people_and_places(text, impl_->person_type, impl_->location_type, candidates);
  if (!impl_->keywords.empty()) {
    for (const KeywordHit& h : impl_->keywords.find_all(text))
      candidates.push_back({h.begin, h.end, impl_->keyword_type[h.type], kKeywordConfidence});
  }
  if (candidates.size() <= 1) return candidates;
  // Usually the candidates do not overlap at all: then position order is the answer.
  auto by_position = [](const Entity& a, const Entity& b) { return a.begin < b.begin; };
  std::sort(candidates.begin(), candidates.end(), by_position);
  bool disjoint = true;
  for (std::size_t k = 1; k < candidates.size() && disjoint; ++k)
    disjoint = candidates[k - 1].end <= candidates[k].begin;
  if (disjoint) return candidates;

  // Overlaps: every region any recognizer found is masked, so overlapping candidates become one
  // entity over their union (an e-mail inside a URL's query, userinfo before a host). It takes the
  // type of the member with the longest span (then the higher priority, then confidence) and the
  // highest confidence of its members, so a min_confidence never drops a region one of them
  // was sure of.
  std::vector<Entity> result;
  result.reserve(candidates.size());
  std::size_t k = 0;
  while (k < candidates.size()) {
    Entity merged = candidates[k];
    std::size_t best = k;
    std::size_t next = k + 1;
    while (next < candidates.size() && candidates[next].begin < merged.end) {
      const Entity& x = candidates[next];
      const Entity& b = candidates[best];
      const auto len = [](const Entity& e) { return e.end - e.begin; };
      if (len(x) != len(b) ? len(x) > len(b)
          : impl_->type_priority[x.type] != impl_->type_priority[b.type]
              ? impl_->type_priority[x.type] > impl_->type_priority[b.type]
              : x.confidence > b.confidence)
        best = next;
      merged.end = std::max(merged.end, x.end);
      merged.confidence = std::max(merged.confidence, x.confidence);
      ++next;
    }
    merged.type = candidates[best].type;
    result.push_back(merged);
    k = next;
  }
  return result;
}

}  // namespace anonkit::detect
