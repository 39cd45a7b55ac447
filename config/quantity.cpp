#include "config/quantity.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>

namespace skiff::config {
namespace {

__extension__ typedef unsigned __int128 U128;  // g++ and clang both have it

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
// More significant digits than this cannot be held exactly (10^38 < 2^128).
constexpr size_t kMaxDigits = 38;

ApiError bad(std::string_view text, const std::string& why) {
  return ApiError::bad_request("quantity \"" + std::string(text) + "\": " + why);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Suffix {
  int pow10 = 0;
  int pow2 = 0;
};

// The suffix after the number, or false when it is not one Kubernetes knows.
bool parse_suffix(std::string_view s, Suffix& out, std::string& why) {
  if (s.empty()) return true;
  static constexpr std::array<std::pair<std::string_view, int>, 6> kBinary{
      {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}}};
  for (const auto& [name, pow2] : kBinary) {
    if (s == name) {
      out.pow2 = pow2;
      return true;
    }
  }
  static constexpr std::array<std::pair<std::string_view, int>, 7> kDecimal{
      {{"m", -3}, {"k", 3}, {"M", 6}, {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}}};
  for (const auto& [name, pow10] : kDecimal) {
    if (s == name) {
      out.pow10 = pow10;
      return true;
    }
  }
  if (s[0] == 'e' || s[0] == 'E') {
    std::string_view exp = s.substr(1);
    bool negative = false;
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
      negative = exp[0] == '-';
      exp.remove_prefix(1);
    }
    if (exp.empty()) {
      why = "exponent has no digits";
      return false;
    }
    int value = 0;
    for (char c : exp) {
      if (!is_digit(c)) {
        why = "exponent \"" + std::string(s.substr(1)) + "\" is not an integer";
        return false;
      }
      // Anything beyond ±1000 is out of range (or rounds to the smallest unit) anyway.
      value = std::min(value * 10 + (c - '0'), 1000);
    }
    out.pow10 = negative ? -value : value;
    return true;
  }
  why = "unknown suffix \"" + std::string(s) +
        "\" (expected one of m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent)";
  return false;
}

// text scaled by 10^scale, rounded up (away from zero).
Result<int64_t> parse_scaled(std::string_view text, int scale) {
  if (text.empty()) return bad(text, "is empty");
  std::string_view s = text;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string digits;  // the mantissa's digits, the point removed
  int frac = 0;
  bool dot = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if (is_digit(s[i])) {
      digits.push_back(s[i]);
      if (dot) ++frac;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return bad(text, "must start with a number");
  Suffix suffix;
  std::string why;
  if (!parse_suffix(s.substr(i), suffix, why)) return bad(text, why);

  int pow10 = suffix.pow10 + scale - frac;
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return int64_t{0};
  digits.erase(0, first);
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++pow10;
  }
  if (digits.size() > kMaxDigits) return bad(text, "has too many significant digits");
  U128 value = 0;
  for (char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');

  const ApiError too_large = bad(text, "is too large");
  auto mul = [](U128& v, U128 by) { return __builtin_mul_overflow(v, by, &v); };
  if (suffix.pow2 > 0 && mul(value, U128{1} << suffix.pow2)) return too_large;
  if (pow10 >= 0) {
    for (int k = 0; k < pow10; ++k) {
      if (mul(value, 10) || value > static_cast<U128>(kMax)) return too_large;
    }
  } else {
    // value < 2^128 < 10^39: dividing by 10^39 or more leaves a fraction, which rounds up to 1.
    if (-pow10 >= 39) {
      value = 1;
    } else {
      U128 divisor = 1;
      for (int k = 0; k < -pow10; ++k) divisor *= 10;
      const bool remainder = value % divisor != 0;
      value = value / divisor + (remainder ? 1 : 0);
    }
  }
  if (value > static_cast<U128>(kMax)) return too_large;
  const auto result = static_cast<int64_t>(value);
  return negative ? -result : result;
}

}  // namespace

Result<int64_t> parse_quantity_milli(std::string_view text) { return parse_scaled(text, 3); }

Result<int64_t> parse_quantity_value(std::string_view text) { return parse_scaled(text, 0); }

std::string format_milli_cpu(int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

std::string format_bytes(int64_t bytes) {
  if (bytes == 0) return "0";
  static constexpr std::array<std::pair<const char*, int>, 6> kBinary{
      {{"Ei", 60}, {"Pi", 50}, {"Ti", 40}, {"Gi", 30}, {"Mi", 20}, {"Ki", 10}}};
  for (const auto& [name, pow2] : kBinary) {
    const int64_t unit = int64_t{1} << pow2;
    if (bytes % unit == 0) return std::to_string(bytes / unit) + name;
  }
  return std::to_string(bytes);
}

bool is_known_container_resource(std::string_view name) {
  if (name == "cpu" || name == "memory" || name == "ephemeral-storage") return true;
  if (name.starts_with("hugepages-")) return name.size() > 10;
  // Extended resources: a fully qualified name outside the kubernetes.io domain.
  const auto slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == name.size()) return false;
  if (name.find('/', slash + 1) != std::string_view::npos) return false;
  const std::string_view domain = name.substr(0, slash);
  if (domain == "kubernetes.io" || domain.ends_with(".kubernetes.io")) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
          c == '/')) {
      return false;
    }
  }
  return true;
}

