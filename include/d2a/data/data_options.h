#pragma once
// How a reader turns a source on disk into an ImageSet: which split, how many images per class,
// and what to do when an image folder mixes image sizes. Shared by every reader.
#include <cstddef>
#include <string>

namespace d2a {

enum class MixedSizes {
  kResize,  // resize every image to the most common size, with one warning line on stderr
  kRefuse,  // throw d2a::Error (bad input) naming the first image of another size
};

struct DataOptions {
  // "train" or "test". Sources without splits (an image folder without train/ and test/
  // sub-folders) ignore it. t10k (IDX) and test_batch.bin (CIFAR) are "test".
  std::string split = "train";
  // 0 keeps every image; n > 0 keeps the first n images of each class in file order (sorted file
  // names for image folders, record order for IDX, CIFAR and digits). Deterministic.
  std::size_t max_per_class = 0;
  MixedSizes mixed_sizes = MixedSizes::kResize;
};

// Throws d2a::Error (bad input) unless options.split is "train" or "test"; `context` prefixes
// the message (the spec being opened).
void validate_data_options(const DataOptions& options, const std::string& context);

}  // namespace d2a
