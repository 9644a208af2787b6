#pragma once
// Cutting a flag's list ("3,1", "cifar100-test,imagenet16-120-test") into its items. No torch.
#include <string_view>
#include <vector>

namespace d2a {

// The pieces of `text` between `separator`s, in order, empty ones kept ("3,,1" -> "3", "", "1";
// "" -> one empty piece), so each caller decides what an empty or padded item means. The views
// point into `text`.
inline std::vector<std::string_view> split_at(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    pieces.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return pieces;
    start = at + 1;
  }
}

}  // namespace d2a
