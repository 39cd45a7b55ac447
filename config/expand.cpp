#include "config/expand.h"

namespace skiff::config {

// Mirrors k8s.io/kubernetes third_party/forked/golang/expansion: "$$" is an escaped "$",
// "$(NAME)" expands when NAME is defined and stays as written otherwise, an unterminated "$("
// and a "$" before any other character are kept verbatim.
std::string expand_vars(std::string_view input, const VarLookup& lookup) {
  std::string out;
  out.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    const char c = input[i];
    if (c != '$' || i + 1 >= input.size()) {
      out += c;
      ++i;
      continue;
    }
    const char next = input[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
    } else if (next == '(') {
      const size_t close = input.find(')', i + 2);
      if (close == std::string_view::npos) {
        out.append(input.substr(i));
        break;
      }
      const std::string_view name = input.substr(i + 2, close - i - 2);
      std::optional<std::string> value;
      if (!name.empty() && lookup) value = lookup(name);
      if (value) {
        out += *value;
      } else {
        out.append(input.substr(i, close + 1 - i));
      }
      i = close + 1;
    } else {
      out += '$';
      out += next;
      i += 2;
    }
  }
  return out;
}

}  // namespace skiff::config
