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
  std::string split;   // "train" or "test" when the source has splits, "" when it has none
  // Reader statistics, reported to the user: files in class folders that are not images
  // (skipped), and images resized to the common size because the set mixed sizes.
  std::size_t skipped_files = 0;
  std::size_t resized_images = 0;  // (both copied as they are by subset())

  std::size_t size() const { return labels.size(); }
  std::size_t num_classes() const { return class_names.size(); }
  std::size_t image_bytes() const {
    return static_cast<std::size_t>(channels) * height * width;
  }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * image_bytes(); }
};

// Images per class: result[c] = number of images with label c (size = num_classes()).
std::vector<std::size_t> class_counts(const ImageSet& set);

// Indices of the first `per_class` images of each class, in stored order; per_class = 0 keeps
// every image. Deterministic: it never reorders.
std::vector<std::size_t> first_per_class(const ImageSet& set, std::size_t per_class);

// A copy holding only the images at `indices` (in that order), with the same classes and labels.
// Throws d2a::Error (runtime) for an index out of range.
ImageSet subset(const ImageSet& set, const std::vector<std::size_t>& indices);

// A fixed test split for a source without one (an image folder with no train/ and test/), the
// rule d2a fixes for the digits: within each class, in stored order, every `every`-th image (the
// every-th, 2*every-th, ...) is for testing and the rest for training; then only the first
// `train_per_class` and `test_per_class` of each class's part are kept (0 keeps all). It depends
// on no seed, so every run on the same folder tests on the same images. Throws d2a::Error
// (runtime) for every < 2.
struct HoldOut {
  std::vector<std::size_t> train;  // indices into the set, in stored order
  std::vector<std::size_t> test;
};
HoldOut hold_out_every(const ImageSet& set, std::size_t every, std::size_t train_per_class,
                       std::size_t test_per_class);

// How many images of each class a reader must give (its max_per_class) for hold_out_every to
// reach both caps where the class has that many: 0 (all) when either cap is 0.
std::size_t hold_out_read_cap(std::size_t every, std::size_t train_per_class,
                              std::size_t test_per_class);

}  // namespace d2a
