#include "d2a/space/darts_published.h"

#include <array>
#include <utility>

namespace d2a {
namespace {

// As printed in each paper's code (genotypes.py), parsed on first use.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kPublished = {{
    {"DARTS_V2",
     "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
     "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
     "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
     "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
     "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
     "reduce_concat=[2, 3, 4, 5])"},
    {"PC_DARTS",
     "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), "
     "('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), "
     "('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), "
     "('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), "
     "('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], "
     "reduce_concat=range(2, 6))"},
}};

}  // namespace

std::optional<DartsGenotype> find_published_darts_genotype(std::string_view name) {
  for (const auto& [published_name, text] : kPublished) {
    if (published_name == name) return DartsGenotype::parse(text);
  }
  return std::nullopt;
}

std::vector<std::string> published_darts_genotype_names() {
  std::vector<std::string> names;
  for (const auto& entry : kPublished) names.emplace_back(entry.first);
  return names;
}

}  // namespace d2a
