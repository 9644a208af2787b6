#include "d2a/search/searcher.h"

#include <torch/torch.h>

#include <functional>
#include <string>

#include "d2a/named_factory.h"
#include "d2a/train/precision.h"
#include "methods.h"

namespace d2a {
namespace {

using SearcherMaker =
    std::function<std::unique_ptr<Searcher>(const SearcherConfig&, torch::Device)>;

const NameTable<SearcherMaker>& searcher_makers() {
  static const NameTable<SearcherMaker> makers = {
      {"darts",
       [](const SearcherConfig& c, torch::Device d) {
         return detail::make_darts_searcher(c, d, /*second_order=*/false);
       }},
      {"darts2",
       [](const SearcherConfig& c, torch::Device d) {
         return detail::make_darts_searcher(c, d, /*second_order=*/true);
       }},
      {"pc-darts", detail::make_pc_darts_searcher},
      {"ms-darts", detail::make_ms_darts_searcher},
      {"stacnas", detail::make_stacnas_searcher},
      {"gdas", detail::make_gdas_searcher},
  };
  return makers;
}

}  // namespace

std::unique_ptr<Searcher> make_searcher(std::string_view name, const SearcherConfig& config,
                                        torch::Device device) {
  const SearcherMaker& make = find_by_name(searcher_makers(), name, "search method");
  config.validate();
  torch::manual_seed(config.seed);
  return make(config, device);
}

std::vector<std::string> searcher_names() { return names_of(searcher_makers()); }

BatchLoss batch_loss(Supernet& net, const Batch& batch, const std::string& precision) {
  torch::Tensor logits;
  {
    const PrecisionScope scope(precision, batch.images.device());
    logits = with_full_precision(net.forward(batch.images));
  }
  BatchLoss out;
  out.loss = torch::nn::functional::cross_entropy(logits, batch.labels);
  out.accuracy = logits.detach().argmax(1).eq(batch.labels).to(torch::kDouble).mean() * 100.0;
  return out;
}

}  // namespace d2a
