// Validation and defaulting of manifests, worded as the Kubernetes API server words them, so a
// user's search for the message finds the Kubernetes documentation.
//
// The checks return Diagnostics with `field` and `message` set and no position: the caller
// (manifest.cpp) knows where the document came from and fills in file, line and column.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/manifest.h"
#include "config/objects.h"

namespace skiff::config {

// The raw document before typing: kind/apiVersion must name a kind skiff serves (errors), and
// fields the schema does not know are warnings (`unknown field "spec.foo"`). `kind` is set
// when the kind is known.
std::vector<Diagnostic> check_document(const nlohmann::json& document, std::optional<Kind>* kind);

// Applies the defaults the API server would (namespace, Service targetPort and protocol,
// imagePullPolicy, a Deployment's selector from its template labels). Defaults a user should
// hear about come back as warnings.
std::vector<Diagnostic> apply_defaults(Object& object);

// Every error of a defaulted object, at once.
std::vector<Diagnostic> validate_object(const Object& object);
// What an update may not change (ValidateConfigMapUpdate, ValidateSecretUpdate): the data of
// a ConfigMap or Secret marked `immutable`, the flag itself once set, a Secret's type.
// `previous` and `next` are of the same kind; other kinds have no such rule here.
std::vector<Diagnostic> validate_update(const Object& previous, const Object& next);

// Name rules, each returning Kubernetes' messages (empty: valid). Exposed for the API and CLI
// (e.g. checking a name typed on the command line).
std::vector<std::string> dns1123_label_errors(std::string_view value);
std::vector<std::string> dns1123_subdomain_errors(std::string_view value);
std::vector<std::string> dns1035_label_errors(std::string_view value);
std::vector<std::string> qualified_name_errors(std::string_view value);
std::vector<std::string> label_value_errors(std::string_view value);
std::vector<std::string> port_name_errors(std::string_view value);  // IANA_SVC_NAME
std::vector<std::string> env_var_name_errors(std::string_view value);
// IsConfigMapKey: a key of a ConfigMap's or Secret's data (and so a file name in their volumes).
std::vector<std::string> config_key_errors(std::string_view value);
bool is_valid_ip(std::string_view value);
// A path that must stay inside a volume (subPath, a projected item's path): relative and
// without a ".." component.
std::vector<std::string> local_descending_path_errors(std::string_view value);

// The pull policy Kubernetes defaults to: Always for ":latest" or an untagged image, else
// IfNotPresent.
std::string default_pull_policy(std::string_view image);

}  // namespace skiff::config
