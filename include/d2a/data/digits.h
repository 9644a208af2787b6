#pragma once
// scikit-learn's 8x8 handwritten digits (1,797 images, classes "0".."9"), read from its
// digits.csv.gz: one image per line, 64 pixel values 0..16 (row-major), then the label.
// No torch here.
#include <string>

#include "d2a/data/data_options.h"
#include "d2a/data/image_set.h"

namespace d2a {

// Where Debian's python3-sklearn installs the file.
inline constexpr char kSklearnDigitsPath[] =
    "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

// Reads the digits file (gzip or plain) as 8x8x1 images with pixels scaled from 0..16 to
// 0..255 (round(v * 255 / 16)). The set has no official split, so d2a fixes one: within each
// class, in file order, every 5th image (the 5th, 10th, ...) is "test" and the rest "train"
// (1,442 train and 355 test images for the sklearn file). Honours options.max_per_class.
// Throws d2a::Error (bad input) naming the file and line for a missing file, a line without 65
// values, or a value out of range.
ImageSet read_digits_csv(const std::string& path, const DataOptions& options);

}  // namespace d2a
