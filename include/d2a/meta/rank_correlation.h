#pragma once
// Rank correlation, the measure a predictor is selected and judged by. No torch here.
#include <vector>

namespace d2a {

// Ranks 1..n of `values` with ties sharing their average rank.
std::vector<double> average_ranks(const std::vector<double>& values);

// Spearman's rho: the Pearson correlation of the average ranks. Returns 0 when either side is
// constant or has fewer than 2 values (no ranking information). Throws d2a::Error (runtime) when
// the sizes differ.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace d2a
