#pragma once
// Genotypes published for the DARTS space, by the names their code gives them, so that users
// and tests can say `DARTS_V2` instead of pasting the whole notation. No torch here.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "d2a/space/darts_genotype.h"

namespace d2a {

// DARTS_V2: second-order DARTS on CIFAR-10 (Liu et al., 2019; 3.3M parameters at C36, 20 cells).
// PC_DARTS: PC-DARTS on CIFAR-10 (Xu et al., 2020, "PC_DARTS_cifar"; 3.6M parameters).
// The genotype of `name`, or nothing when no published genotype has that name (case matters).
std::optional<DartsGenotype> find_published_darts_genotype(std::string_view name);
// "DARTS_V2", "PC_DARTS".
std::vector<std::string> published_darts_genotype_names();

}  // namespace d2a