// The divisor as resource.Quantity.String() shows it, when its value is exactly a power of ten
// or of 1024 (the only values a divisor may have): "1000m" -> "1", "0.001" -> "1m",
// "1024Mi" -> "1Gi", "1e3" -> "1e3" (an exponent stays one); "0" for zero, which means unset.
// nullopt for any other value. A fractional binary mantissa that lands on a power of ten
// ("0.9765625Ki") is not recognised; nobody writes that.
std::optional<std::string> canonical_divisor(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  const std::string_view number = text.substr(0, end);
  const std::string_view suffix = text.substr(end);
  if (std::count(number.begin(), number.end(), '.') > 1) return std::nullopt;
  const size_t dot = std::min(number.find('.'), number.size());
  // The number's nonzero digits: where the first is (a power of ten), and whether it is alone.
  int ones = 0;
  int other = 0;
  int shift = 0;  // number == 10^shift when ones == 1 && other == 0
  std::string integer;
  for (size_t i = 0; i < number.size(); ++i) {
    const char c = number[i];
    if (c == '.') continue;
    if (i < dot) integer += c;
    if (c == '0') continue;
    if (c == '1' && ones == 0) {
      ++ones;
      shift = i < dot ? int(dot - i - 1) : -int(i - dot);
    } else {
      ++other;
    }
  }
  if (number.empty() || number == ".") return std::nullopt;
  if (ones == 0 && other == 0) return "0";
  static constexpr std::string_view kDecimal[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  static constexpr std::string_view kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  for (int k = 0; k < 10; ++k) {
    if (suffix != kDecimal[k]) continue;
    const int p = shift + 3 * (k - 3);
    if (ones != 1 || other != 0 || p % 3 != 0 || p < -9 || p > 18) return std::nullopt;
    return "1" + std::string(kDecimal[p / 3 + 3]);
  }
  for (int k = 1; k < 7; ++k) {
    if (suffix != kBinary[k]) continue;
    // A whole mantissa that is itself a power of 1024 ("1024Ki" is "1Mi").
    const std::string_view fraction = dot < number.size() ? number.substr(dot + 1) : "";
    if (fraction.find_first_not_of('0') != std::string_view::npos) return std::nullopt;
    const auto first = integer.find_first_not_of('0');
    if (first == std::string::npos || integer.size() - first > 19) return std::nullopt;
    uint64_t mantissa = std::stoull(integer.substr(first));
    int power = k;
    while (mantissa % 1024 == 0 && mantissa > 1) {
      mantissa /= 1024;
      ++power;
    }
    if (mantissa != 1 || power > 6) return std::nullopt;
    return "1" + std::string(kBinary[power]);
  }
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view exp = suffix.substr(1);
    const bool negative = exp.starts_with('-');
    if (exp.starts_with('-') || exp.starts_with('+')) exp.remove_prefix(1);
    if (exp.empty() || exp.size() > 4 || exp.find_first_not_of("0123456789") != exp.npos) {
      return std::nullopt;
    }
    const int p = shift + (negative ? -1 : 1) * std::stoi(std::string(exp));
    if (ones != 1 || other != 0) return std::nullopt;
    return p == 0 ? std::string("1") : "1e" + std::to_string(p);
  }
  return std::nullopt;
}

}  // namespace skiff::config
