#pragma once
// The makers of the methods behind make_searcher (private to src/search), one file each.
#include <torch/torch.h>

#include <memory>

#include "d2a/search/searcher.h"

namespace d2a::detail {

std::unique_ptr<Searcher> make_darts_searcher(const SearcherConfig& config, torch::Device device,
                                              bool second_order);
std::unique_ptr<Searcher> make_pc_darts_searcher(const SearcherConfig& config,
                                                 torch::Device device);
std::unique_ptr<Searcher> make_ms_darts_searcher(const SearcherConfig& config,
                                                 torch::Device device);
std::unique_ptr<Searcher> make_gdas_searcher(const SearcherConfig& config, torch::Device device);
std::unique_ptr<Searcher> make_stacnas_searcher(const SearcherConfig& config,
                                                torch::Device device);

}  // namespace d2a::detail
