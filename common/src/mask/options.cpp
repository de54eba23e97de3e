// Parsing of the JSON options document that mask(), mask_tokens() take. Unknown keys are errors: a
// misspelt "type" must not silently mask nothing.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"
#include "json_input.hpp"

namespace anonkit::mask {

MaskOptions parse_mask_options(std::string_view json, const detect::Scanner& scanner) {
  const nlohmann::json doc = internal::parse_json_argument(
      json, R"(options must be a JSON object like {"types":["EMAIL"],"style":"token"})");
  if (!doc.is_object())
    throw InvalidArgument("anonkit: options must be a JSON object, e.g. {\"style\":\"token\"}");
  MaskOptions options;
  for (const auto& [key, value] : doc.items()) {
    if (key == "style") {
      const std::string style = value.is_string() ? value.get<std::string>() : "";
      if (style == "redact")
        options.style = Style::kRedact;
      else if (style == "partial")
        options.style = Style::kPartial;
      else if (style == "token")
        options.style = Style::kToken;
      else if (style == "pseudonym")
        options.style = Style::kPseudonym;
      else
        throw InvalidArgument(fmt::format(
            "anonkit: option \"style\" must be one of \"redact\", \"partial\", \"token\", "
            "\"pseudonym\"; got {}",
            internal::describe_json(value)));
    } else if (key == "types") {
      if (!value.is_array() || value.empty())
        throw InvalidArgument(
            "anonkit: option \"types\" must be a non-empty array of type names, e.g. "
            "[\"EMAIL\",\"PHONE\"]");
      options.types.assign(scanner.types().size(), false);
      for (const auto& t : value) {
        const int index = t.is_string() ? scanner.type_index(t.get<std::string>()) : -1;
        if (index < 0)
          throw InvalidArgument(
              fmt::format("anonkit: unknown type {} in option \"types\"; known: {}",
                          internal::describe_json(t), fmt::join(scanner.types(), ", ")));
        options.types[static_cast<std::size_t>(index)] = true;
      }
    } else if (key == "min_confidence") {
      if (!value.is_number() || value.get<double>() < 0.0 || value.get<double>() > 1.0)
        throw InvalidArgument("anonkit: option \"min_confidence\" must be a number from 0 to 1");
      options.min_confidence = value.get<double>();
    } else {
      throw InvalidArgument(fmt::format(
          "anonkit: unknown option \"{}\"; expected \"types\", \"style\" or \"min_confidence\"",
          key));
    }
  }
  return options;
}

}  // namespace anonkit::mask
