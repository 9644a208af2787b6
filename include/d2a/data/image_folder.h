#pragma once
// An image folder: root/<class>/*.png|*.jpg|*.jpeg, class names = sub-folder names in sorted
// order (label = index), or root/train/<class>/... and root/test/<class>/... where the split
// picks one (see has_split_folders). Decoded with stb_image. No torch here.
#include <string>

#include "d2a/data/data_options.h"
#include "d2a/data/image_set.h"

namespace d2a {

// Reads an image folder: one sub-folder per class, whose images may lie in sub-folders of it at
// any depth. Images are taken in torchvision ImageFolder's order within each class (folders
// sorted by path, then file names; hidden entries skipped, linked folders followed once); with
// options.max_per_class > 0 only the first n image files of each class are decoded.
// Grey images stay 1 channel and colour images 3 (alpha is dropped); a set that mixes grey and
// colour becomes RGB. Images of another size than the most common one are resized to it
// (bilinear, one warning line on stderr, counted in ImageSet::resized_images) or refused, as
// options.mixed_sizes says. Images are .png, .jpg/.jpeg, .bmp, .tga, .ppm/.pgm/.pnm and, where
// libwebp is built in, .webp (any case; data/image_codecs.h). Other files in class folders are
// skipped, counted in ImageSet::skipped_files and noted in one line on stderr, and images in
// formats d2a does not read (.heic, .tiff, .gif, ...) in a warning line of their own that says
// which formats it reads; files directly in the root and hidden entries (".name") are ignored.
// Throws d2a::Error (bad input) naming the path for: a missing folder, an empty folder, fewer
// than 2 class folders, a class folder without images, an image that cannot be decoded
// (corrupt, truncated, unsupported), and mixed sizes under MixedSizes::kRefuse.
ImageSet read_image_folder(const std::string& root, const DataOptions& options);

// True when `root` has a train/ or a test/ sub-folder: then the split picks root/<split>/
// (a missing one is an error), so a class may not be named "train" or "test".
bool has_split_folders(const std::string& root);

}  // namespace d2a
