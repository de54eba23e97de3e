// Numeric buckets. Integer arithmetic is done in 128 bits so no input can overflow; real buckets
// are corrected after the division so the value always lies inside the interval it is labelled
// with.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "anonkit/error.hpp"
#include "anonkit/generalize/bucket.hpp"

namespace anonkit::generalize {
namespace {

// 128-bit intermediates: value - origin and origin + k * width cannot overflow.
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string to_string(i128 v) {
  if (v >= INT64_MIN && v <= INT64_MAX) return std::to_string(static_cast<std::int64_t>(v));
  const bool negative = v < 0;
  u128 u = negative ? static_cast<u128>(-(v + 1)) + 1 : v;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u != 0);
  return negative ? "-" + digits : digits;
}

// Shortest text that reads back as the same double, without a trailing ".0".
std::string real_text(double v) { return fmt::format("{}", v); }

void require_finite(double v, const char* what) {
  if (!std::isfinite(v))
    throw InvalidArgument(fmt::format("anonkit: bucket expects a finite {}, got {}", what, v));
}

}  // namespace

std::string bucket_int(std::int64_t value, std::int64_t width, std::int64_t origin) {
  if (width <= 0)
    throw InvalidArgument(fmt::format("anonkit: bucket width must be > 0, got {}", width));
  const i128 k = floor_div(static_cast<i128>(value) - origin, width);
  const i128 lo = origin + k * width;
  const i128 hi = lo + width - 1;
  return to_string(lo) + "-" + to_string(hi);
}

std::string bucket_real(double value, double width, double origin) {
  require_finite(value, "value");
  require_finite(width, "width");
  require_finite(origin, "origin");
  if (!(width > 0))
    throw InvalidArgument(fmt::format("anonkit: bucket width must be > 0, got {}", width));
  double k = std::floor((value - origin) / width);
  // Division rounds; make sure lo <= value < hi holds for the doubles we print.
  if (origin + k * width > value) k -= 1;
  if (origin + (k + 1) * width <= value) k += 1;
  const double lo = origin + k * width;
  const double hi = origin + (k + 1) * width;
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw InvalidArgument("anonkit: bucket interval is out of the range of a REAL");
  return "[" + real_text(lo) + "," + real_text(hi) + ")";
}

Edges Edges::parse(std::string_view spec) {
  auto fail = [&](std::string_view why) {
    return InvalidArgument(fmt::format(
        "anonkit: bucket edges must look like '[0,18,30,50,65]' (strictly increasing numbers); {}: "
        "'{}'",
        why, spec));
  };
  std::size_t i = spec.find_first_not_of(" \t");
  if (i == std::string_view::npos || spec[i] != '[') throw fail("missing '['");
  const std::size_t close = spec.find_last_not_of(" \t");
  if (spec[close] != ']') throw fail("missing ']'");
  Edges edges;
  std::string_view body = spec.substr(i + 1, close - i - 1);
  while (true) {
    const std::size_t comma = body.find(',');
    std::string_view item = body.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.empty()) throw fail("an empty edge");
    double v = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || end != item.data() + item.size() || !std::isfinite(v))
      throw fail(fmt::format("'{}' is not a finite number", item));
    if (!edges.edges_.empty() && !(v > edges.edges_.back())) throw fail("not strictly increasing");
    if (v != std::floor(v) || std::fabs(v) > 9e15) edges.integral_ = false;
    edges.edges_.push_back(v);
    if (comma == std::string_view::npos) break;
    body.remove_prefix(comma + 1);
  }
  if (edges.edges_.size() > 10000) throw fail("more than 10000 edges");
  return edges;
}

std::string Edges::label(double value) const {
  require_finite(value, "value");
  // First edge greater than the value: the value lies in [edges[i-1], edges[i]).
  const auto it = std::upper_bound(edges_.begin(), edges_.end(), value);
  const std::size_t i = static_cast<std::size_t>(it - edges_.begin());
  auto text = [this](double v) {
    return integral_ ? std::to_string(static_cast<std::int64_t>(v)) : real_text(v);
  };
  if (i == 0) return "<" + text(edges_.front());
  if (i == edges_.size()) return integral_ ? text(edges_.back()) + "+" : ">=" + text(edges_.back());
  if (integral_)
    return text(edges_[i - 1]) + "-" + std::to_string(static_cast<std::int64_t>(edges_[i]) - 1);
  return "[" + text(edges_[i - 1]) + "," + text(edges_[i]) + ")";
}

}  // namespace anonkit::generalize
