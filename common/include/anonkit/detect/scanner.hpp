// The scanner: every recognizer's pattern in one RE2::Set pass to learn which can match at all,
// then the matching recognizers extract and check their spans, keyword dictionaries add theirs, and
// overlaps are resolved so each region of text is reported once. Immutable after construction and
// safe to share between threads and connections.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anonkit/detect/entity.hpp"
#include "anonkit/detect/recognizer.hpp"

namespace anonkit::detect {

struct UserPattern {
  std::string type;
  std::string pattern;
};
struct UserKeyword {
  std::string type;
  std::string keyword;
};

// One row of pii_types().
struct TypeInfo {
  std::string type;
  std::string description;
  std::string validator;
  std::string source;
};

class Scanner {
 public:
  // Built-in recognizers plus the user's patterns and keywords. Throws ConfigError (message starts
  // "anonkit:") for a pattern RE2 rejects, a bad type name, or an empty keyword.
  Scanner(const std::vector<UserPattern>& patterns, const std::vector<UserKeyword>& keywords);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // The process-wide scanner with only the built-in recognizers.
  [[nodiscard]] static std::shared_ptr<const Scanner> builtin();

  // Entities in `text`, sorted by position, non-overlapping. Recognizers see the text's scan
  // view (anonkit/text/scan_view.hpp: Unicode spaces, dashes and digits made ASCII, zero-width
  // characters removed); the spans returned are byte offsets of `text` itself, whole characters.
  [[nodiscard]] std::vector<Entity> scan(std::string_view text) const;

  // Entity type names; Entity::type indexes this.
  [[nodiscard]] const std::vector<std::string>& types() const noexcept { return type_names_; }
  // Index of a type name (case-insensitive), or -1.
  [[nodiscard]] int type_index(std::string_view name) const noexcept;
  [[nodiscard]] std::vector<TypeInfo> describe() const;

 private:
  [[nodiscard]] std::vector<Entity> scan_view(std::string_view view) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> type_names_;
};

// A type name users may define: upper case letters, digits and '_', starting with a letter, at most
// 64 characters (so it can stand in a token "[TYPE_3]").
[[nodiscard]] bool valid_type_name(std::string_view name) noexcept;

}  // namespace anonkit::detect
