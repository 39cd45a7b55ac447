// Images of the process engine. `skiff build -t NAME DIR` registers DIR (which holds a
// Dockerfile) as image NAME: the Dockerfile's ENTRYPOINT, CMD, ENV and EXPOSE are recorded,
// and the image's working directory is DIR itself (COPY . /app made that folder the app).
// Records live at STATE_DIR/images/<escaped ref>.json, written atomically.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "controller/engine/engine.h"

namespace skiff::controller::engine {

// Docker's normalisation: "flask-kubernetes" is "flask-kubernetes:latest"; a ref with a tag or
// digest is kept.
std::string normalize_image_ref(const std::string& ref);

class ImageStore {
 public:
  explicit ImageStore(std::filesystem::path state_dir);

  // Errors: BadRequest for an empty ref, a missing folder or Dockerfile, or a Dockerfile that
  // does not parse (the message names the line); InternalError when the record cannot be saved.
  Result<ImageConfig> build(const std::string& ref, const std::filesystem::path& dir);
  std::optional<ImageConfig> find(const std::string& ref) const;

 private:
  std::filesystem::path record_path(const std::string& normalized_ref) const;

  std::filesystem::path dir_;  // STATE_DIR/images
};

}  // namespace skiff::controller::engine
