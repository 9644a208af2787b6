#pragma once
// TEMPORARY (branch `suggest` only): the saving half of the temporary FeatureExtractor, used by
// meta_model_tmp.cpp. Dropped when the real feature extractor lands.
#include <filesystem>

#include "d2a/meta/feature_extractor.h"

namespace d2a {

void save_feature_extractor_tmp(const std::filesystem::path& dir, const FeatureExtractor& extractor);

}  // namespace d2a
