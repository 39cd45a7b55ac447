// Errors at the API boundary, shaped like the Kubernetes `Status` object, and a small
// Result<T> (std::expected arrives only in C++23).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace skiff::config {

struct StatusCause {
  std::string field;    // "spec.ports[0].port"
  std::string reason;   // FieldValueInvalid, FieldValueRequired, ...
  std::string message;  // "file:line:col: spec.ports[0].port: must be between 1 and 65535"
};

// A failed call: code is the HTTP status, reason the Kubernetes StatusReason
// (NotFound, AlreadyExists, Conflict, Invalid, BadRequest, MethodNotAllowed, InternalError).
struct ApiError {
  int code = 500;
  std::string reason = "InternalError";
  std::string message;
  std::vector<StatusCause> causes;

  static ApiError not_found(const std::string& what) {
    return {404, "NotFound", what + " not found", {}};
  }
  static ApiError already_exists(const std::string& what) {
    return {409, "AlreadyExists", what + " already exists", {}};
  }
  static ApiError conflict(const std::string& msg) { return {409, "Conflict", msg, {}}; }
  static ApiError bad_request(const std::string& msg) { return {400, "BadRequest", msg, {}}; }
  static ApiError invalid(const std::string& msg, std::vector<StatusCause> causes = {}) {
    return {422, "Invalid", msg, std::move(causes)};
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(ApiError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace skiff::config
