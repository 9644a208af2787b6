#pragma once
// An image set in memory: what every reader produces and every consumer (task sampler,
// trainer, feature extractor) takes. No torch here; data/tensor.h converts to tensors.
#include <cstdint>
#include <string>
#include <vector>

namespace d2a {

struct ImageSet {
  // Images stored contiguously, each height x width x channels (HWC), row-major, uint8.
  std::vector<std::uint8_t> pixels;
  std::vector<std::int32_t> labels;      // one per image, in [0, class_names.size())
  std::vector<std::string> class_names;  // index = label
  int channels = 0;                      // 1 (grey) or 3 (RGB)
  int height = 0;
  int width = 0;
  std::string source;  // where it came from (path or dataset name), for messages and records

  std::size_t size() const { return labels.size(); }
  std::size_t num_classes() const { return class_names.size(); }
  std::size_t image_bytes() const {
    return static_cast<std::size_t>(channels) * height * width;
  }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * image_bytes(); }
};

}  // namespace d2a
