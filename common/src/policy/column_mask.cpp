// Column mask strategies, parsed once per rule and applied per value.
#include "anonkit/policy/column_mask.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>

#include "anonkit/error.hpp"
#include "anonkit/mask/text.hpp"

namespace anonkit::policy {
namespace {

constexpr std::string_view kNames =
    "null, redact, redact:TYPE, email, phone, card, iban, ssn, name, ip, mac, url, date, id, all, "
    "text, pseudonym, pseudonym:email|name|phone|int, fpe, fpe:digits|alnum|hex|alpha, "
    "bucket:WIDTH, bucket:year|quarter|month|week|day|hour";

constexpr std::string_view kRedacted = "[REDACTED]";

// floor(INT64_MIN / w) * w would overflow 64 bits.
__extension__ typedef __int128 Wide;

[[noreturn]] void unknown(std::string_view spec) {
  throw InvalidArgument(
      fmt::format("anonkit: unknown mask strategy '{}': expected one of {}", spec, kNames));
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string_view kind_name(ColumnKind k) {
  switch (k) {
    case ColumnKind::kText:
      return "text";
    case ColumnKind::kInteger:
      return "integer";
    case ColumnKind::kNumeric:
      return "numeric";
    case ColumnKind::kDate:
      return "date";
    case ColumnKind::kTimestamp:
      return "timestamp";
    case ColumnKind::kOther:
      break;
  }
  return "other";
}

}  // namespace

std::string_view column_mask_names() noexcept { return kNames; }

struct MaskContext::Ff1Cache {
  std::map<std::uint32_t, std::unique_ptr<pseudo::Ff1>> by_radix;
};

MaskContext::MaskContext(std::shared_ptr<const pseudo::Keyring> keyring)
    : keyring_(std::move(keyring)),
      scanner_(detect::Scanner::builtin()),
      ff1_(std::make_unique<Ff1Cache>()) {
  if (keyring_) pseudonymizer_ = std::make_unique<pseudo::Pseudonymizer>(keyring_->pseudonym_key());
}

MaskContext::~MaskContext() = default;

const pseudo::Pseudonymizer& MaskContext::pseudonymizer() const {
  if (!pseudonymizer_)
    throw KeyError(
        "anonkit: this mask strategy needs a key: pass --key-file or set ANONKIT_KEY_FILE");
  return *pseudonymizer_;
}

const pseudo::Ff1& MaskContext::ff1(std::uint32_t radix) const {
  if (!keyring_)
    throw KeyError(
        "anonkit: this mask strategy needs a key: pass --key-file or set ANONKIT_KEY_FILE");
  auto& slot = ff1_->by_radix[radix];
  if (!slot) slot = std::make_unique<pseudo::Ff1>(keyring_->ff1_key(), radix);
  return *slot;
}

ColumnMask ColumnMask::parse(std::string_view spec) {
  ColumnMask m;
  m.spec_ = std::string(spec);
  const auto colon = spec.find(':');
  const std::string_view head = spec.substr(0, colon);
  const std::string_view arg =
      colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  const bool has_arg = colon != std::string_view::npos;
  if (has_arg && arg.empty()) unknown(spec);
  if (head == "null" && !has_arg) {
    m.strategy_ = Strategy::kNull;
  } else if (head == "redact") {
    m.strategy_ = Strategy::kRedact;
    if (!has_arg) {
      m.placeholder_ = std::string(kRedacted);
    } else {
      for (const char c : arg)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
          throw InvalidArgument(
              fmt::format("anonkit: mask strategy '{}': expected redact:TYPE with TYPE of letters, "
                          "digits and _",
                          spec));
      std::string type(arg);
      for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      m.placeholder_ = "[" + type + "]";
    }
  } else if (head == "text" && !has_arg) {
    m.strategy_ = Strategy::kText;
  } else if (head == "pseudonym") {
    m.strategy_ = Strategy::kPseudonym;
    m.pseudonym_ = pseudo::PseudonymType::kToken;
    if (has_arg) {
      m.pseudonym_ = pseudo::parse_pseudonym_type(arg);
      if (!m.pseudonym_ || *m.pseudonym_ == pseudo::PseudonymType::kToken)
        throw InvalidArgument(fmt::format(
            "anonkit: mask strategy '{}': expected pseudonym or pseudonym:email|name|phone|int",
            spec));
    }
  } else if (head == "fpe") {
    m.strategy_ = Strategy::kFpe;
    if (has_arg) {
      if (arg != "digits" && arg != "alnum" && arg != "hex" && arg != "alpha")
        throw InvalidArgument(fmt::format(
            "anonkit: mask strategy '{}': expected fpe or fpe:digits|alnum|hex|alpha", spec));
      m.alphabet_ = std::string(arg);
    }
  } else if (head == "bucket") {
    if (!has_arg) unknown(spec);
    if (const auto unit = generalize::parse_date_unit(arg)) {
      m.strategy_ = Strategy::kBucketDate;
      m.unit_ = *unit;
    } else if (const auto w = parse_real(arg); w && *w > 0) {
      m.strategy_ = Strategy::kBucketWidth;
      m.width_ = *w;
      m.integral_width_ = parse_int(arg).has_value();
    } else {
      throw InvalidArgument(
          fmt::format("anonkit: mask strategy '{}': expected bucket:WIDTH (a number > 0) or "
                      "bucket:year|quarter|month|week|day|hour",
                      spec));
    }
  } else if (!has_arg) {
    const auto typed = mask::parse_mask_type(head);
    if (!typed) unknown(spec);
    m.strategy_ = Strategy::kTyped;
    m.typed_ = *typed;
  } else {
    unknown(spec);
  }
  return m;
}

ColumnMask::KeptShape ColumnMask::kept_shape() const {
  KeptShape k;
  switch (strategy_) {
    case Strategy::kTyped:
      if (typed_ == mask::MaskType::kIp) k.types = {"IP_ADDRESS"};
      if (typed_ == mask::MaskType::kUrl) k.types = {"URL"};
      break;
    case Strategy::kPseudonym:
      if (pseudonym_ == pseudo::PseudonymType::kEmail) k.types = {"EMAIL"};
      if (pseudonym_ == pseudo::PseudonymType::kName) k.types = {"PERSON"};
      if (pseudonym_ == pseudo::PseudonymType::kPhone) k.types = {"PHONE"};
      break;
    case Strategy::kFpe:
      k.all_types = true;
      break;
    default:
      break;
  }
  return k;
}

bool ColumnMask::needs_key() const noexcept {
  return strategy_ == Strategy::kPseudonym || strategy_ == Strategy::kFpe;
}

void ColumnMask::check_column(std::string_view column, std::string_view type_name, ColumnKind kind,
                              bool not_null) const {
  auto refuse = [&](std::string_view expected) {
    throw InvalidArgument(
        fmt::format("anonkit: mask '{}' cannot be written into column {} of type {}: expected {}",
                    spec_, column, type_name, expected));
  };
  switch (strategy_) {
    case Strategy::kNull:
      if (not_null) refuse("a nullable column (it is NOT NULL; choose another strategy)");
      return;
    case Strategy::kRedact:
    case Strategy::kTyped:
    case Strategy::kText:
    case Strategy::kFpe:
      if (kind != ColumnKind::kText) refuse("a text column (use null or bucket for other types)");
      return;
    case Strategy::kPseudonym:
      if (pseudonym_ == pseudo::PseudonymType::kInt) {
        if (kind != ColumnKind::kInteger && kind != ColumnKind::kText)
          refuse("an integer or text column");
      } else if (kind != ColumnKind::kText) {
        refuse("a text column (pseudonym:int for integers)");
      }
      return;
    case Strategy::kBucketWidth:
      if (kind == ColumnKind::kInteger && !integral_width_) refuse("an integer width");
      if (kind != ColumnKind::kInteger && kind != ColumnKind::kNumeric && kind != ColumnKind::kText)
        refuse(fmt::format("a number or text column, not {}", kind_name(kind)));
      return;
    case Strategy::kBucketDate:
      if (kind != ColumnKind::kDate && kind != ColumnKind::kTimestamp && kind != ColumnKind::kText)
        refuse("a date, timestamp or text column");
      return;
  }
}

std::optional<std::string> ColumnMask::apply(std::optional<std::string_view> value, ColumnKind kind,
                                             const MaskContext& ctx) const {
  if (!value) return std::nullopt;
  const std::string_view v = *value;
  switch (strategy_) {
    case Strategy::kNull:
      return std::nullopt;
    case Strategy::kRedact:
      return placeholder_;
    case Strategy::kTyped:
      return mask::mask_typed(v, typed_);
    case Strategy::kText:
      return mask::mask_text(v, ctx.scanner(), mask::MaskOptions{});
    case Strategy::kPseudonym: {
      const auto& p = ctx.pseudonymizer();
      if (pseudonym_ == pseudo::PseudonymType::kInt) {
        const auto i = parse_int(v);
        // A text value that is not an integer still gets a keyed token: never left readable.
        if (!i) return p.text(pseudo::PseudonymType::kToken, v);
        return std::to_string(p.integer(*i));
      }
      return p.text(*pseudonym_, v);
    }
    case Strategy::kFpe: {
      const auto alphabet = pseudo::Alphabet::parse(alphabet_);
      return alphabet.transform(ctx.ff1(alphabet.radix()), v, true);
    }
    case Strategy::kBucketWidth: {
      if (kind == ColumnKind::kInteger) {
        const auto i = parse_int(v);
        if (!i)
          throw InvalidArgument("anonkit: bucket expected an integer value in an integer column");
        const auto w = static_cast<Wide>(width_);
        Wide q = static_cast<Wide>(*i) / w;
        if (static_cast<Wide>(*i) % w != 0 && *i < 0) --q;  // floor, not truncation
        if (q * w < INT64_MIN) q += 1;  // the lowest bucket is clipped at the type's minimum
        return fmt::format("{}", static_cast<std::int64_t>(q * w));
      }
      const auto x = parse_real(v);
      if (kind == ColumnKind::kNumeric) {
        if (!x) throw InvalidArgument("anonkit: bucket expected a number in a numeric column");
        return fmt::format("{}", std::floor(*x / width_) * width_);
      }
      if (!x) return std::string(kRedacted);  // text that is not a number: hidden whole
      if (const auto i = parse_int(v); i && integral_width_)
        return generalize::bucket_int(*i, static_cast<std::int64_t>(width_));
      return generalize::bucket_real(*x, width_);
    }
    case Strategy::kBucketDate: {
      const auto t = generalize::parse_datetime(v);
      if (!t) {
        if (kind == ColumnKind::kText) return std::string(kRedacted);
        throw InvalidArgument(
            "anonkit: bucket expected a date or timestamp (ISO 8601) in a date or time column");
      }
      if (kind == ColumnKind::kText) return generalize::bucket_date(*t, unit_);
      const auto s = generalize::period_start(*t, unit_);
      if (kind == ColumnKind::kDate)
        return fmt::format("{:04d}-{:02d}-{:02d}", s.year, s.month, s.day);
      return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}", s.year, s.month, s.day,
                         s.hour, s.minute, s.second);
    }
  }
  return std::string(kRedacted);
}

}  // namespace anonkit::policy
