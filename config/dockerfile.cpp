#include "config/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace skiff::config {
namespace {

struct Instruction {
  int line = 0;         // where the instruction starts
  std::string keyword;  // upper case
  std::string args;     // the rest, continuations joined
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Logical lines: comments and blank lines dropped (also inside continuations, as Docker does),
// a trailing backslash joins the next line. Parser directives are comments to us.
std::vector<Instruction> split_instructions(std::string_view text) {
  std::vector<Instruction> out;
  std::optional<Instruction> pending;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    bool continues = line.back() == '\\';
    if (continues) line = trim(std::string_view(line).substr(0, line.size() - 1));
    if (!pending) {
      size_t sp = line.find_first_of(" \t");
      pending = Instruction{line_no, upper(line.substr(0, sp)),
                            sp == std::string::npos ? std::string() : trim(line.substr(sp))};
    } else {
      if (!pending->args.empty() && !line.empty()) pending->args += ' ';
      pending->args += line;
    }
    if (!continues) {
      out.push_back(std::move(*pending));
      pending.reset();
    }
  }
  if (pending) out.push_back(std::move(*pending));
  return out;
}

struct Stage {
  DockerfileImage image;
  bool cmd_set = false;  // CMD set in this stage (ENTRYPOINT resets only an inherited CMD)
  std::vector<std::string> shell{"/bin/sh", "-c"};
};

std::string env_value(const Stage& stage, const std::string& name) {
  for (const auto& [k, v] : stage.image.env) {
    if (k == name) return v;
  }
  return {};
}

// Splits into words the way Docker's shell lexer does for ENV/EXPOSE/WORKDIR: quotes group,
// backslash escapes, $VAR and ${VAR} expand from the stage's environment (not in '...').
std::vector<std::string> words(std::string_view s, const Stage& stage, bool expand) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (quote != '\'' && c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (quote != 0 && c == quote) {
      quote = 0;
    } else if (expand && quote != '\'' && c == '$' && i + 1 < s.size()) {
      size_t j = i + 1;
      std::string name;
      if (s[j] == '{') {
        size_t close = s.find('}', j);
        if (close == std::string_view::npos) {
          cur += c;
          continue;
        }
        name = std::string(s.substr(j + 1, close - j - 1));
        i = close;
      } else {
        while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) {
          name += s[j++];
        }
        if (name.empty()) {
          cur += c;
          continue;
        }
        i = j - 1;
      }
      cur += env_value(stage, name);
    } else {
      cur += c;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string clean_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? path.npos : slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// Exec form when the arguments are a JSON array of strings, else shell form.
std::vector<std::string> command_form(const std::string& args, const Stage& stage) {
  if (!args.empty() && args.front() == '[') {
    auto j = nlohmann::json::parse(args, nullptr, false);
    if (j.is_array() &&
        std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_string(); })) {
      return j.get<std::vector<std::string>>();
    }
  }
  std::vector<std::string> cmd = stage.shell;
  cmd.push_back(args);
  return cmd;
}

ApiError error(int line, const std::string& message) {
  return ApiError::bad_request("Dockerfile:" + std::to_string(line) + ": " + message);
}

}  // namespace

