// Kubernetes' $(VAR) expansion for command, args and env values: $(NAME) is replaced by the
// variable's value when defined and left as written when not; $$ is an escaped $.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::config {

using VarLookup = std::function<std::optional<std::string>(std::string_view)>;
std::string expand_vars(std::string_view input, const VarLookup& lookup);

}  // namespace skiff::config
