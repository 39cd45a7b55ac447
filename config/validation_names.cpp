// The name rules of config/validation.h (k8s.io/apimachinery/pkg/util/validation), with
// Kubernetes' own message texts.
#include <arpa/inet.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/validation.h"

namespace skiff::config {
namespace {

// ---- Kubernetes' message texts (k8s.io/apimachinery/pkg/util/validation) ------------------

std::string regex_error(std::string msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  msg += " (e.g. ";
  bool first = true;
  for (auto e : examples) {
    if (!first) msg += " or ";
    first = false;
    msg += "'" + std::string(e) + "', ";
  }
  msg += "regex used for validation is '" + std::string(fmt) + "')";
  return msg;
}

std::string max_len_error(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool matches_dns1123_label(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matches_qualified_name(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

}  // namespace

// ---- Name rules ------------------------------------------------------------------------------

std::vector<std::string> dns1123_label_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(max_len_error(63));
  if (!matches_dns1123_label(v)) {
    errs.push_back(
        regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric "
                    "character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?", {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> dns1123_subdomain_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(max_len_error(253));
  bool ok = !v.empty();
  size_t start = 0;
  while (ok && start <= v.size()) {
    size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    if (!matches_dns1123_label(part)) ok = false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok) {
    errs.push_back(regex_error(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character",
        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", {"example.com"}));
  }
  return errs;
}

std::vector<std::string> dns1035_label_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(max_len_error(63));
  if (!matches_dns1123_label(v) || !(v.front() >= 'a' && v.front() <= 'z')) {
    errs.push_back(
        regex_error("a DNS-1035 label must consist of lower case alphanumeric "
                    "characters or '-', start with an alphabetic character, and end "
                    "with an alphanumeric character",
                    "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> qualified_name_errors(std::string_view v) {
  std::vector<std::string> errs;
  std::string_view name = v;
  const size_t slash = v.find('/');
  if (slash != std::string_view::npos) {
    if (v.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(regex_error("a qualified name " + std::string(kQualifiedNameMsg),
                                 kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = v.substr(0, slash);
    name = v.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& m : dns1123_subdomain_errors(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + max_len_error(63));
  }
  if (!name.empty() && !matches_qualified_name(name)) {
    errs.push_back("name part " + regex_error(std::string(kQualifiedNameMsg), kQualifiedNameFmt,
                                              {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> label_value_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(max_len_error(63));
  if (!v.empty() && !matches_qualified_name(v)) {
    errs.push_back(regex_error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> port_name_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 15) errs.push_back(max_len_error(15));
  bool charset = !v.empty();
  bool letter = false;
  for (char c : v) {
    if (!is_lower_alnum(c) && c != '-') charset = false;
    if (c >= 'a' && c <= 'z') letter = true;
  }
  if (!charset) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!letter) errs.push_back("must contain at least one letter (a-z)");
  if (v.find("--") != std::string_view::npos)
    errs.push_back("must not contain consecutive hyphens");
  if (!v.empty() && (v.front() == '-' || v.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<std::string> env_var_name_errors(std::string_view v) {
  std::vector<std::string> errs;
  bool ok = !v.empty() && !(v.front() >= '0' && v.front() <= '9');
  for (char c : v) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') ok = false;
  }
  if (!ok) {
    errs.push_back(regex_error(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', "
        "'-', or '.', and must not start with a digit",
        "[-._a-zA-Z][-._a-zA-Z0-9]*", {"my.env-name", "MY_ENV.NAME", "MyEnvName1"}));
  }
  if (v == ".") {
    errs.push_back("must not be '.'");
  } else if (v == "..") {
    errs.push_back("must not be '..'");
  } else if (v.substr(0, 2) == "..") {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::vector<std::string> local_descending_path_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (!v.empty() && v.front() == '/') errs.push_back("must be a relative path");
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find('/', start);
    if (end == std::string_view::npos) end = v.size();
    if (v.substr(start, end - start) == "..") {
      errs.push_back("must not contain '..'");
      break;  // one is enough, as Kubernetes says it once
    }
    start = end + 1;
  }
  return errs;
}

std::vector<std::string> config_key_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(max_len_error(253));
  bool ok = !v.empty();
  for (char c : v) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') ok = false;
  }
  if (!ok) {
    errs.push_back(
        regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                    "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  if (v == ".") {
    errs.push_back("must not be '.'");
  } else if (v == "..") {
    errs.push_back("must not be '..'");
  } else if (v.starts_with("..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

bool is_valid_ip(std::string_view value) {
  if (value.empty() || value.size() > 45) return false;
  const std::string s(value);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace skiff::config
