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
  // Image folders: an image taller or wider than max_side pixels is shrunk as soon as it is
  // decoded, each axis to at most max_side (the antialiased resize_bilinear of data/image_ops.h),
  // before sizes are compared; 0 keeps every image at its own size. Commands set it to the
  // largest side they use the images at, so that a folder of photos costs the memory and time
  // of the pixels a command uses, not those of 12-megapixel images. Sources of small images
  // (IDX, CIFAR, digits) ignore it: their consumers resize them.
  int max_side = 0;
  // Image folders: how many threads decode the files (0 = every core). The result does not
  // depend on it.
  int threads = 1;
};

// Throws d2a::Error (bad input) unless options.split is "train" or "test", max_side >= 0 and
// threads >= 0;
// `context` prefixes the message (the spec being opened).
void validate_data_options(const DataOptions& options, const std::string& context);

}  // namespace d2a
