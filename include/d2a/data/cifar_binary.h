#pragma once
// The CIFAR-10 binary release: data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin
// (test), each a sequence of 3073-byte records (1 label byte, then 1024 red, 1024 green and
// 1024 blue bytes of a 32x32 image, row-major), and batches.meta.txt with one class name per
// line. No torch here.
#include <string>

#include "d2a/data/data_options.h"
#include "d2a/data/image_set.h"

namespace d2a {

// Reads one CIFAR binary file and appends its images (32x32x3) and labels to `set`.
// Throws d2a::Error (bad input) naming the file when it is missing, empty, or its size is not
// a multiple of 3073 bytes.
void append_cifar_binary_file(const std::string& path, ImageSet& set);

// Reads the split of a CIFAR binary folder: "train" = every data_batch_*.bin in numeric order,
// "test" = test_batch.bin. Class names come from batches.meta.txt when present, otherwise
// "0".."max label". Honours options.max_per_class. Throws d2a::Error (bad input) naming the
// file for a missing batch file, a file of the wrong size, or a label beyond the class names.
ImageSet read_cifar_binary(const std::string& folder, const DataOptions& options);

// True when `folder` holds a data_batch_*.bin or test_batch.bin file.
bool is_cifar_binary_folder(const std::string& folder);

}  // namespace d2a
