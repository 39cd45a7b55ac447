// Engine::open_log's default: the logs() snapshot served as a stream, for engines that cannot
// follow or time their output.
#include <utility>

#include "controller/engine/engine.h"
#include "controller/engine/log_lines.h"

namespace skiff::controller::engine {
namespace {

class SnapshotLogStream final : public LogStream {
 public:
  explicit SnapshotLogStream(std::string text) : text_(std::move(text)) {}
  void read(ReadHandler done) override {
    std::string out = std::move(text_);
    text_.clear();
    done(std::move(out));  // the text once, then the end
  }

 private:
  std::string text_;
};

}  // namespace

Result<std::unique_ptr<LogStream>> Engine::open_log(const std::string& pod_uid,
                                                    const std::string& container_name,
                                                    const LogOptions& options) {
  auto text = logs(pod_uid, container_name, options.previous);
  if (!text) return text.error();
  std::string out = std::move(text.value());
  if (options.tail_lines) {
    const uint64_t start =
        tail_start(out.size(), *options.tail_lines, [&out](char* b, size_t n, uint64_t at) {
          const size_t got = std::min<size_t>(n, out.size() - at);
          std::copy_n(out.data() + at, got, b);
          return static_cast<ssize_t>(got);
        });
    out.erase(0, start);
  }
  return std::unique_ptr<LogStream>(std::make_unique<SnapshotLogStream>(std::move(out)));
}

}  // namespace skiff::controller::engine