Result<DockerfileImage> parse_dockerfile(std::string_view text) {
  static const char* const kIgnored[] = {"ARG",        "RUN",         "COPY",      "ADD",
                                         "LABEL",      "USER",        "VOLUME",    "ONBUILD",
                                         "STOPSIGNAL", "HEALTHCHECK", "MAINTAINER"};
  std::map<std::string, Stage> named;
  std::optional<Stage> stage;
  std::string stage_name;  // saved into `named` when the stage ends, so later stages inherit it
  for (const Instruction& in : split_instructions(text)) {
    const std::string& kw = in.keyword;
    if (kw == "FROM") {
      std::vector<std::string> w = words(in.args, Stage{}, false);
      w.erase(std::remove_if(w.begin(), w.end(),
                             [](const std::string& x) { return x.rfind("--", 0) == 0; }),
              w.end());
      if (w.empty()) return error(in.line, "FROM requires an image");
      if (w.size() != 1 && !(w.size() == 3 && upper(w[1]) == "AS")) {
        return error(in.line, "FROM: expected \"FROM image [AS name]\"");
      }
      if (stage && !stage_name.empty()) named[stage_name] = *stage;
      auto base = named.find(w[0]);
      stage = base != named.end() ? base->second : Stage{};
      stage->cmd_set = false;
      if (base == named.end()) stage->image.base = w[0];
      stage_name = w.size() == 3 ? w[2] : std::string();
      continue;
    }
    const bool ignored =
        std::find(std::begin(kIgnored), std::end(kIgnored), kw) != std::end(kIgnored);
    if (!stage) {
      if (kw == "ARG") continue;
      if (ignored || kw == "CMD" || kw == "ENTRYPOINT" || kw == "ENV" || kw == "WORKDIR" ||
          kw == "EXPOSE" || kw == "SHELL") {
        return error(in.line, kw + " before any FROM: no build stage in current context");
      }
      return error(in.line, "unknown instruction: " + kw);
    }
    Stage& s = *stage;
    if (ignored) continue;
    if (kw == "CMD" || kw == "ENTRYPOINT") {
      if (in.args.empty()) return error(in.line, kw + " requires at least one argument");
      if (kw == "CMD") {
        s.image.cmd = command_form(in.args, s);
        s.cmd_set = true;
      } else {
        s.image.entrypoint = command_form(in.args, s);
        if (!s.cmd_set) s.image.cmd.clear();
      }
    } else if (kw == "SHELL") {
      auto j = nlohmann::json::parse(in.args, nullptr, false);
      if (!j.is_array() || j.empty() ||
          !std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_string(); })) {
        return error(in.line, "SHELL requires the arguments to be in JSON form");
      }
      s.shell = j.get<std::vector<std::string>>();
    } else if (kw == "ENV") {
      std::vector<std::string> w = words(in.args, s, true);
      if (w.empty()) return error(in.line, "ENV requires at least one argument");
      std::vector<std::pair<std::string, std::string>> pairs;
      if (w[0].find('=') == std::string::npos) {
        // Legacy form: ENV name value with spaces (one variable, the rest of the line).
        if (w.size() < 2) return error(in.line, "ENV: missing value for " + w[0]);
        // The name ends at the first whitespace, as Docker splits it (any isspace() character:
        // words() split on those too, so there is one).
        const size_t space = in.args.find_first_of(" \t\r\n\v\f");
        if (space == std::string::npos) return error(in.line, "ENV: missing value for " + w[0]);
        std::string rest = trim(std::string_view(in.args).substr(space));
        std::vector<std::string> vw = words(rest, s, true);
        std::string value;
        for (const auto& x : vw) value += (value.empty() ? "" : " ") + x;
        pairs.emplace_back(w[0], value);
      } else {
        for (const auto& x : w) {
          size_t eq = x.find('=');
          if (eq == std::string::npos) {
            return error(in.line,
                         "ENV: can't find = in \"" + x + "\"; must be of the form name=value");
          }
          if (eq == 0) return error(in.line, "ENV names can not be blank");
          pairs.emplace_back(x.substr(0, eq), x.substr(eq + 1));
        }
      }
      for (auto& pair : pairs) {
        auto it = std::find_if(s.image.env.begin(), s.image.env.end(),
                               [&](const auto& e) { return e.first == pair.first; });
        if (it != s.image.env.end()) {
          it->second = pair.second;
        } else {
          s.image.env.push_back(pair);
        }
      }
    } else if (kw == "WORKDIR") {
      std::vector<std::string> w = words(in.args, s, true);
      if (w.size() != 1) return error(in.line, "WORKDIR requires exactly one argument");
      const std::string& dir = w[0];
      const std::string joined =
          dir.front() == '/'
              ? dir
              : (s.image.working_dir.empty() ? "/" : s.image.working_dir) + "/" + dir;
      s.image.working_dir = clean_path(joined);
    } else if (kw == "EXPOSE") {
      std::vector<std::string> w = words(in.args, s, true);
      if (w.empty()) return error(in.line, "EXPOSE requires at least one argument");
      for (const std::string& word : w) {
        std::string port = word;
        std::string proto = "tcp";
        size_t slash = port.find('/');
        if (slash != std::string::npos) {
          proto = port.substr(slash + 1);
          for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          port = port.substr(0, slash);
        }
        const bool digits = !port.empty() && port.size() <= 11 &&
                            port.find_first_not_of("0123456789-") == std::string::npos &&
                            std::isdigit(static_cast<unsigned char>(port.front())) &&
                            std::isdigit(static_cast<unsigned char>(port.back()));
        if (!digits || (proto != "tcp" && proto != "udp" && proto != "sctp")) {
          return error(in.line, "EXPOSE: invalid port \"" + word + "\"");
        }
        std::string spec = port + "/" + proto;
        if (std::find(s.image.exposed_ports.begin(), s.image.exposed_ports.end(), spec) ==
            s.image.exposed_ports.end()) {
          s.image.exposed_ports.push_back(spec);
        }
      }
    } else {
      return error(in.line, "unknown instruction: " + kw);
    }
  }
  if (!stage) return ApiError::bad_request("Dockerfile: no FROM instruction");
  return stage->image;
}

}  // namespace skiff::config
