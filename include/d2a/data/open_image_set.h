#pragma once
// One entry point from a --data SPEC to an ImageSet. No torch here.
#include <string>

#include "d2a/data/data_options.h"
#include "d2a/data/image_set.h"

namespace d2a {

// Where the name "fashion-mnist" points (Debian's dataset-fashion-mnist package).
inline constexpr char kFashionMnistPath[] = "/usr/share/datasets/fashion-mnist";

// Opens SPEC, a dataset name or a path:
//   "fashion-mnist"         Debian's IDX files in kFashionMnistPath (60,000 train / 10,000 test)
//   "digits"                sklearn's 8x8 digits (see data/digits.h for its fixed split)
//   a folder with *-images-idx3-ubyte[.gz]       IDX (data/idx_reader.h)
//   a folder with data_batch_*.bin/test_batch.bin CIFAR binary (data/cifar_binary.h)
//   any other folder        an image folder (data/image_folder.h)
//   a file named *.csv or *.csv.gz               a digits-format CSV (data/digits.h)
// ImageSet::source is the path read (for a name, the name itself). Throws d2a::Error (bad input)
// with one line naming the path for a bad split option, a missing path, and everything the
// readers throw.
ImageSet open_image_set(const std::string& spec, const DataOptions& options);

// False only for a source without a test split of its own: an image folder with no train/ and
// test/ sub-folders (the named sets, IDX and CIFAR binary folders and digits CSVs all have one).
// A path that does not exist counts as having one, so that opening it reports what is wrong.
bool has_test_split(const std::string& spec);

}  // namespace d2a
