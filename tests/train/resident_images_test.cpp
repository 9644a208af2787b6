#include "d2a/train/resident_images.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "d2a/data/image_set.h"
#include "d2a/error.h"

namespace d2a {
namespace {

// `count` random images of size x size with `channels` channels, labels cycling over 3 classes.
ImageSet random_set(int count, int size, int channels, std::uint64_t seed) {
  ImageSet set;
  set.channels = channels;
  set.height = set.width = size;
  set.class_names = {"a", "b", "c"};
  set.source = "random";
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  set.pixels.resize(static_cast<std::size_t>(count) * set.image_bytes());
  for (auto& p : set.pixels) p = static_cast<std::uint8_t>(byte(rng));
  for (int i = 0; i < count; ++i) set.labels.push_back(i % 3);
  return set;
}

torch::Tensor shuffled_index(std::int64_t n, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randperm(n, gen, torch::kLong).narrow(0, 0, n / 2);
}

TEST(ResidentImages, KeepsUint8PixelsThatDecodeBitForBitToTheFloatImages) {
  for (const int channels : {1, 3}) {
    const TrainData data = make_train_data(random_set(300, 12, channels, 7), 12);
    const ResidentImages resident(data, torch::kCPU, ResidentImages::Storage::pixels);
    ASSERT_TRUE(resident.stores_pixels()) << channels;
    EXPECT_EQ(resident.size(), 300);
    // A quarter of the float images' bytes, plus the labels.
    EXPECT_EQ(resident.stored_bytes(), 300 * channels * 12 * 12 + 300 * 8);
    const torch::Tensor index = shuffled_index(300, 3);
    EXPECT_TRUE(torch::equal(resident.images(index), data.images.index_select(0, index))) << channels;
    EXPECT_TRUE(torch::equal(resident.labels(index), data.labels.index_select(0, index)));
  }
}

TEST(ResidentImages, KeepsTheFloatImagesWhenNoPixelsGiveThemExactly) {
  // Resized (bilinear) images are not pixel / 255 of any pixel.
  const TrainData resized = make_train_data(random_set(40, 10, 3, 8), 16);
  const ResidentImages from_resized(resized, torch::kCPU, ResidentImages::Storage::pixels);
  EXPECT_FALSE(from_resized.stores_pixels());
  const torch::Tensor index = shuffled_index(40, 4);
  EXPECT_TRUE(torch::equal(from_resized.images(index), resized.images.index_select(0, index)));

  // One value of the last image off by one float step: refused.
  TrainData nudged = make_train_data(random_set(40, 10, 3, 9), 10);
  nudged.images = nudged.images.clone();
  float* last = nudged.images.data_ptr<float>() + nudged.images.numel() - 1;
  *last = std::nextafter(*last, 1e9f);
  EXPECT_FALSE(ResidentImages(nudged, torch::kCPU, ResidentImages::Storage::pixels).stores_pixels());

  // Unknown normalisation.
  TrainData unknown = make_train_data(random_set(40, 10, 3, 9), 10);
  unknown.mean.clear();
  unknown.std.clear();
  EXPECT_FALSE(ResidentImages(unknown, torch::kCPU, ResidentImages::Storage::pixels).stores_pixels());
}

TEST(ResidentImages, OnTheHostsOwnCpuTheFloatImagesAreUsedAsTheyAre) {
  const TrainData data = make_train_data(random_set(20, 10, 3, 10), 10);
  const ResidentImages automatic(data, torch::kCPU);
  EXPECT_FALSE(automatic.stores_pixels());
  const torch::Tensor all = torch::arange(20, torch::kLong);
  EXPECT_TRUE(torch::equal(automatic.images(all), data.images));
}

TEST(ResidentImages, RefusesImagesThatAreNotFloatBatches) {
  TrainData bad = make_train_data(random_set(4, 10, 3, 11), 10);
  bad.labels = bad.labels.narrow(0, 0, 3);
  EXPECT_THROW(ResidentImages(bad, torch::kCPU), Error);
}

}  // namespace
}  // namespace d2a
