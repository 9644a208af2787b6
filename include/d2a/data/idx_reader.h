#pragma once
// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed: an images file
// (magic 0x00000803: count, rows, cols, then count*rows*cols unsigned bytes) and a labels file
// (magic 0x00000801: count, then count unsigned bytes). No torch here.
#include <string>

#include "d2a/data/data_options.h"
#include "d2a/data/image_set.h"

namespace d2a {

// The 10 Fashion-MNIST class names, label order ("T-shirt/top", "Trouser", ..., "Ankle boot").
const std::vector<std::string>& fashion_mnist_class_names();

// Reads one pair of IDX files into a 1-channel ImageSet. Class names are "0".."max label",
// or the Fashion-MNIST names when `fashion` is true. Throws d2a::Error (bad input), naming the
// file, for a missing or unreadable file, a wrong magic number, a truncated file, trailing
// bytes, or a label count that differs from the image count.
ImageSet read_idx_files(const std::string& images_path, const std::string& labels_path,
                        bool fashion = false);

// Reads the split of an IDX folder: options.split "train" reads *train-images-idx3-ubyte[.gz] and
// its *train-labels-idx1-ubyte[.gz]; "test" reads *t10k-* (or *test-*). A folder whose name
// contains "fashion" (such as Debian's /usr/share/datasets/fashion-mnist) gets the Fashion-MNIST
// class names. Honours options.max_per_class. Throws d2a::Error (bad input) naming the folder
// when the split's files are missing, and everything read_idx_files throws.
ImageSet read_idx_folder(const std::string& folder, const DataOptions& options);

// True when `folder` holds at least one *-images-idx3-ubyte[.gz] file.
bool is_idx_folder(const std::string& folder);

}  // namespace d2a
